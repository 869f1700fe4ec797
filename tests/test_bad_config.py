"""Bad configs stop while Snakemake builds the DAG: before any job, every problem named with its
config key and the fix. Each case runs the real Snakefile (a dry run) on the tiny config."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.workflow_runs import dry_run, make_workdir, snakemake, tiny_config


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tiny_model_dir):
    path = make_workdir(tmp_path_factory.mktemp("bad-config"), tiny_config(tiny_model_dir))
    (path / "not-a-model").mkdir()
    (path / "rows.csv").write_text("prompt,chosen,rejected\n")
    (path / "good.yaml").write_text((path / "tiny.yaml").read_text())
    return path


def run_with(workdir, edit, *args):
    """A dry run of the report with the tiny config changed by ``edit``: the process and the
    jobs Snakemake planned (tests/workflow_runs.py, dry_run)."""
    config = yaml.safe_load((workdir / "good.yaml").read_text())
    edit(config)
    (workdir / "tiny.yaml").write_text(yaml.safe_dump(config))
    return dry_run(workdir, "report", *args)


def args(variant, **values):
    return lambda c: c["variants"][variant].setdefault("args", {}).update(values)


def put(path: str, value):
    """An edit that sets the dotted config key ``path`` to ``value``."""

    def edit(config):
        *parents, last = path.split(".")
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value

    return edit


def local_data(path):
    return lambda c: c["data"].update(source="local", local={"path": path})


CASES = {
    "unknown top-level key": (put("epochs", 3), ["epochs: unknown setting"]),
    "misspelt nested key": (put("generation.max_new_token", 8), ["'max_new_tokens'"]),
    "unknown key in a variant": (put("variants.orpo.arg", {}), ["variants.orpo.arg", "'args'"]),
    "unknown data source": (put("data.source", "ftp"), ["data.source", "'demo', 'hub', 'local'"]),
    "text for a number": (put("lora.r", "zero"), ["lora.r", "integer"]),
    "LoRA rank 0": (put("lora.r", 0), ["lora.r", "minimum"]),
    "no LoRA targets": (put("lora.target_modules", []), ["lora.target_modules"]),
    "no seeds": (put("training.seeds", []), ["training.seeds"]),
    "repeated seed": (put("training.seeds", [1, 1]), ["training.seeds", "non-unique"]),
    "no prompts": (put("generation.prompts", 0), ["generation.prompts"]),
    "top_p above 1": (put("generation.top_p", 2), ["generation.top_p"]),
    "validation share of 1.5": (
        put("data.split.validation_fraction", 1.5),
        ["data.split.validation_fraction"],
    ),
    "unknown attention": (put("model.attn_implementation", "flash3"), ["attn_implementation"]),
    "unknown method": (put("variants.orpo.method", "ppo"), ["variants.orpo.method"]),
    "bad variant name": (
        put("variants.orpo-2", {"method": "orpo", "from": "base"}),
        ["orpo-2", "does not match"],
    ),
    "unknown parent": (put("variants.orpo.from", "ppo"), ["variants.orpo.from", "unknown"]),
    "disabled parent": (
        put("variants.sft.enabled", False),
        ["variants.dpo.from", "switched off", "enabled: false"],
    ),
    "cycle": (
        lambda c: c["variants"].update(
            a={"method": "sft", "from": "b"}, b={"method": "dpo", "from": "a"}
        ),
        ["cycle (a from b, b from a)", "from: base"],
    ),
    "no untrained variant": (
        lambda c: c["variants"]["base"].update(enabled=False),
        ["untrained variant"],
    ),
    "trained variant without a start": (
        lambda c: c["variants"]["orpo"].pop("from"),
        ["variants.orpo", "from: base"],
    ),
    "untrained variant with args": (put("variants.base.args", {"beta": 1}), ["variants.base"]),
    "reserved output_dir": (args("sft", output_dir="x"), ["variants.sft.args", "output_dir"]),
    "reserved seed": (args("dpo", seed=3), ["variants.dpo.args: seed", "training.seeds"]),
    "zero max_steps": (args("orpo", max_steps=0), ["variants.orpo.args.max_steps is 0"]),
    "negative max_steps": (args("orpo", max_steps=-5), ["variants.orpo.args.max_steps is -5"]),
    "negative epochs": (
        lambda c: (
            c["variants"]["sft"]["args"].pop("max_steps")
            and c["variants"]["sft"]["args"].update(num_train_epochs=-1)
        ),
        ["variants.sft.args.num_train_epochs is -1", "positive number of epochs"],
    ),
    "unsupported data file": (local_data("rows.csv"), ["data.local.path", ".jsonl"]),
    "missing data file": (local_data("nowhere.jsonl"), ["data.local.path", "does not exist"]),
    "missing model folder": (put("model.local.path", "nowhere"), ["model.local.path", "folder"]),
    "model folder without config.json": (
        put("model.local.path", "not-a-model"),
        ["model.local.path", "config.json"],
    ),
    "missing chat template file": (
        put("model.chat_template", "templates/none.jinja"),
        ["model.chat_template", "templates/none.jinja"],
    ),
    "missing reward model folder": (
        put("evaluation.reward_model", "/nowhere/reward-model"),
        ["evaluation.reward_model", "not a folder", "null"],
    ),
    "reward model folder without config.json": (
        put("evaluation.reward_model", "not-a-model"),
        ["evaluation.reward_model", "config.json"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_config_fails_before_any_job_naming_the_key(workdir, case):
    edit, expected = CASES[case]
    result, plan = run_with(workdir, edit)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for text in expected:
        assert text in output, output[-3000:]
    assert plan == {"counts": {}, "jobs": []}, plan  # stopped before the DAG was built
    assert len(output.splitlines()) < 30  # the problem, not a dump of the schema and config


def test_every_config_problem_is_listed_at_once(workdir):
    def edit(config):
        config["variants"]["orpo"]["args"]["max_steps"] = 0
        config["evaluation"]["reward_model"] = "/nowhere/reward-model"

    result, _ = run_with(workdir, edit)
    output = result.stdout + result.stderr
    assert "max_steps is 0" in output and "evaluation.reward_model" in output


def test_nested_command_line_overrides_take_the_schema_types(workdir):
    """`--config` parses nested values as text; the Snakefile gives them the schema's types and
    keeps the config file's other keys of the same block."""
    overrides = [
        "variants={orpo: {args: {learning_rate: 1e-4, max_steps: 3}}}",
        "lora={target_modules: [q_proj], dropout: 0}",
        "generation={max_new_tokens: 6, do_sample: true}",
    ]
    target = "results/models/orpo/seed1/train_spec.json"
    (workdir / "tiny.yaml").write_text((workdir / "good.yaml").read_text())
    result = snakemake(workdir, target, "--config", *overrides)
    assert result.returncode == 0, result.stderr[-3000:]
    spec = json.loads((workdir / target).read_text())
    assert spec["args"]["learning_rate"] == 1e-4 and spec["args"]["max_steps"] == 3
    assert spec["args"]["per_device_train_batch_size"] == 2  # from the config file
    assert spec["lora"]["target_modules"] == ["q_proj"] and spec["lora"]["dropout"] == 0
    assert spec["lora"]["r"] == 4
    # Settings only: the files training reads and writes are the train rule's, on its command line.
    settings = {"variant", "method", "seed", "precision", "args", "lora", "quantization"}
    # ORPO trains on pairs: whether it computes each pair's prompt once.
    assert set(spec) == {*settings, "attn_implementation", "shared_prompt"}


def test_a_bad_nested_override_names_its_key(workdir):
    result, _ = run_with(workdir, lambda c: None, "--config", "generation={max_new_tokens: many}")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "generation.max_new_tokens: 'many' is not of type 'integer'" in output
