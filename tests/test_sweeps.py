import copy

import pytest

from alignbench.sweeps import (
    MAX_GRID_POINTS,
    expand_sweeps,
    format_value,
    point_name,
    sweep_groups,
)
from alignbench.variants import VariantError, validate_variants

LORA = {"r": 16, "alpha": 32, "dropout": 0.05, "bias": "none", "use_rslora": False}


def demo_variants() -> dict[str, dict]:
    """The demo config's graph, as the schema leaves it (enabled filled in), with sweeps."""
    return {
        "base": {"method": "none", "enabled": True},
        "sft": {
            "method": "sft",
            "enabled": True,
            "from": "base",
            "args": {"learning_rate": 2.0e-4, "num_train_epochs": 1},
            "lora": {"r": 8},
            "grid": {"lora.r": [8, 32]},
        },
        "orpo": {
            "method": "orpo",
            "enabled": True,
            "from": "base",
            "args": {"learning_rate": 2.0e-4, "beta": 0.1, "num_train_epochs": 1},
            "grid": {"learning_rate": [5.0e-5, 0.0002, 5.0e-4], "beta": [0.1, 0.25]},
        },
        "dpo": {"method": "dpo", "enabled": True, "from": "sft", "args": {"beta": 0.1}},
    }


def test_names_are_exact_and_round_trip():
    assert point_name("orpo", {"learning_rate": 5e-05, "beta": 0.25}) == (
        "orpo@learning_rate=5e-05@beta=0.25"
    )
    assert point_name("sft", {"lora.r": 32}) == "sft@lora.r=32"
    assert point_name("x", {"use_rslora": True, "lr": 2e-4, "optim": "adamw_torch"}) == (
        "x@use_rslora=true@lr=0.0002@optim=adamw_torch"
    )
    assert [format_value(v) for v in (1, 1.0, 1e-05, 1e16, False)] == [
        "1",
        "1.0",
        "1e-05",
        "1e+16",
        "false",
    ]


@pytest.mark.parametrize("value", ["two words", "a/b", "", None, [1], {"a": 1}])
def test_values_that_cannot_name_a_folder_are_refused(value):
    with pytest.raises(VariantError):
        format_value(value)


def test_grids_expand_in_config_order_and_reuse_the_default():
    expanded = expand_sweeps(demo_variants(), LORA)
    assert list(expanded) == [
        "base",
        "sft",
        "sft@lora.r=32",  # lora.r=8 is the default: reused
        "orpo",
        "orpo@learning_rate=5e-05@beta=0.1",
        "orpo@learning_rate=5e-05@beta=0.25",
        # learning_rate=0.0002 with beta=0.1 is the default (2.0e-4 == 0.0002): reused
        "orpo@learning_rate=0.0002@beta=0.25",
        "orpo@learning_rate=0.0005@beta=0.1",
        "orpo@learning_rate=0.0005@beta=0.25",
        "dpo",
    ]
    assert expanded["base"] == {"method": "none", "enabled": True}
    assert expanded["dpo"] == demo_variants()["dpo"]  # starts from the default point, sft


def test_each_point_is_a_full_variant_block():
    expanded = expand_sweeps(demo_variants(), LORA)
    assert expanded["orpo@learning_rate=5e-05@beta=0.25"] == {
        "method": "orpo",
        "enabled": True,
        "from": "base",
        "args": {"learning_rate": 5e-05, "beta": 0.25, "num_train_epochs": 1},
        "sweep": {
            "of": "orpo",
            "settings": ["learning_rate", "beta"],
            "point": {"learning_rate": 5e-05, "beta": 0.25},
            "default": False,
        },
    }
    assert expanded["orpo"] == {
        "method": "orpo",
        "enabled": True,
        "from": "base",
        "args": {"learning_rate": 2.0e-4, "beta": 0.1, "num_train_epochs": 1},
        "sweep": {
            "of": "orpo",
            "settings": ["learning_rate", "beta"],
            "point": {"learning_rate": 2.0e-4, "beta": 0.1},
            "default": True,
        },
    }
    assert "lora" not in expanded["orpo@learning_rate=5e-05@beta=0.25"]  # none had or swept


