"""A preference pair's two conversations in one sequence, their shared start computed once.

Preference training (ORPO, DPO) and held-out preference scoring run a model over a batch of 2B
rows: B chosen conversations, then the B rejected ones, each pair starting with the same prompt.
A causal model's hidden state at a token depends only on the tokens up to it, so the tokens both
conversations of a pair start with (the prompt, and any first answer tokens the two share) have
the same hidden states in both rows: computing them twice is only work. On the demo's rows the
prompts (chat template and system prompt included) are most of the tokens.

Within :func:`prompt_once`, the decoder (the module holding the embeddings and the layers) gets
each pair as one sequence instead: the chosen conversation, then what of the rejected one
follows the shared tokens, numbered from where it parts from the chosen one, and attending to the
shared tokens but not to the chosen answer (a 4-D mask). Its output is then spread back into the
2B-row layout the caller asked for, so losses, the output layer and the logs see the batch they
expect; under autograd, a hidden state both rows share gets the gradient of both. The results are
those of the two rows apart, up to the order of the sums (``tests/test_pair_packing.py``).

Attention that takes no custom mask (flash-attention reads only padding masks) or a sliding
window keeps the rows apart, as does any batch that is not two right-padded halves.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

from alignbench.models.hardware import takes_custom_attention_masks


class PairLayout(NamedTuple):
    """How a batch of 2B rows (chosen, then rejected) is packed into B rows, and back."""

    input_ids: object  # B x W packed tokens
    position_ids: object  # B x W, each token's position in its own conversation
    allowed: object  # B x 1 x W x W, True where a position may attend to another
    unpacked: object  # 2B x L: the packed flat index (row * W + position) of each row's token
    shared: object  # B: tokens each pair's conversations start with


def shared_prefix_lengths(input_ids, attention_mask):
    """Tokens each chosen row (the first half) shares from its start with its rejected row (the
    second half), within both rows' real tokens."""
    import torch

    pairs = input_ids.shape[0] // 2
    lengths = attention_mask.sum(-1)
    both = torch.minimum(lengths[:pairs], lengths[pairs:])
    positions = torch.arange(input_ids.shape[1], device=input_ids.device)
    same = (input_ids[:pairs] == input_ids[pairs:]) & (positions < both[:, None])
    return same.long().cumprod(-1).sum(-1)


def right_padded_halves(input_ids, attention_mask) -> bool:
    """Whether the batch has an even number of rows whose masks are ones, then zeros."""
    import torch

    if attention_mask is None or attention_mask.dim() != 2 or input_ids.shape[0] % 2:
        return False
    positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
    expected = positions < attention_mask.sum(-1, keepdim=True)
    return bool((attention_mask.bool() == expected).all())


def pair_layout(input_ids, attention_mask) -> PairLayout:
    """The packed form of a batch of right-padded rows, chosen rows first then rejected rows."""
    import torch

    pairs, length = input_ids.shape[0] // 2, input_ids.shape[1]
    lengths = attention_mask.sum(-1)
    chosen, rejected = lengths[:pairs, None], lengths[pairs:, None]
    shared = shared_prefix_lengths(input_ids, attention_mask)[:, None]
    packed_lengths = chosen + rejected - shared
    width = int(packed_lengths.max())
    j = torch.arange(width, device=input_ids.device)[None]  # packed position
    in_chosen, real = j < chosen, j < packed_lengths
    # Token j of the rejected part is the rejected row's token j - chosen + shared.
    from_rejected = (j - chosen + shared).clamp(0, length - 1)
    packed_ids = torch.where(
        in_chosen,
        input_ids[:pairs].gather(1, j.clamp(max=length - 1).expand(pairs, -1)),
        input_ids[pairs:].gather(1, from_rejected.expand(pairs, -1)),
    )
    # Padding takes token 0 of its row; nothing real attends to it (it comes last).
    packed_ids = torch.where(real, packed_ids, packed_ids[:, :1])
    position_ids = torch.where(in_chosen, j, j - chosen + shared)

    query, key = j[..., :, None], j[..., None, :]
    sees_chosen_answer = (key >= shared[..., None]) & (key < chosen[..., None])
    allowed = (key <= query) & ~((query >= chosen[..., None]) & sees_chosen_answer)

    t = torch.arange(length, device=input_ids.device)[None]
    row_start = torch.arange(pairs, device=input_ids.device)[:, None] * width
    chosen_index = row_start + t.clamp(max=width - 1)
    rejected_index = row_start + torch.where(t < shared, t, t + chosen - shared).clamp(
        max=width - 1
    )
    return PairLayout(
        input_ids=packed_ids,
        position_ids=position_ids,
        allowed=allowed[:, None],
        unpacked=torch.cat([chosen_index, rejected_index]),
        shared=shared[:, 0],
    )


def attention_mask_for(allowed, attention: str, dtype):
    """The 4-D mask the decoder passes through to its attention as given: SDPA takes a boolean
    one (True: attend); eager attention adds it to the scores, so 0 or the dtype's minimum."""
    import torch

    if attention == "sdpa":
        return allowed
    return torch.zeros(allowed.shape, dtype=dtype, device=allowed.device).masked_fill(
        ~allowed, torch.finfo(dtype).min
    )


def unpack(hidden, layout: PairLayout):
    """Packed B x W x H states back in the 2B x L layout (padding positions hold some state of
    their row, which no loss reads)."""
    flat = hidden.flatten(0, 1)
    rows, length = layout.unpacked.shape
    return flat.index_select(0, layout.unpacked.flatten()).view(rows, length, -1)


@contextlib.contextmanager
def prompt_once(decoder):
    """Within this context, ``decoder`` computes each chosen/rejected pair's shared tokens once
    (see the module's docstring); calls it cannot pack go through unchanged."""
    layouts: list = []

    def pack(module, args, kwargs):
        # Only calls that name their inputs (TRL's, and the causal LM's call of its decoder).
        input_ids = kwargs.get("input_ids")
        attention_mask = kwargs.get("attention_mask")
        packable = (
            not args
            and input_ids is not None
            and kwargs.get("inputs_embeds") is None
            and kwargs.get("position_ids") is None
            and kwargs.get("cache", kwargs.get("past_key_values")) is None
            and right_padded_halves(input_ids, attention_mask)
        )
        layout = pair_layout(input_ids, attention_mask) if packable else None
        if layout is not None and int(layout.shared.sum()) == 0:
            layout = None  # nothing shared: nothing to save
        layouts.append(layout)
        if layout is None:
            return None
        weight = module.get_input_embeddings().weight
        dtype = weight.dtype if weight.is_floating_point() else module.dtype
        kwargs = dict(kwargs)
        kwargs.update(
            input_ids=layout.input_ids,
            position_ids=layout.position_ids,
            attention_mask=attention_mask_for(
                layout.allowed, module.config._attn_implementation, dtype
            ),
            use_cache=False,
        )
        return args, kwargs

    def spread(module, args, kwargs, output):
        layout = layouts.pop()
        if layout is None:
            return None
        output.last_hidden_state = unpack(output.last_hidden_state, layout)
        if getattr(output, "hidden_states", None) is not None:
            output.hidden_states = tuple(unpack(h, layout) for h in output.hidden_states)
        return output

    if not takes_custom_attention_masks(decoder.config):
        yield
        return
    handles = (
        decoder.register_forward_pre_hook(pack, with_kwargs=True),
        decoder.register_forward_hook(spread, with_kwargs=True),
    )
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def decoder_of(model):
    """The decoder module of a (PEFT-wrapped) causal LM."""
    if hasattr(model, "get_base_model"):
        model = model.get_base_model()
    return model.get_decoder()
