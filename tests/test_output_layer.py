import pytest

from alignbench.evaluation.generate import generate_answers
from alignbench.models.loading import load_base_model, load_tokenizer, load_variant
from alignbench.models.output_layer import feed_output_layer_contiguous
from tests.test_generate import rows_with_prompts

DECODING = {"max_new_tokens": 4, "batch_size": 3, "do_sample": False}


def output_layer_inputs(model, tokenizer, rows) -> tuple[list[bool], list[str]]:
    """Whether each call of the output layer got a contiguous input, and the answers."""
    seen = []
    hook = model.get_output_embeddings().register_forward_pre_hook(
        lambda module, args: seen.append(args[0].is_contiguous())
    )
    try:
        answers = [r["generation"] for r in generate_answers(model, tokenizer, rows, DECODING)]
    finally:
        hook.remove()
    return seen, answers


@pytest.mark.parametrize("precision", ["bf16", "fp32"])
def test_generation_feeds_the_output_layer_contiguous_inputs_with_the_same_answers(
    tiny_model_dir, precision
):
    tokenizer = load_tokenizer(tiny_model_dir)
    rows = rows_with_prompts(["Hi", "What is two plus three, please?", "Add 2 and 3 " * 3])
    plain = load_base_model(tiny_model_dir, precision, "eager").eval()
    plain_seen, plain_answers = output_layer_inputs(plain, tokenizer, rows)
    # The installed transformers slices the last position out of the prompt's hidden states:
    # the first step of each batch hands the output layer a strided view.
    assert plain_seen[0] is False
    fed_seen, fed_answers = output_layer_inputs(
        load_variant(tiny_model_dir, [], precision), tokenizer, rows
    )
    assert len(fed_seen) == len(plain_seen) and all(fed_seen)
    assert fed_answers == plain_answers


def test_a_model_without_an_output_layer_is_left_alone():
    class Encoder:
        def get_output_embeddings(self):
            return None

    encoder = Encoder()
    assert feed_output_layer_contiguous(encoder) is encoder
