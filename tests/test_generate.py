import pytest

from alignbench.data.chat import render_prompt
from alignbench.evaluation.generate import (
    generate_answers,
    generate_dropping_finished,
    length_sorted_batches,
    split_new_tokens,
)
from alignbench.models.loading import load_variant
from tests.factories import make_row, tiny_llama


def test_batches_are_sorted_by_length_and_cover_every_index_once():
    lengths = [5, 1, 9, 3, 9, 2, 7]
    batches = list(length_sorted_batches(lengths, 3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert sorted(i for b in batches for i in b) == list(range(7))
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths, reverse=True)


@pytest.mark.parametrize(
    ("tokens", "answer", "stopped"),
    [
        ([5, 6, 2, 2, 2], [5, 6], True),  # stopped, then padded with the pad (= EOS) token
        ([5, 6, 7], [5, 6, 7], False),  # hit the token limit
        ([2, 9], [], True),  # EOS straight away
        ([5, 3, 8], [5], True),  # a second EOS id from the generation config
    ],
)
def test_only_tokens_before_the_first_eos_are_the_answer(tokens, answer, stopped):
    assert split_new_tokens(tokens, eos_ids={2, 3}) == (answer, stopped)


def rows_with_prompts(prompts):
    rows = []
    for i, prompt in enumerate(prompts):
        row = make_row(system=i % 2 == 0)
        row["chosen"][-2]["content"] = row["rejected"][-2]["content"] = prompt
        rows.append({"id": f"row-{i}", "task": "arithmetic", "answer": "5", **row})
    return rows


def test_batched_generation_matches_one_at_a_time_and_excludes_the_prompt(tiny_model_dir):
    from alignbench.models.loading import load_tokenizer

    model = load_variant(tiny_model_dir, [], "fp32")
    tokenizer = load_tokenizer(tiny_model_dir)
    rows = rows_with_prompts(["Hi", "What is two plus three, please?", "Add 2 and 3 " * 5, "Ok"])
    decoding = {"max_new_tokens": 6, "batch_size": 4, "do_sample": False}
    batched = generate_answers(model, tokenizer, rows, decoding)
    single = generate_answers(model, tokenizer, rows, {**decoding, "batch_size": 1})
    assert [r["generation"] for r in batched] == [r["generation"] for r in single]
    assert [r["id"] for r in batched] == [r["id"] for r in rows]
    for record, row in zip(batched, rows, strict=True):
        assert 0 <= record["new_tokens"] <= 6
        assert record["stopped_on_eos"] or record["new_tokens"] == 6
        assert record["messages"] == row["chosen"][:-1]
        assert record["reference"] == "5."
        assert record["answer"] == "5"
        # The rendered prompt ends with the assistant header, never inside the answer.
        assert tokenizer.decode(render_prompt(tokenizer, record["messages"])).endswith(
            "<|im_start|>assistant\n"
        )


def left_padded_prompts():
    """Five random prompts, two of them left-padded, whose greedy answers from ``tiny_llama``
    (all different) contain the token 10 or 40 after 5, 6, 6, never and 5 tokens."""
    import torch

    torch.manual_seed(1)
    input_ids = torch.randint(1, 64, (5, 7))
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, :3] = attention_mask[3, :5] = 0
    input_ids[attention_mask == 0] = 0
    return input_ids, attention_mask


@pytest.mark.parametrize(
    ("every", "generate_kwargs", "last_rows"),
    [
        (1, {}, 1),
        (2, {}, 1),
        # A static cache cannot drop rows: the three rows going on after five tokens finish
        # in one call, their cache computed anew.
        (5, {"cache_implementation": "static"}, 3),
    ],
)
def test_dropping_finished_rows_gives_the_answers_of_one_generate_call(
    every, generate_kwargs, last_rows
):
    import torch

    model = tiny_llama("grouped_eager").eval()
    input_ids, attention_mask = left_padded_prompts()
    eos = {10, 40}
    settings = {"pad_token_id": 0, "do_sample": False}
    with torch.inference_mode():
        whole = model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            max_new_tokens=12,
            eos_token_id=sorted(eos),
            **settings,
        )[:, input_ids.shape[1] :].tolist()
        rows_computed = []
        model.register_forward_pre_hook(
            lambda module, args, kwargs: rows_computed.append(kwargs["input_ids"].shape[0]),
            with_kwargs=True,
        )
        dropping = generate_dropping_finished(
            model, input_ids, attention_mask, 12, eos, every, **settings, **generate_kwargs
        )
    answers = [split_new_tokens(tokens, eos) for tokens in whole]
    assert [split_new_tokens(tokens, eos) for tokens in dropping] == answers
    assert [stopped for _, stopped in answers] == [True, True, True, False, True]
    assert len({tuple(answer) for answer, _ in answers}) == 5
    # Each forward pass makes one new token; only the row that never stops makes the last ones.
    assert len(rows_computed) == 12
    assert rows_computed[0] == 5
    assert rows_computed[-1] == last_rows


def test_asking_for_more_held_out_rows_than_exist_uses_all_and_says_so(tmp_path, caplog):
    from alignbench.evaluation.heldout import first_heldout_rows
    from alignbench.io import write_jsonl

    path = tmp_path / "validation.jsonl"
    write_jsonl(path, [{"id": str(i)} for i in range(3)])
    assert [r["id"] for r in first_heldout_rows(path, 2, "generation.prompts")] == ["0", "1"]
    assert not caplog.records
    assert len(first_heldout_rows(path, 40, "generation.prompts")) == 3
    assert "generation.prompts asks for 40 rows but the validation set holds 3" in caplog.text
    assert len(first_heldout_rows(path, None, "evaluation.preference_pairs")) == 3  # null: all
