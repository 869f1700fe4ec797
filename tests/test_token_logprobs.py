"""Next-token log-probabilities with the gradient taken in the forward pass equal autograd's
through a full log-softmax, values and gradients, for any loss built on them."""

import pytest
import torch

from alignbench.train.token_logprobs import (
    EXTRA_OUTPUTS,
    chunk_rows,
    next_token_logps,
    takes_the_shortcut,
    token_statistics,
)


def frozen_head(hidden_size=8, vocabulary=50, bias=False):
    torch.manual_seed(0)
    head = torch.nn.Linear(hidden_size, vocabulary, bias=bias)
    head.weight.requires_grad_(False)
    return head


def reference(head, hidden, targets):
    logits = head(hidden).float()
    return logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1), logits


@pytest.mark.parametrize("rows_per_chunk", [1, 5, 21, 64], ids=lambda n: f"{n}-rows")
def test_values_and_gradients_match_autograd_through_a_full_log_softmax(rows_per_chunk):
    head = frozen_head()
    hidden = torch.randn(21, 8, requires_grad=True)
    targets = torch.randint(0, 50, (21,))
    # A loss that is not a plain sum: each position's gradient is scaled differently.
    weights = torch.randn(21)

    logps, logit_sums = next_token_logps(head, hidden, targets, rows_per_chunk)
    (weights * logps).sum().square().backward()
    fused_grad, hidden.grad = hidden.grad.clone(), None

    expected, logits = reference(head, hidden, targets)
    (weights * expected).sum().square().backward()

    torch.testing.assert_close(logps, expected)
    # Summed through log p + logsumexp: rounding of a different order (a logged quantity).
    torch.testing.assert_close(logit_sums, logits.detach().sum(-1), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(fused_grad, hidden.grad)
    assert not logit_sums.requires_grad


def test_under_bf16_autocast_it_agrees_with_autograd_to_bf16_rounding():
    head = frozen_head(64, 500)
    hidden = torch.randn(40, 64, requires_grad=True)
    targets = torch.randint(0, 500, (40,))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logps, _ = next_token_logps(head, hidden, targets, 16)
        logps.sum().backward()
        fused_grad, hidden.grad = hidden.grad.clone(), None
        expected, _ = reference(head, hidden, targets)
        expected.sum().backward()

    assert logps.dtype == torch.float32
    # The same bf16 logits feed both log-softmaxes: the values agree to fp32 rounding.
    torch.testing.assert_close(logps, expected)
    # Both gradients come out of a bf16 product, rounded at different places.
    torch.testing.assert_close(
        fused_grad, hidden.grad, rtol=2e-2, atol=2e-2 * hidden.grad.abs().max()
    )


@pytest.mark.parametrize("trainable", ["weight", "bias"])
def test_a_trainable_or_biased_output_layer_takes_the_plain_path(trainable):
    head = frozen_head(bias=trainable == "bias")
    head.weight.requires_grad_(trainable == "weight")
    assert not takes_the_shortcut(head)
    hidden = torch.randn(6, 8)
    targets = torch.randint(0, 50, (6,))

    logps, _ = next_token_logps(head, hidden, targets)
    logps.sum().backward()

    expected, _ = reference(head, hidden, targets)
    torch.testing.assert_close(logps, expected)
    trained = head.weight if trainable == "weight" else head.bias
    assert trained.grad is not None and trained.grad.abs().sum() > 0


def test_chunks_hold_a_bounded_number_of_logits():
    cpu = torch.device("cpu")
    assert chunk_rows(cpu, 49_152) * 49_152 <= 1 << 22
    assert chunk_rows(cpu, 128_256) >= 16
    assert chunk_rows(cpu, 1 << 30) == 1
    assert chunk_rows(torch.device("cuda"), 128_256) > chunk_rows(cpu, 128_256)


def test_the_extra_outputs_match_their_definitions():
    head = frozen_head(8, 50)
    # Two identical rows of the output layer: tied maxima, of which argmax picks the first.
    head.weight[7] = head.weight[3] = 3 * head.weight[3]
    hidden = torch.randn(21, 8, requires_grad=True)
    hidden.data[:4] = head.weight[3]  # positions where tokens 3 and 7 tie for the maximum
    targets = torch.randint(0, 50, (21,))
    targets[:2], targets[2:4] = 3, 7

    statistics = token_statistics(hidden, head.weight, targets, EXTRA_OUTPUTS, rows_per_chunk=5)

    logits = head(hidden).detach().float()
    log_probs = logits.log_softmax(-1)
    torch.testing.assert_close(statistics.entropy, -(log_probs.exp() * log_probs).sum(-1))
    torch.testing.assert_close(
        statistics.log_sum_sq_probs, (2 * log_probs).exp().sum(-1).log(), rtol=1e-5, atol=1e-5
    )
    assert torch.equal(statistics.is_top1, logits.argmax(-1) == targets)
    assert statistics.is_top1[:2].all() and not statistics.is_top1[2:4].any()
    assert not statistics.log_sum_sq_probs.requires_grad


def test_without_gradient_the_values_are_the_same():
    head = frozen_head()
    hidden = torch.randn(21, 8, requires_grad=True)
    targets = torch.randint(0, 50, (21,))
    with_gradient = token_statistics(hidden, head.weight, targets, EXTRA_OUTPUTS, 5)
    with torch.no_grad():
        without = token_statistics(hidden, head.weight, targets, EXTRA_OUTPUTS, 5)
    for got, expected in zip(without, with_gradient, strict=True):
        torch.testing.assert_close(got, expected.detach())
    assert not without.logps.requires_grad


def test_an_unknown_output_is_refused():
    head = frozen_head()
    with pytest.raises(ValueError, match="unknown per-position outputs"):
        token_statistics(torch.randn(2, 8), head.weight, torch.tensor([1, 2]), ("perplexity",))
