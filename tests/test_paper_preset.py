"""The published setup as a preset: valid config, full DAG, and the QLoRA path on CPU."""

import json

import pytest
import yaml

from alignbench.evaluation.generate import generate_answers
from alignbench.models.loading import load_base_model, load_tokenizer
from tests.factories import make_paths, make_spec, run_training
from tests.workflow_runs import REPO, make_workdir, planned_jobs


def paper_config():
    return yaml.safe_load((REPO / "config" / "paper.yaml").read_text())


@pytest.mark.workflow
def test_paper_preset_validates_and_plans_the_full_dag(tmp_path):
    workdir = make_workdir(tmp_path, paper_config())
    jobs = planned_jobs(workdir, "report")
    assert jobs["download_data"] == 1 and jobs["prepare_base_model"] == 1
    assert jobs["train"] == 2 and jobs["generate"] == 3 and jobs["report"] == 1
    assert "score_reward" not in jobs


@pytest.mark.workflow
def test_one_line_enables_the_orpo_from_sft_arm(tmp_path):
    config = paper_config()
    config["variants"]["orpo_from_sft"]["enabled"] = True
    jobs = planned_jobs(make_workdir(tmp_path, config), "report")
    assert jobs["train"] == 3 and jobs["generate"] == 4


def test_paper_settings_match_the_published_ones():
    config = paper_config()
    assert config["model"]["hub"]["id"] == "meta-llama/Llama-3.2-1B"
    assert config["data"]["hub"]["id"] == "mlabonne/orpo-dpo-mix-40k"
    assert len(config["model"]["hub"]["revision"]) == len(config["data"]["hub"]["revision"]) == 40
    assert config["data"]["split"] == {"seed": 42, "subset_size": 20000, "validation_fraction": 0.1}
    assert config["quantization"]["load_in_4bit"] and config["quantization"]["quant_type"] == "nf4"
    assert (config["lora"]["r"], config["lora"]["alpha"], config["lora"]["dropout"]) == (
        32,
        16,
        0.05,
    )
    sft, orpo = config["variants"]["sft"]["args"], config["variants"]["orpo"]["args"]
    assert (sft["learning_rate"], sft["weight_decay"], orpo["learning_rate"]) == (2e-5, 1e-3, 1e-5)
    assert orpo["beta"] == 0.1 and sft["optim"] == orpo["optim"] == "paged_adamw_8bit"
    for args in (sft, orpo):
        assert args["per_device_train_batch_size"] * args["gradient_accumulation_steps"] == 32
    assert config["generation"]["prompts"] == 1000
    assert config["generation"]["max_new_tokens"] == 128


def test_qlora_trains_and_generates_on_cpu_through_bitsandbytes(tmp_path, demo_tokenizer):
    pytest.importorskip("bitsandbytes")
    from alignbench.data.demo import generate_demo_rows
    from alignbench.io import write_jsonl
    from alignbench.models.random_init import TINY_SHAPE, save_random_llama

    # bitsandbytes quantises in blocks of 64 values: the layers must be at least that wide.
    shape = {**TINY_SHAPE, "hidden_size": 128, "intermediate_size": 256}
    tiny_model_dir = save_random_llama(tmp_path / "model", demo_tokenizer, shape)

    train_file = tmp_path / "train.jsonl"
    rows = [{"id": f"row-{i}", **row} for i, row in enumerate(generate_demo_rows(8, seed=2))]
    write_jsonl(train_file, rows)
    spec = make_spec("sft")
    spec["quantization"] = {
        "load_in_4bit": True,
        "quant_type": "nf4",
        "double_quant": True,
        "compute_dtype": "float32",
    }
    run_training(tmp_path, spec, make_paths(tmp_path, tiny_model_dir, train_file, "sft"))
    config = json.loads((tmp_path / "sft" / "adapter" / "adapter_config.json").read_text())
    assert config["r"] == 4
    model = load_base_model(tiny_model_dir, "fp32", "sdpa", spec["quantization"])
    assert any("4bit" in type(module).__name__ for module in model.modules())
    records = generate_answers(
        model, load_tokenizer(tiny_model_dir), rows[:2], {"max_new_tokens": 4, "batch_size": 2}
    )
    assert [r["id"] for r in records] == ["row-0", "row-1"]


