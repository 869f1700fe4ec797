"""The memory benchmark's rows, one run on the tiny model, and a failed run in its table."""

import json

import pytest

from alignbench.data.filtering import token_lengths
from alignbench.data.schema import row_problem
from benchmarks import memory
from benchmarks.inputs import CONFIG


@pytest.mark.parametrize("length", [96, 256])
def test_joined_demo_rows_reach_towards_the_length_and_stay_within_it(demo_tokenizer, length):
    from alignbench.data.demo import generate_demo_rows

    rows = memory.joined_demo_rows(length, demo_tokenizer, count=6)
    single = max(max(token_lengths(row, demo_tokenizer)) for row in generate_demo_rows(12, 0))
    assert len(rows) == 6
    for row in rows:
        assert row_problem(row) is None
        longest = max(token_lengths(row, demo_tokenizer))
        assert longest <= length
        # Another demo row (at most `single` tokens, plus two separators) did not fit.
        assert longest > length - single - 4


def test_file_rows_are_read_in_their_layout_and_capped(tmp_path, demo_tokenizer):
    def openai_row(question, good, bad):
        return {
            "input": {"messages": [{"role": "user", "content": question}]},
            "preferred_output": [{"role": "assistant", "content": good}],
            "non_preferred_output": [{"role": "assistant", "content": bad}],
        }

    rows = [openai_row("What is 2 + 2?", "4.", "5."), openai_row("Say hi.", "Hi! " * 200, "No.")]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    kept = memory.file_rows(str(path), 64, demo_tokenizer)
    assert [row["chosen"][-1]["content"] for row in kept] == ["4."]


def arguments(tmp_path, base_model, **changes):
    return {
        "method": "orpo",
        "length": 96,
        "checkpointing": True,
        "steps": 1,
        "rows": None,
        "threads": 1,
        "config": str(CONFIG),
        "base_model": str(base_model),
        "work": str(tmp_path / "work"),
        **changes,
    }


def test_one_run_reports_its_peak_memory_and_losses(tmp_path, tiny_model_dir):
    run = memory.run_child(arguments(tmp_path, tiny_model_dir))
    assert "failed" not in run, run.get("failed")
    assert len(run["losses"]) == 1 and run["losses"][0] > 0
    assert run["peak_rss_bytes"] > 100e6  # torch alone is more than that
    # Each pair's prompt computed once: fewer positions than the two conversations' tokens.
    assert 0 < run["computed_real_tokens"] <= run["padded_tokens"] <= 8 * 2 * 96
    assert run["computed_real_tokens"] < run["real_tokens"] <= 8 * 2 * 96  # chosen + rejected
    (row,) = memory.rows_of([run])
    assert row[:3] == ("orpo", 96, "on") and row[3].endswith(" GB")


def test_a_failed_run_is_a_row_that_says_why(tmp_path):
    run = memory.run_child(arguments(tmp_path, tmp_path / "no-such-model", method="sft"))
    assert "failed" in run
    (row,) = memory.rows_of([run])
    assert row[:4] == ("sft", 96, "on", "failed") and row[4]


def test_too_few_rows_within_the_length_is_a_failure_that_counts_them(tmp_path, tiny_model_dir):
    row = {"prompt": "Hi?", "chosen": "Hello.", "rejected": "Go away."}
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(row) + "\n")
    run = memory.run_child(arguments(tmp_path, tiny_model_dir, rows=str(path)))
    assert "has 1 rows within 96 tokens; one step takes 8" in run["failed"]
