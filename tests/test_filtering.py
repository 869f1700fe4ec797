import pytest

from alignbench.data.filtering import deduplicate_validation, filter_splits, token_lengths
from alignbench.data.split import NothingLeftError
from tests.factories import make_row, make_rows


def test_token_lengths_use_the_chat_template(demo_tokenizer):
    row = make_row(system=True)
    prompt_len, total_len = token_lengths(row, demo_tokenizer)
    rendered = demo_tokenizer.apply_chat_template(
        row["chosen"][:-1], tokenize=False, add_generation_prompt=True
    )
    assert prompt_len == len(demo_tokenizer(rendered, add_special_tokens=False)["input_ids"])
    assert prompt_len < total_len < prompt_len + 10


def test_length_caps_remove_and_count(demo_tokenizer):
    short = make_row()
    long_prompt = make_row()
    long_prompt["chosen"][-2]["content"] = long_prompt["rejected"][-2]["content"] = "word " * 300
    long_answer = make_row()
    long_answer["rejected"][-1]["content"] = "chatter " * 300
    validation = [make_row(system=True)]
    validation[0]["chosen"][-2]["content"] = validation[0]["rejected"][-2]["content"] = "new"
    train, kept_validation, report = filter_splits(
        [short, long_prompt, long_answer], validation, demo_tokenizer, 200, 250
    )
    assert train == [short]
    assert kept_validation == validation
    assert report["length_filter"]["removed"]["train"] == {
        "prompt_too_long": 1,
        "total_too_long": 1,
    }
    assert report["final"] == {"train": 1, "validation": 1}


def test_validation_prompts_seen_in_training_or_repeated_are_removed():
    train = [make_row()]
    seen = make_row()
    fresh = make_row()
    fresh["chosen"][-2]["content"] = fresh["rejected"][-2]["content"] = "What is 7 + 1?"
    kept, removed = deduplicate_validation(train, [seen, fresh, fresh])
    assert kept == [fresh]
    assert removed == {"prompt_in_train": 1, "repeated_in_validation": 1}


def test_filtering_everything_away_is_a_clear_error(demo_tokenizer):
    with pytest.raises(NothingLeftError, match="max_prompt_tokens") as caught:
        filter_splits([make_row()], [make_row(system=True)], demo_tokenizer, 3, 4)
    assert "of 1 training rows, prompt_too_long 1; of 1 validation rows" in str(caught.value)
    assert caught.value.report["length_filter"]["removed"]["train"] == {"prompt_too_long": 1}


def test_validation_emptied_by_repeated_prompts_blames_them_not_the_caps(demo_tokenizer):
    train = make_rows(3)
    with pytest.raises(NothingLeftError) as caught:
        filter_splits(train, [train[0], train[1]], demo_tokenizer, 500, 500)
    message = str(caught.value)
    assert "3 training and 0 validation rows" in message
    assert "of 2 validation rows, prompt_in_train 2" in message
    assert "data.split.validation_fraction" in message and "max_prompt_tokens" not in message
    assert caught.value.report["validation_duplicates_removed"] == {"prompt_in_train": 2}
