"""On CPU, TRL's fused output layer scores only labelled positions and takes the gradient in the
forward pass, with unchanged results."""

import pytest
import torch

from alignbench.train import token_logprobs
from alignbench.train.fused_head import (
    score_labelled_positions_on_cpu,
    take_gradient_in_forward_pass_on_cpu,
)

EVERY_OUTPUT = ("log_probs", "entropy", "log_sum_sq_probs", "mean_logits", "is_top1")


def fused_outputs(model, batch):
    """TRL's fused forward: every per-token output, the loss, and the loss's gradients."""
    model.zero_grad()
    out = model(**batch, fused_lm_head=True)
    out.loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    values = {name: getattr(out, name) for name in EVERY_OUTPUT if getattr(out, name) is not None}
    values["loss"] = out.loss
    return {name: value.detach() for name, value in values.items()}, grads


@pytest.fixture
def trl_as_installed(monkeypatch):
    """TRL's own choices, even where an earlier test's trainer already swapped them; the state
    before the test is restored after it."""
    from trl.trainer import utils

    for name in ("_use_triton", "_ChunkedLogProbFunction"):
        current = getattr(utils, name)
        monkeypatch.setattr(utils, name, getattr(current, "original", current))
    return utils


@pytest.fixture
def statistics_calls(monkeypatch):
    """How many times the forward-gradient path ran."""
    calls = []
    original = token_logprobs.token_statistics

    def counted(*args, **kwargs):
        calls.append(args[0].shape)
        return original(*args, **kwargs)

    monkeypatch.setattr(token_logprobs, "token_statistics", counted)
    return calls


def tiny_batch(model):
    torch.manual_seed(1)
    input_ids = torch.randint(3, model.config.vocab_size, (3, 12))
    attention_mask = torch.ones_like(input_ids)
    attention_mask[0, 9:] = 0  # right padding
    labels = input_ids.masked_fill(attention_mask == 0, -100)
    labels[:, :5] = -100  # a prompt: no loss there
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def fused_model(model_dir, utils, freeze_head: bool, **fused_options):
    from alignbench.models.loading import load_base_model

    torch.manual_seed(0)
    model = load_base_model(str(model_dir), "fp32", "eager")
    # LoRA's case: the output layer (tied to the embeddings in this model) is frozen.
    model.get_output_embeddings().weight.requires_grad_(not freeze_head)
    utils.add_fused_lm_head(model, outputs=EVERY_OUTPUT, **fused_options)
    return model


def assert_same(got, expected, value_tolerance=None, grad_tolerance=None):
    (values, grads), (expected_values, expected_grads) = got, expected
    assert values.keys() == expected_values.keys()
    for name, value in expected_values.items():
        torch.testing.assert_close(values[name], value, **(value_tolerance or {}), msg=name)
    assert grads.keys() == expected_grads.keys() and grads
    for name, grad in expected_grads.items():
        torch.testing.assert_close(grads[name], grad, **(grad_tolerance or {}), msg=name)


def test_scoring_only_labelled_positions_changes_no_value_or_gradient(
    tiny_model_dir, trl_as_installed
):
    utils = trl_as_installed
    model = fused_model(tiny_model_dir, utils, freeze_head=False)
    batch = tiny_batch(model)
    assert not utils._use_triton(torch.device("cpu"))
    every_position = fused_outputs(model, batch)

    assert score_labelled_positions_on_cpu()
    assert score_labelled_positions_on_cpu()  # a second call keeps the one swap
    assert utils._use_triton(torch.device("cpu"))
    labelled_only = fused_outputs(model, batch)

    assert_same(
        labelled_only, every_position, {"rtol": 1e-5, "atol": 1e-6}, {"rtol": 1e-4, "atol": 1e-6}
    )


@pytest.mark.parametrize("precision", ["fp32", "bf16-autocast"])
def test_the_gradient_taken_in_the_forward_pass_changes_no_value_or_gradient(
    tiny_model_dir, trl_as_installed, statistics_calls, precision
):
    utils = trl_as_installed
    assert score_labelled_positions_on_cpu()
    model = fused_model(tiny_model_dir, utils, freeze_head=True)
    batch = tiny_batch(model)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision != "fp32")
    with autocast:
        trl_own = fused_outputs(model, batch)
    assert not statistics_calls

    assert take_gradient_in_forward_pass_on_cpu()
    assert take_gradient_in_forward_pass_on_cpu()  # a second call keeps the one swap
    with autocast:
        forward_gradient = fused_outputs(model, batch)
    assert statistics_calls, "the forward-gradient path did not run"

    if precision == "fp32":
        # TRL sums exponentials tile by tile: rounding of another order.
        assert_same(
            forward_gradient, trl_own, {"rtol": 1e-5, "atol": 1e-5}, {"rtol": 1e-4, "atol": 1e-6}
        )
    else:
        # The same bf16 logits feed both; the gradients leave a bf16 product rounded elsewhere.
        values, grads = forward_gradient
        for name, value in trl_own[0].items():
            torch.testing.assert_close(values[name], value, rtol=1e-4, atol=1e-4, msg=name)
        for name, grad in trl_own[1].items():
            scale = grad.abs().max()
            torch.testing.assert_close(grads[name], grad, rtol=3e-2, atol=3e-2 * scale, msg=name)


def test_other_calls_go_to_trls_function(tiny_model_dir, trl_as_installed, statistics_calls):
    """A trainable output layer, or a temperature, is TRL's function's to handle."""
    utils = trl_as_installed
    assert score_labelled_positions_on_cpu() and take_gradient_in_forward_pass_on_cpu()
    trainable = fused_model(tiny_model_dir, utils, freeze_head=False)
    fused_outputs(trainable, tiny_batch(trainable))
    assert trainable.get_output_embeddings().weight.grad is not None
    warm = fused_model(tiny_model_dir, utils, freeze_head=True, temperature=0.7)
    fused_outputs(warm, tiny_batch(warm))
    assert not statistics_calls


def test_a_loss_on_the_entropy_fails_instead_of_training_wrongly(tiny_model_dir, trl_as_installed):
    utils = trl_as_installed
    assert score_labelled_positions_on_cpu() and take_gradient_in_forward_pass_on_cpu()
    model = fused_model(tiny_model_dir, utils, freeze_head=True)
    out = model(**tiny_batch(model), fused_lm_head=True)
    with pytest.raises(RuntimeError, match="Detach the entropy"):
        (out.loss + out.entropy.sum()).backward()


@pytest.mark.parametrize(
    ("name", "swap"),
    [
        ("_use_triton", score_labelled_positions_on_cpu),
        ("_ChunkedLogProbFunction", take_gradient_in_forward_pass_on_cpu),
    ],
)
def test_a_trl_without_the_name_is_left_alone_with_a_warning(
    trl_as_installed, monkeypatch, caplog, name, swap
):
    monkeypatch.delattr(trl_as_installed, name)
    assert not swap()
    assert not hasattr(trl_as_installed, name)
    assert f"trl.trainer.utils has no {name}" in caplog.text
