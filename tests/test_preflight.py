"""The setup check (the first model job): real TRL config classes, the tiny model's modules."""

from __future__ import annotations

import json

import pytest

from alignbench.preflight import SetupError, accepts, check_setup, lora_target_errors


def settings(**changes) -> dict:
    base = {
        "variants": {
            "sft": {"method": "sft", "args": {"learning_rate": 1.0e-4, "max_steps": 2}},
            "orpo": {"method": "orpo", "args": {"beta": 0.1, "num_train_epochs": 1}},
            "dpo": {"method": "dpo", "args": {"beta": 0.1}},
        },
        "training_precision": "fp32",
        "generation_precision": "fp32",
        "attn_implementation": "sdpa",
        "lora_target_modules": ["q_proj", "v_proj"],
        "reward_model": None,
    }
    return {**base, **changes}


def with_args(variant: str, **args) -> dict:
    config = settings()
    config["variants"][variant]["args"].update(args)
    return config


def test_a_good_setup_passes_and_says_what_matched(tiny_model_dir):
    report = check_setup(settings(), tiny_model_dir)
    assert report["variants"] == ["dpo", "orpo", "sft"]
    layers = 2  # the tiny model's depth: each target matches once per layer
    assert report["lora_target_modules"] == {"q_proj": layers, "v_proj": layers}
    json.dumps(report)  # written as the check's output


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            with_args("sft", learnin_rate=1e-4),
            ["variants.sft.args.learnin_rate", "'learning_rate'"],
        ),
        (with_args("orpo", learning_rate="1e-4"), ["variants.orpo.args.learning_rate", "1.0e-4"]),
        (with_args("sft", per_device_train_batch_size="8"), ["per_device_train_batch_size", "int"]),
        (with_args("orpo", beta=[0.1]), ["variants.orpo.args.beta", "float"]),
        (with_args("sft", beta=0.1), ["variants.sft.args.beta", "SFTConfig"]),
        (with_args("dpo", lr_scheduler_type="cosinus"), ["variants.dpo.args", "cosinus"]),
        (with_args("sft", logging_strategy="sometimes"), ["variants.sft.args", "sometimes"]),
        (with_args("orpo", max_length=12.5), ["variants.orpo.args.max_length", "12.5"]),
        (with_args("sft", bf16_full_eval="yes"), ["bf16_full_eval", "bool"]),
        (settings(lora_target_modules=["q_proj", "qkv_projx"]), ["qkv_projx", "down_proj, "]),
        (settings(lora_target_modules=["query"]), ["lora.target_modules", "'query'"]),
        (settings(training_precision="fp16"), ["training.precision", "GPU"]),
        (settings(generation_precision="fp16"), ["generation.precision", "GPU"]),
        (settings(attn_implementation="flash_attention_2"), ["model.attn_implementation"]),
        (settings(reward_model="nobody/no-such-reward-model"), ["evaluation.reward_model"]),
    ],
)
def test_bad_settings_are_named_with_their_fix(tiny_model_dir, config, expected):
    with pytest.raises(SetupError) as raised:
        check_setup(config, tiny_model_dir)
    for text in expected:
        assert text in str(raised.value)


def test_every_problem_is_reported_at_once(tiny_model_dir):
    config = with_args("sft", learnin_rate=1e-4)
    config["variants"]["orpo"]["args"]["beta"] = "high"
    config["lora_target_modules"] = ["q_proj", "v_projj"]
    with pytest.raises(SetupError) as raised:
        check_setup(config, tiny_model_dir)
    lines = str(raised.value).splitlines()[1:]
    assert len(lines) == 3
    assert ["learnin_rate" in lines[0], "beta" in lines[1], "v_projj" in lines[2]] == [True] * 3


def test_a_reward_model_must_have_one_output(tmp_path, demo_tokenizer, tiny_model_dir):
    from transformers import LlamaConfig, LlamaForSequenceClassification

    from alignbench.models.random_init import TINY_SHAPE

    config = LlamaConfig(vocab_size=len(demo_tokenizer), num_labels=2, **TINY_SHAPE)
    LlamaForSequenceClassification(config).save_pretrained(tmp_path)
    with pytest.raises(SetupError, match="has 2 outputs"):
        check_setup(settings(reward_model=str(tmp_path)), tiny_model_dir)


def test_a_local_reward_model_passes(tiny_model_dir, tiny_reward_model_dir):
    report = check_setup(settings(reward_model=str(tiny_reward_model_dir)), tiny_model_dir)
    assert report["reward_model"] == str(tiny_reward_model_dir)


def test_lora_targets_match_like_peft():
    modules = {"model.layers.0.self_attn.q_proj": True, "model.layers.0.mlp.up_proj": True}
    modules.update({"model.layers.0.mlp": False, "lm_head": True})
    assert lora_target_errors(["q_proj", "up_proj", "lm_head"], modules) == []
    assert lora_target_errors(["all-linear"], modules) == []
    assert lora_target_errors(["proj"], modules)  # PEFT matches whole name parts, not suffixes


@pytest.mark.parametrize(
    ("hint", "good", "bad"),
    [
        (float, 1, "1e-4"),
        (int, 3, 3.5),
        (bool, False, 0),
        (int | None, None, "3"),
        (list[str], ["a"], "a"),
        (dict | str | None, {"a": 1}, 3),
    ],
)
def test_types_follow_the_annotations(hint, good, bad):
    assert accepts(hint, good) and not accepts(hint, bad)


@pytest.mark.workflow
def test_the_workflow_stops_at_the_setup_check_before_training(tmp_path, tiny_model_dir):
    """The two settings that used to train silently wrong (a LoRA target with a typo) or fail
    only inside training (a misspelt TRL argument) stop the run at check_setup, named in its
    log, before any training, generation or scoring job starts."""
    from tests.workflow_runs import make_workdir, snakemake, tiny_config

    config = tiny_config(tiny_model_dir)
    config["lora"]["target_modules"] = ["q_proj", "qkv_projx"]
    config["variants"]["orpo"]["args"]["learnin_rate"] = 1.0e-4
    workdir = make_workdir(tmp_path, config)
    result = snakemake(workdir, "report")
    assert result.returncode != 0
    log = (workdir / "results" / "logs" / "check_setup.log").read_text()
    assert "variants.orpo.args.learnin_rate" in log and "'learning_rate'" in log
    assert "lora.target_modules: 'qkv_projx'" in log
    logs = workdir / "results" / "logs"
    assert not any((logs / stage).exists() for stage in ("train", "generate", "score_preferences"))


@pytest.mark.parametrize("profile", ["default", "gpu"])
def test_local_profiles_give_the_setup_check_every_model_job_slot(profile):
    """The check holds MODEL_JOB_SLOTS (common.smk) and each model job one: the local profiles
    must offer exactly that many, or the check would not exclude them (fewer: it would wait for
    them; more: they would run beside it)."""
    import re
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[1]
    common = (root / "workflow" / "rules" / "common.smk").read_text()
    slots = int(re.search(r"^MODEL_JOB_SLOTS = (\d+)$", common, re.MULTILINE).group(1))
    settings = yaml.safe_load((root / "profiles" / profile / "config.yaml").read_text())
    offered = dict(entry.split("=") for entry in settings["resources"])
    assert int(offered["model_job_slots"]) == slots
    rules = {path.stem: path.read_text() for path in (root / "workflow" / "rules").glob("*.smk")}
    assert "model_job_slots=MODEL_JOB_SLOTS" in rules["checks"]
    for stage in ("train", "generate", "score"):
        assert "model_job_slots=1," in rules[stage], stage
