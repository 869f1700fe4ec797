import copy
import json
from pathlib import Path

import pytest
import yaml

from alignbench.workflow_config import (
    canonical,
    coerce_overrides,
    fill_defaults,
    replace_contents,
    schema_errors,
)


def test_canonical_sorts_keys_at_every_depth_and_keeps_list_order():
    config = {"b": {"z": 1, "a": [{"y": 2, "x": 3}, 0]}, "a": None}
    result = canonical(config)
    assert list(result) == ["a", "b"] and list(result["b"]) == ["a", "z"]
    assert list(result["b"]["a"][0]) == ["x", "y"] and result["b"]["a"][1] == 0
    assert result == config  # equal values: only the order changed
    reordered = json.loads(json.dumps(config, sort_keys=True))
    assert repr(canonical(reordered)) == repr(result)


def test_replace_contents_keeps_the_object():
    target = {"b": 1, "a": 2}
    alias = target
    replace_contents(target, canonical(target))
    assert alias is target and list(target) == ["a", "b"]


SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "generation": {
            "type": "object",
            "properties": {
                "prompts": {"type": "integer"},
                "do_sample": {"type": "boolean"},
                "precision": {"enum": ["bf16", "fp32"]},
            },
        },
        "seeds": {"type": "array", "items": {"type": "integer"}},
        "variants": {
            "type": "object",
            "additionalProperties": {"type": "object", "properties": {"args": {"type": "object"}}},
        },
    },
}


def test_command_line_text_gets_the_schema_types():
    # What Snakemake makes of --config generation='{prompts: 8, ...}' and friends, merged into
    # the config file's values.
    overrides = {
        "title": "42",
        "generation": {"prompts": "8", "do_sample": "true", "precision": "bf16"},
        "variants": {"orpo": {"args": {"learning_rate": "1e-4", "optim": "adamw_torch"}}},
    }
    config = {
        "title": "42",
        "seeds": [1],
        "generation": {"prompts": "8", "do_sample": "true", "precision": "bf16"},
        "variants": {"orpo": {"args": {"learning_rate": "1e-4", "optim": "adamw_torch"}}},
    }
    coerce_overrides(config, overrides, SCHEMA)
    assert config["title"] == "42"  # the schema takes text here
    assert config["generation"] == {"prompts": 8, "do_sample": True, "precision": "bf16"}
    assert config["variants"]["orpo"]["args"] == {"learning_rate": 1e-4, "optim": "adamw_torch"}
    assert config["seeds"] == [1]  # not overridden: untouched


def test_schema_errors_are_one_line_each_with_a_suggestion():
    schema = {**SCHEMA, "additionalProperties": False}
    schema["properties"]["generation"]["additionalProperties"] = False
    errors = schema_errors({"titel": "x", "generation": {"prompts": "many", "promts": 3}}, schema)
    assert errors == [
        "titel: unknown setting; did you mean 'title'? known here: generation, seeds, title, "
        "variants.",
        "generation.promts: unknown setting; did you mean 'prompts'? known here: do_sample, "
        "precision, prompts.",
        "generation.prompts: 'many' is not of type 'integer'.",
    ]


CONFIG_DIR = Path(__file__).parents[1] / "config"
WORKFLOW_SCHEMA = Path(__file__).parents[1] / "workflow" / "schemas" / "config.schema.yaml"
MINIMAL = {"variants": {"base": {"method": "none"}}}  # every other block from the defaults


def read_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "config_file", ["config.yaml", "paper.yaml", "sweep-demo.yaml", "sweep-paper.yaml", None]
)
def test_filled_defaults_are_those_snakemakes_validate_fills(config_file):
    from snakemake.utils import validate

    config = MINIMAL if config_file is None else read_yaml(CONFIG_DIR / config_file)
    schema = read_yaml(WORKFLOW_SCHEMA)
    assert schema_errors(config, schema) == []
    ours, snakemakes = copy.deepcopy(config), copy.deepcopy(config)
    fill_defaults(ours, schema)
    validate(snakemakes, str(WORKFLOW_SCHEMA))
    assert ours == snakemakes
    assert ours["generation"]["max_new_tokens"] > 0  # a nested default is there


def test_a_filled_config_shares_no_object_with_the_schema():
    schema = read_yaml(WORKFLOW_SCHEMA)
    config = copy.deepcopy(MINIMAL)
    fill_defaults(config, schema)
    config["lora"]["target_modules"].append("lm_head")
    config["generation"]["prompts"] = -1
    again = copy.deepcopy(MINIMAL)
    fill_defaults(again, schema)
    assert "lm_head" not in again["lora"]["target_modules"]
    assert again["generation"]["prompts"] > 0
