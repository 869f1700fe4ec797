"""A preference pair packed into one sequence gives the hidden states and gradients of its two
conversations apart."""

from __future__ import annotations

import pytest
import torch

from alignbench.evaluation.preferences import right_padded
from alignbench.models.pair_packing import (
    pair_layout,
    prompt_once,
    right_padded_halves,
    shared_prefix_lengths,
)
from tests.factories import tiny_llama

# Chosen rows, then their rejected rows: a shared prompt with different answers, one answer the
# start of the other, two identical conversations, and a pair that shares nothing.
CHOSEN = [[5, 6, 7, 8, 9, 10], [5, 6, 7, 1], [11, 12, 13, 14], [40, 41, 42]]
REJECTED = [[5, 6, 7, 2, 3, 4, 20, 21, 22, 23], [5, 6, 7, 1, 9], [11, 12, 13, 14], [50, 51]]


def test_the_layout_shares_the_common_start_and_hides_the_chosen_answer():
    input_ids, attention_mask = right_padded(CHOSEN + REJECTED, 0)
    assert shared_prefix_lengths(input_ids, attention_mask).tolist() == [3, 4, 4, 0]
    layout = pair_layout(input_ids, attention_mask)
    # Pair 0: the chosen conversation, then the rejected one after its 3 shared tokens,
    # numbered from 3 on.
    assert layout.input_ids[0].tolist() == [5, 6, 7, 8, 9, 10, 2, 3, 4, 20, 21, 22, 23]
    assert layout.position_ids[0].tolist() == [0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7, 8, 9]
    allowed = layout.allowed[0, 0]
    assert allowed[6].tolist() == [True] * 3 + [False] * 3 + [True] + [False] * 6
    assert allowed[5].tolist() == [True] * 6 + [False] * 7  # the chosen answer: causal
    # Pair 3 shares nothing: the rejected tokens see only themselves.
    assert layout.input_ids[3, :5].tolist() == [40, 41, 42, 50, 51]
    assert layout.allowed[3, 0, 4, :5].tolist() == [False, False, False, True, True]
    # Back in the trainer's layout, each row's real tokens come from where they were packed.
    flat = layout.input_ids.flatten()
    unpacked = flat[layout.unpacked]
    assert torch.equal(unpacked * attention_mask, input_ids)


@pytest.mark.parametrize("attention", ["eager", "grouped_eager", "sdpa"])
def test_packed_pairs_give_the_hidden_states_and_gradients_of_rows_apart(attention):
    model = tiny_llama(attention)
    input_ids, attention_mask = right_padded(CHOSEN + REJECTED, 0)

    def forward_and_backward():
        model.zero_grad()
        outputs = model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            output_hidden_states=True,
            use_cache=False,
        )
        targets = input_ids[:, 1:, None]
        logps = outputs.logits[:, :-1].log_softmax(-1).gather(-1, targets)[..., 0]
        (logps * attention_mask[:, 1:]).sum().backward()
        grads = [p.grad.clone() for p in model.parameters()]
        hidden = outputs.hidden_states[-1] * attention_mask[..., None]
        return hidden.detach(), logps.detach() * attention_mask[:, 1:], grads

    apart = forward_and_backward()
    computed = []
    layer = model.get_decoder().layers[0]
    handle = layer.register_forward_pre_hook(lambda m, a: computed.append(a[0].shape[:2]))
    with prompt_once(model.get_decoder()):
        packed = forward_and_backward()
    handle.remove()
    # The layers saw one row per pair, 6 + 10 - 3 = 13 positions wide.
    assert computed == [torch.Size([4, 13])]
    torch.testing.assert_close(packed[0], apart[0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(packed[1], apart[1], rtol=1e-5, atol=1e-5)
    for packed_grad, apart_grad in zip(packed[2], apart[2], strict=True):
        torch.testing.assert_close(packed_grad, apart_grad, rtol=1e-4, atol=1e-5)


def test_batches_that_are_not_two_right_padded_halves_go_through_unchanged():
    model = tiny_llama("eager")
    input_ids, attention_mask = right_padded(CHOSEN + REJECTED[:3], 0)  # 7 rows
    assert not right_padded_halves(input_ids, attention_mask)
    left_padded = attention_mask.flip(-1)
    assert not right_padded_halves(input_ids[:6], left_padded[:6])
    seen = []
    layer = model.get_decoder().layers[0]
    layer.register_forward_pre_hook(lambda m, a: seen.append(a[0].shape[0]))
    with prompt_once(model.get_decoder()), torch.no_grad():
        model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
        model(input_ids=input_ids[:6], attention_mask=left_padded[:6], use_cache=False)
    assert seen == [7, 6]


def test_attention_without_custom_masks_keeps_the_rows_apart():
    model = tiny_llama("eager")
    model.config._attn_implementation = "flash_attention_2"  # reads padding masks only
    decoder = model.get_decoder()
    with prompt_once(decoder):
        assert not decoder._forward_pre_hooks