def test_a_variants_lora_override_is_merged_with_the_swept_keys():
    variants = demo_variants()
    variants["sft"]["lora"] = {"r": 8, "dropout": 0.1}
    variants["sft"]["grid"] = {"lora.r": [8, 32], "lora.alpha": [16, 64]}
    expanded = expand_sweeps(variants, LORA)
    # default point: r from the variant's own lora, alpha from the shared one
    assert expanded["sft"]["sweep"]["point"] == {"lora.r": 8, "lora.alpha": 32}
    assert expanded["sft"]["lora"] == {"r": 8, "dropout": 0.1}
    assert expanded["sft@lora.r=32@lora.alpha=64"]["lora"] == {"r": 32, "dropout": 0.1, "alpha": 64}
    assert expanded["sft@lora.r=32@lora.alpha=64"]["args"] == variants["sft"]["args"]
    assert len(sweep_groups(expanded)["sft"]) == 5  # 4 points, none equal to the default


def test_a_swept_lora_key_adds_a_lora_block_only_to_the_points():
    variants = demo_variants()
    del variants["sft"]["lora"]
    variants["sft"]["grid"] = {"lora.r": [16, 64]}  # the shared r is 16: the default point
    expanded = expand_sweeps(variants, LORA)
    assert "lora" not in expanded["sft"]
    assert expanded["sft"]["sweep"] == {
        "of": "sft",
        "settings": ["lora.r"],
        "point": {"lora.r": 16},
        "default": True,
    }
    assert expanded["sft@lora.r=64"]["lora"] == {"r": 64}
    assert "sft@lora.r=16" not in expanded


def test_an_args_setting_the_variant_leaves_to_trl_is_unknown_and_never_reused():
    variants = demo_variants()
    variants["orpo"]["grid"] = {"weight_decay": [0.0, 0.1]}
    expanded = expand_sweeps(variants, LORA)
    assert expanded["orpo"]["sweep"]["point"] == {"weight_decay": None}
    assert sweep_groups(expanded)["orpo"] == [
        "orpo",
        "orpo@weight_decay=0.0",
        "orpo@weight_decay=0.1",
    ]
    assert expanded["orpo@weight_decay=0.0"]["args"]["weight_decay"] == 0.0


def test_true_is_not_one_when_recognising_the_default():
    variants = demo_variants()
    variants["orpo"]["args"]["gradient_checkpointing"] = 1
    variants["orpo"]["grid"] = {"gradient_checkpointing": [True, False]}
    names = sweep_groups(expand_sweeps(variants, LORA))["orpo"]
    assert names == [
        "orpo",
        "orpo@gradient_checkpointing=true",
        "orpo@gradient_checkpointing=false",
    ]


def test_disabled_variants_are_returned_unchanged_and_not_checked():
    variants = demo_variants()
    variants["orpo"]["enabled"] = False
    variants["orpo"]["grid"]["seed"] = [1, 2]  # would be refused if enabled
    expanded = expand_sweeps(variants, LORA)
    assert expanded["orpo"] == variants["orpo"]
    assert [name for name in expanded if name.startswith("orpo")] == ["orpo"]


def test_sweep_groups_list_the_default_first():
    groups = sweep_groups(expand_sweeps(demo_variants(), LORA))
    assert groups["sft"] == ["sft", "sft@lora.r=32"]
    assert groups["orpo"][0] == "orpo" and len(groups["orpo"]) == 6
    assert "dpo" not in groups and "base" not in groups


def test_the_inputs_are_not_modified_nor_shared():
    variants, lora = demo_variants(), dict(LORA)
    variants["orpo"]["args"]["gradient_checkpointing_kwargs"] = {"use_reentrant": False}
    before = copy.deepcopy(variants)
    expanded = expand_sweeps(variants, lora)
    assert variants == before and lora == LORA
    expanded["orpo"]["args"]["gradient_checkpointing_kwargs"]["use_reentrant"] = True
    expanded["sft@lora.r=32"]["lora"]["r"] = 1
    expanded["dpo"]["args"]["beta"] = 0.5
    assert variants == before


def test_expanded_variants_pass_the_variant_graph_checks():
    expanded = expand_sweeps(demo_variants(), LORA)
    validate_variants(expanded)
    disabled = demo_variants()
    disabled["sft"]["enabled"] = disabled["dpo"]["enabled"] = False
    validate_variants(expand_sweeps(disabled, LORA))


