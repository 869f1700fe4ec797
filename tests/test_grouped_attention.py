"""Grouped eager attention computes what transformers' eager attention computes, without
copying keys and values: outputs, gradients and greedy generations."""

from __future__ import annotations

import pytest
import torch

from alignbench.models.grouped_attention import GROUPED_EAGER, register_grouped_eager
from tests.factories import tiny_llama


def left_padded_batch():
    """Three rows of different lengths, padded on the left as generation pads them."""
    generator = torch.Generator().manual_seed(1)
    input_ids = torch.randint(1, 64, (3, 9), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, :4] = 0
    attention_mask[2, :7] = 0
    return input_ids, attention_mask


def logits_and_gradients(model, input_ids, attention_mask):
    model.zero_grad()
    logits = model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits
    targets = input_ids[:, 1:, None]
    logps = logits[:, :-1].log_softmax(-1).gather(-1, targets)[..., 0]
    (logps * attention_mask[:, 1:]).sum().backward()
    kept = attention_mask.bool()
    return logits[kept].detach(), [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize(("query_heads", "kv_heads"), [(6, 2), (4, 4), (6, 1)])
def test_outputs_and_gradients_match_eager_attention(query_heads, kv_heads):
    eager = tiny_llama("eager", query_heads, kv_heads)
    grouped = tiny_llama(GROUPED_EAGER, query_heads, kv_heads)
    grouped.load_state_dict(eager.state_dict())
    batch = left_padded_batch()
    eager_logits, eager_grads = logits_and_gradients(eager, *batch)
    grouped_logits, grouped_grads = logits_and_gradients(grouped, *batch)
    torch.testing.assert_close(grouped_logits, eager_logits, rtol=1e-5, atol=1e-5)
    for grouped_grad, eager_grad in zip(grouped_grads, eager_grads, strict=True):
        torch.testing.assert_close(grouped_grad, eager_grad, rtol=1e-4, atol=1e-6)


def test_greedy_generation_with_a_cache_matches_eager_attention():
    eager = tiny_llama("eager", 6, 2).eval()
    grouped = tiny_llama(GROUPED_EAGER, 6, 2).eval()
    grouped.load_state_dict(eager.state_dict())
    input_ids, attention_mask = left_padded_batch()
    outputs = [
        model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            max_new_tokens=12,
            do_sample=False,
            pad_token_id=0,
        )
        for model in (eager, grouped)
    ]
    assert outputs[1].shape == (3, 9 + 12)
    assert torch.equal(outputs[1], outputs[0])


def test_a_model_loads_with_grouped_eager_attention_and_attends_with_it(tiny_model_dir):
    from transformers import AttentionInterface

    from alignbench.models.grouped_attention import grouped_eager_attention_forward
    from alignbench.models.loading import load_base_model

    model = load_base_model(tiny_model_dir, "fp32", GROUPED_EAGER)
    assert model.config._attn_implementation == GROUPED_EAGER
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return grouped_eager_attention_forward(*args, **kwargs)

    AttentionInterface.register(GROUPED_EAGER, counted)
    try:
        with torch.no_grad():
            model(input_ids=torch.tensor([[1, 2, 3]]))
    finally:
        register_grouped_eager()
    assert len(calls) == model.config.num_hidden_layers


def test_attention_it_does_not_compute_is_refused_with_the_setting_to_use():
    from alignbench.models.grouped_attention import grouped_eager_attention_forward

    model = tiny_llama(GROUPED_EAGER)
    attention = model.get_decoder().layers[0].self_attn
    query, key = torch.zeros(1, 4, 3, 8), torch.zeros(1, 2, 3, 8)
    with pytest.raises(
        ValueError, match="does not compute softcap.*set model.attn_implementation to eager"
    ):
        grouped_eager_attention_forward(attention, query, key, key, None, 1.0, softcap=50.0)
    output, weights = grouped_eager_attention_forward(
        attention, query, key, key, None, 1.0, softcap=None
    )
    assert output.shape == (1, 3, 4, 8) and weights.shape == (1, 4, 3, 3)
