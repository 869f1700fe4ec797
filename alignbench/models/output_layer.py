"""The output layer fed a contiguous input, so that a bf16 model on a CPU never copies its weight.

At the first step of ``generate``, transformers' causal-LM heads compute the logits of the last
position only (``logits_to_keep=1``): the output layer gets ``hidden_states[:, -1:, :]``, a strided
view. PyTorch's CPU ``linear`` runs such a strided 3-D bf16 input as a batched matmul whose weight
is first expanded and copied once per prompt of the batch: for the demo's batches of 20 prompts,
20 x 576 x 49,152 bf16 values (1.1 GB) at each batch's first step, about half of all generation
time (torch.profiler on 40 demo prompts: ``aten::copy_`` 4.8 of 11.6 s, most of it the two
batches' copies of shape [20, 576, 49152]). A contiguous copy of the input (20 x 576 values)
turns it into one matrix product: the demo's generation of 78 prompts went from 19-20 s to
12-13 s on one thread, with identical greedy answers in bf16 and fp32.
"""

from __future__ import annotations


def _contiguous_input(module, args):
    return (args[0].contiguous(), *args[1:])


def feed_output_layer_contiguous(model):
    """Make ``model``'s output layer receive contiguous hidden states; returns ``model``. A
    contiguous input is passed through untouched (``contiguous`` returns the tensor itself)."""
    head = model.get_output_embeddings()
    if head is not None:
        head.register_forward_pre_hook(_contiguous_input)
    return model