def test_the_grid_size_limit_counts_combinations():
    variants = demo_variants()
    variants["orpo"]["grid"] = {
        "learning_rate": [i / 1000 for i in range(1, 9)],  # 0.001 .. 0.008: no default point
        "beta": [i / 10 for i in range(1, 9)],
    }
    assert len(sweep_groups(expand_sweeps(variants, LORA))["orpo"]) == 1 + MAX_GRID_POINTS
    variants["orpo"]["grid"]["beta"].append(0.99)  # 8 x 9
    with pytest.raises(VariantError, match=r"variants\.orpo\.grid has 72 combinations.*64"):
        expand_sweeps(variants, LORA)


def with_grid(variant: str, grid=None, **block) -> dict[str, dict]:
    variants = demo_variants()
    if grid is not None:
        variants[variant]["grid"] = grid
    variants[variant].update(block)
    return variants


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        (with_grid("base", {"lora.r": [8]}), r"variants\.base\.grid: method none"),
        (with_grid("orpo", {}), r"variants\.orpo\.grid is empty"),
        (with_grid("orpo", {"beta": []}), r"variants\.orpo\.grid\.beta: give a non-empty list"),
        (with_grid("orpo", {"beta": 0.1}), r"variants\.orpo\.grid\.beta: give a non-empty list"),
        (with_grid("orpo", {"beta": [0.1, None]}), r"variants\.orpo\.grid\.beta: None is not a"),
        (with_grid("orpo", {"beta": [[0.1]]}), r"variants\.orpo\.grid\.beta: \[0\.1\] is not a"),
        (with_grid("orpo", {"optim": ["adam w"]}), r"grid\.optim: the text 'adam w' cannot"),
        (with_grid("orpo", {"beta": [0.1, 0.2, 0.10]}), r"grid\.beta: 0\.1 and 0\.1 are the same"),
        (with_grid("orpo", {"learning_rate": [2e-4, 0.0002]}), r"0\.0002 and 0\.0002 are the"),
        (with_grid("orpo", {"num_train_epochs": [1, 1.0]}), r"1 and 1\.0 are the same"),
        (with_grid("orpo", {"optim": ["1", 1]}), r"'1' and 1 are the same value, or would give"),
        (with_grid("orpo", {"seed": [1, 2]}), r"variants\.orpo\.grid\.seed: seed is set by the"),
        (with_grid("orpo", {"lora.target_modules": [["q_proj"]]}), r"grid\.lora\.target_modules"),
        (with_grid("orpo", {"lora.rank": [8]}), r"variants\.orpo\.grid\.lora\.rank: not a LoRA"),
        (with_grid("orpo", {"args/lr": [1]}), r"variants\.orpo\.grid\.args/lr: not a setting"),
        (with_grid("sft", {"lora.r": [8, 0]}), r"grid\.lora\.r: 0 is not a whole number >= 1"),
        (with_grid("sft", {"lora.r": [8, 16.0]}), r"grid\.lora\.r: 16\.0 is not a whole number"),
        (with_grid("sft", {"lora.alpha": [0]}), r"grid\.lora\.alpha: 0 is not a number > 0"),
        (with_grid("sft", {"lora.dropout": [1.5]}), r"grid\.lora\.dropout: 1\.5 is not a number"),
        (with_grid("sft", {"lora.bias": ["some"]}), r"grid\.lora\.bias: 'some' is not one of"),
        (with_grid("sft", {"lora.use_rslora": [1]}), r"grid\.lora\.use_rslora: 1 is not true or"),
        (with_grid("sft", {"beta": [0.1, 0.2]}), r"variants\.sft\.grid\.beta: sft training takes"),
        (with_grid("orpo", {"packing": [True]}), r"grid\.packing: orpo training takes no packing"),
        (
            with_grid("orpo", {"num_train_epochs": [0, 1]}),
            r"variants\.orpo\.grid: the point orpo@num_train_epochs=0 cannot be trained: "
            r"variants\.orpo\.args\.num_train_epochs is 0",
        ),
        (
            with_grid("orpo", {"max_steps": [-2, 10]}),
            r"point orpo@max_steps=-2 cannot be trained: variants\.orpo\.args\.max_steps is -2",
        ),
        (with_grid("dpo", lora={"rank": 8}), r"variants\.dpo\.lora: unknown setting rank"),
    ],
)
def test_bad_grids_fail_naming_the_key(variants, message):
    with pytest.raises(VariantError, match=message):
        expand_sweeps(variants, LORA)
