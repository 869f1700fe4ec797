"""Bad data files: each fails with a message naming the file, the line or row (or the counts by
reason) and the config key to change, or is read with its bad lines counted."""

from __future__ import annotations

import json
import logging

import pytest

from alignbench.data.filtering import filter_splits
from alignbench.data.sources import load_raw_rows, source_name
from alignbench.data.split import NothingLeftError, make_split
from tests.factories import make_rows


def jsonl(rows) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def parquet(rows):
    def write(path):
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)

    return write


def without(fields, rows):
    return [{k: v for k, v in row.items() if k not in fields} for row in rows]


def latin1_line() -> bytes:
    lines = jsonl(make_rows(4)).splitlines(keepends=True)
    lines[2] = lines[2].replace(b'"source": "test"', '"source": "caf\u00e9"'.encode("latin-1"))
    return b"".join(lines)


def long_prompts() -> bytes:
    rows = make_rows(10)
    for row in rows:
        row["chosen"][-2]["content"] += " word" * 100
        row["rejected"][-2]["content"] = row["chosen"][-2]["content"]
    return jsonl(rows)


def empty_answers() -> bytes:
    rows = make_rows(10)
    for row in rows:
        row["chosen"] = []
    return jsonl(rows)


def same_answers() -> bytes:
    rows = make_rows(10)
    for row in rows:
        row["rejected"] = row["chosen"]
    return jsonl(rows)


def repeated_prompt() -> bytes:
    # One prompt with different answers: every validation prompt also occurs in training.
    rows = make_rows(10)
    for i, row in enumerate(rows):
        row.update(make_rows(1)[0])
        row["chosen"][-1]["content"] = f"answer {i}"
    return jsonl(rows)


# name, file contents (bytes, or a function that writes the file), fragments the message holds.
# Every message names the config key to change; all but the filter stage's name the file.
CASES = [
    ("empty.jsonl", b"", ["empty.jsonl is empty (0 bytes)", "data.local.path"]),
    ("blank.json", b" \n\n\t\n", ["blank.json holds only whitespace", "data.local.path"]),
    (
        "broken_list.json",
        b'[{"source": "a"},\n {"source": "b"]\n',
        ["broken_list.json line 2, column 16: not valid JSON", "data.local.path", ".jsonl"],
    ),
    (
        "object.json",
        json.dumps({"data": make_rows(3)}).encode(),
        ["object.json line 1: the top level is a JSON object", "under 'data'", "data.local.path"],
    ),
    (
        "latin1.jsonl",
        latin1_line(),
        ["latin1.jsonl line 3, byte 16", "not valid UTF-8 (byte 0xe9", "Save the file as UTF-8"],
    ),
    (
        "pretty.jsonl",
        json.dumps(make_rows(3), indent=2).encode(),
        ["pretty.jsonl: none of its", "(line 1, column 2:", "suffix .json", "data.local.path"],
    ),
    (
        "corrupt.parquet",
        b"PAR1 this is not parquet at all PAR1",
        ["corrupt.parquet is not a readable Parquet file", "data.local.path"],
    ),
    (
        "columns.parquet",
        parquet([{"text": "hello", "label": 1}, {"text": "bye", "label": 0}]),
        [
            "columns.parquet: no row has the fields source, prompt, question, chosen, rejected",
            "(row 1 has: text, label)",
            "data.local.path",
        ],
    ),
    (
        "no_answers.jsonl",
        jsonl(without(("chosen", "rejected"), make_rows(5))),
        ["no_answers.jsonl: no row has the fields chosen, rejected", "data.local.path"],
    ),
    ("one_row.json", json.dumps(make_rows(1)).encode(), ["one_row.json holds 1 row", "at least 2"]),
    (
        "strings.json",
        json.dumps(["a", "b", "c"]).encode(),
        ["strings.json row 1: a JSON string", "data.local.path"],
    ),
    (
        "empty_answers.jsonl",
        empty_answers(),
        [
            "empty_answers.jsonl",
            "chosen_empty_or_not_a_list: 10 rows, e.g. row-000000 (row 1",
            "data.local.path",
        ],
    ),
    (
        "same_answers.jsonl",
        same_answers(),
        ["same_answers.jsonl", "chosen_equals_rejected: 10 rows", "data.local.path"],
    ),
    (
        "too_long.jsonl",
        long_prompts(),
        ["prompt_too_long 8", "data.max_prompt_tokens = 64", "the shortest prompt has"],
    ),
    (
        "repeated.jsonl",
        repeated_prompt(),
        ["of 2 validation rows, prompt_in_train 2", "data.split.validation_fraction"],
    ),
]


def prepare(path, tokenizer=None):
    """The data stages of the workflow: download, split, filter."""
    rows, info = load_raw_rows({"source": "local", "local": {"path": str(path)}})
    splits, _ = make_split(rows, None, 0.2, seed=0, source=source_name(info))
    return filter_splits(splits["train"], splits["validation"], tokenizer, 64, 256)


@pytest.mark.parametrize(("name", "contents", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_fails_naming_file_place_and_fix(name, contents, fragments, tmp_path, request):
    path = tmp_path / name
    if callable(contents):
        contents(path)
    else:
        path.write_bytes(contents)
    tokenizer = (
        request.getfixturevalue("demo_tokenizer") if name.startswith(("too", "rep")) else None
    )
    with pytest.raises(ValueError) as caught:
        prepare(path, tokenizer)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message


def test_stages_that_keep_nothing_carry_their_report(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(empty_answers())
    with pytest.raises(NothingLeftError) as caught:
        prepare(path)
    assert caught.value.report["invalid_rows"] == {"chosen_empty_or_not_a_list": 10}
    assert caught.value.report["split"] == {"train": 0, "validation": 0}


def test_unreadable_jsonl_lines_are_counted_and_logged_not_fatal(tmp_path, caplog):
    lines = jsonl(make_rows(6)).splitlines(keepends=True)
    lines[2] = lines[2][:40] + b"\n"  # a row cut short
    lines.insert(4, b"\n")  # blank lines are skipped, not counted
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"".join(lines))
    with caplog.at_level(logging.WARNING):
        rows, info = load_raw_rows({"source": "local", "local": {"path": str(path)}})
    assert len(rows) == 5
    assert info["unreadable_lines"] == 1 and info["first_unreadable_lines"] == [3]
    assert "rows.jsonl: 1 line is not valid JSON" in caplog.text
    assert "line 3, column" in caplog.text


def test_a_byte_order_mark_and_unicode_line_separators_are_read(tmp_path):
    rows = make_rows(3)
    rows[1]["prompt"] = "first\u2028second"  # JSON allows it unescaped inside a string
    path = tmp_path / "rows.jsonl"
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    loaded, info = load_raw_rows({"source": "local", "local": {"path": str(path)}})
    assert loaded == rows and info["unreadable_lines"] == 0


def test_the_report_states_the_pairs_actually_scored_not_the_config_request():
    from alignbench.report.context import pairs_scored

    config = {"evaluation": {"preference_pairs": 1000}}
    summaries = {
        v: {"metrics": {"preference_accuracy": {"pooled": {"n": 12}}}} for v in ("base", "orpo")
    }
    assert pairs_scored(config, summaries, ["base", "orpo"]) == 12
    assert pairs_scored(config, {"base": {"metrics": {}}}, ["base"]) == 1000
