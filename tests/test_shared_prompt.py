"""Preference training (ORPO, DPO) with each pair's prompt computed once equals the two rows
apart: the same losses and gradients, half the rows through the layers."""

from __future__ import annotations

import pytest
import torch

from alignbench.models.pair_packing import decoder_of
from tests.factories import tiny_preference_trainer


@pytest.fixture(scope="module", params=["orpo", "dpo"])
def preference_trainer(request, tiny_model_dir, demo_tokenizer, tmp_path_factory):
    """The workflow's ORPO or DPO trainer on the tiny model with a LoRA adapter, fp32."""
    trainer = tiny_preference_trainer(
        request.param,
        tiny_model_dir,
        demo_tokenizer,
        tmp_path_factory.mktemp(request.param),
        "sdpa",
        per_device_train_batch_size=4,
    )
    # A LoRA adapter starts as the identity; a nudge makes DPO's policy differ from its
    # reference (the adapter disabled), so both passes are checked.
    with torch.no_grad():
        for name, parameter in trainer.model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.02)
    return trainer


def test_orpo_and_dpo_losses_and_gradients_equal_those_of_the_rows_apart(preference_trainer):
    trainer = preference_trainer
    model = trainer.model
    model.train()
    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    rows_computed = []
    layer = decoder_layers(model)[0]
    handle = layer.register_forward_pre_hook(lambda m, a: rows_computed.append(a[0].shape[0]))

    def loss_and_grads(shares_prompts: bool):
        trainer.shares_prompts = shares_prompts
        model.zero_grad()
        rows_computed.clear()
        loss = trainer.compute_loss(model, batch)
        loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        return loss.detach(), grads, list(rows_computed)

    try:
        packed_loss, packed_grads, packed_rows = loss_and_grads(True)
        apart_loss, apart_grads, apart_rows = loss_and_grads(False)
    finally:
        handle.remove()
        trainer.shares_prompts = True
    # Four pairs: eight rows apart, four packed, in every pass (DPO: policy and reference).
    assert set(apart_rows) == {8} and set(packed_rows) == {4}
    assert len(packed_rows) == len(apart_rows)
    torch.testing.assert_close(packed_loss, apart_loss, rtol=1e-5, atol=1e-6)
    assert packed_grads.keys() == apart_grads.keys() and packed_grads
    for name in apart_grads:
        torch.testing.assert_close(packed_grads[name], apart_grads[name], rtol=1e-4, atol=1e-6)


def decoder_layers(model):
    return decoder_of(model).layers


def test_the_decoder_is_not_asked_for_every_layers_states(preference_trainer):
    # Each layer's states would be spread back from the packed layout; the losses need the last.
    trainer = preference_trainer
    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    asked = []
    handle = decoder_of(trainer.model).register_forward_hook(
        lambda module, args, output: asked.append(output.hidden_states is not None)
    )
    try:
        with torch.no_grad():
            trainer.compute_loss(trainer.model, batch)
    finally:
        handle.remove()
    assert asked and not any(asked)