def test_the_paper_chat_template_trains_and_keeps_answers_separable(tmp_path, demo_tokenizer):
    """Llama-3.2-1B base has no chat template; the preset's plain one must work end to end."""
    import copy

    from alignbench.data.demo import generate_demo_rows
    from alignbench.evaluation.preferences import answer_sequence
    from alignbench.io import write_jsonl
    from alignbench.models.base import prepare_tokenizer
    from alignbench.models.random_init import TINY_SHAPE, save_random_llama

    tokenizer = prepare_tokenizer(
        copy.deepcopy(demo_tokenizer), str(REPO / "config" / "templates" / "plain_chat.jinja")
    )
    model_dir = save_random_llama(tmp_path / "model", tokenizer, TINY_SHAPE)
    rows = [{"id": f"row-{i}", **row} for i, row in enumerate(generate_demo_rows(8, seed=4))]
    write_jsonl(tmp_path / "train.jsonl", rows)
    for method in ("sft", "orpo"):
        paths = make_paths(tmp_path, model_dir, tmp_path / "train.jsonl", method)
        run_training(tmp_path, make_spec(method), paths)
        assert (tmp_path / method / "adapter" / "adapter_model.safetensors").exists()
    ids, prompt_length = answer_sequence(load_tokenizer(model_dir), rows[0], "chosen")
    answer = rows[0]["chosen"][-1]["content"]
    assert tokenizer.decode(ids[prompt_length:]) == f"{answer}{tokenizer.eos_token}\n\n"
    assert tokenizer.decode(ids[:prompt_length]).endswith("### Assistant:\n")
    assert ids[0] == tokenizer.bos_token_id and ids[1] != tokenizer.bos_token_id


def test_qlora_on_a_parent_starts_from_parents_merged_in_full_precision(tmp_path, demo_tokenizer):
    """Merging into 4-bit weights would round a small LoRA update away."""
    pytest.importorskip("bitsandbytes")
    import torch

    from alignbench.data.demo import generate_demo_rows
    from alignbench.io import write_jsonl
    from alignbench.models.loading import load_variant
    from alignbench.models.random_init import TINY_SHAPE, save_random_llama
    from alignbench.train.run import merged_start_dir, prepare_merged_start

    shape = {**TINY_SHAPE, "hidden_size": 128, "intermediate_size": 256}
    model_dir = save_random_llama(tmp_path / "model", demo_tokenizer, shape)
    rows = [{"id": f"row-{i}", **row} for i, row in enumerate(generate_demo_rows(8, seed=5))]
    write_jsonl(tmp_path / "train.jsonl", rows)
    train_file = tmp_path / "train.jsonl"
    parent = run_training(
        tmp_path, make_spec("sft"), make_paths(tmp_path, model_dir, train_file, "sft")
    )
    paths = make_paths(tmp_path, model_dir, train_file, "dpo", parents=[parent])
    spec = make_spec("dpo")
    spec["quantization"] = {"load_in_4bit": True, "quant_type": "nf4", "compute_dtype": "float32"}

    partial = tmp_path / "partial"
    prepare_merged_start(spec, paths, partial)
    expected = load_variant(model_dir, [parent], "fp32").state_dict()
    start = load_variant(merged_start_dir(partial), [], "fp32").state_dict()
    assert expected.keys() == start.keys()
    assert all(torch.equal(expected[k], start[k]) for k in expected)

    run_training(tmp_path, spec, paths)  # trains on the 4-bit copy of that merged checkpoint
    assert (tmp_path / "dpo" / "adapter" / "adapter_model.safetensors").exists()
