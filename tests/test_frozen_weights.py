"""Frozen linear weights stored in bf16 give bit-identical bf16-autocast training, and leave the
embedding (tied to the output layer) and the LoRA matrices in fp32."""

import pytest
import torch

from alignbench.train.frozen_weights import store_frozen_linear_weights_in


def lora_model(tiny_model_dir):
    from peft import LoraConfig, get_peft_model

    from alignbench.models.loading import load_base_model

    model = load_base_model(tiny_model_dir, "fp32", "eager")
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj"])
    return get_peft_model(model, config)


def loss_and_grads(model, batch):
    model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = model(**batch, labels=batch["input_ids"]).loss
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    return loss.detach(), grads


@pytest.fixture(scope="module")
def batch():
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(0, 1000, (2, 12), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, :3] = 0  # a left-padded row
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def test_autocast_training_is_bit_identical(tiny_model_dir, batch):
    model = lora_model(tiny_model_dir)
    loss, grads = loss_and_grads(model, batch)

    assert store_frozen_linear_weights_in(model, torch.bfloat16) > 0
    stored_loss, stored_grads = loss_and_grads(model, batch)

    assert torch.equal(stored_loss, loss)
    assert stored_grads.keys() == grads.keys() and grads
    for name, grad in grads.items():
        assert torch.equal(stored_grads[name], grad), name


def test_only_frozen_linear_weights_change_and_the_tie_is_broken(tiny_model_dir):
    model = lora_model(tiny_model_dir)
    embedding = model.get_input_embeddings().weight
    assert model.get_output_embeddings().weight is embedding  # tied, as in the demo model
    before = embedding.detach().clone()

    store_frozen_linear_weights_in(model, torch.bfloat16)

    assert model.get_output_embeddings().weight.dtype == torch.bfloat16
    assert model.get_input_embeddings().weight is embedding
    assert embedding.dtype == torch.float32 and torch.equal(embedding, before)
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:  # LoRA: fp32 master weights
            assert "lora_" in name and parameter.dtype == torch.float32, name
        elif "norm" in name:
            assert parameter.dtype == torch.float32, name
        elif name.endswith("proj.base_layer.weight") or name.endswith("proj.weight"):
            assert parameter.dtype == torch.bfloat16, name


def test_training_on_a_cpu_in_bf16_stores_them_and_in_fp32_does_not():
    from alignbench.train.run import autocast_weight_dtype

    # On a GPU the weights are loaded in bf16 already: nothing to store.
    expected = None if torch.cuda.is_available() else torch.bfloat16
    assert autocast_weight_dtype({"precision": "bf16"}) == expected
    assert autocast_weight_dtype({"precision": "fp32"}) is None
