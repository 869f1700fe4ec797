"""Local data files: the same rows read from .jsonl, .json and .parquet are the same rows."""

from __future__ import annotations

import json

import pytest

from alignbench.data.demo import generate_demo_rows
from alignbench.data.sources import LOCAL_FORMATS, load_local_rows, load_raw_rows


@pytest.fixture(scope="module")
def rows():
    """Demo rows (system messages, earlier turns) plus one with text JSON must escape."""
    rows = generate_demo_rows(30, seed=3)
    rows[0]["chosen"][-1]["content"] = 'Café "quoted", a\ttab and a line\nbreak \u2028 ok.'
    return rows


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def write_json(path, rows):
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")


def write_parquet(path, rows):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)


WRITERS = {".jsonl": write_jsonl, ".json": write_json, ".parquet": write_parquet}


def test_every_local_format_has_a_writer_here():
    assert set(WRITERS) == set(LOCAL_FORMATS)


@pytest.mark.parametrize("suffix", [".json", ".parquet"])
def test_json_and_parquet_give_the_rows_of_the_jsonl_file(tmp_path, rows, suffix):
    write_jsonl(tmp_path / "rows.jsonl", rows)
    WRITERS[suffix](tmp_path / f"rows{suffix}", rows)
    from_jsonl, bad_lines = load_local_rows(tmp_path / "rows.jsonl")
    assert from_jsonl == rows and bad_lines == []
    assert load_local_rows(tmp_path / f"rows{suffix}") == (from_jsonl, [])


@pytest.mark.parametrize("suffix", [".JSON", ".Parquet"])
def test_the_suffix_is_read_in_any_case(tmp_path, rows, suffix):
    WRITERS[suffix.lower()](tmp_path / f"rows{suffix}", rows)
    loaded, info = load_raw_rows(
        {"source": "local", "local": {"path": str(tmp_path / f"rows{suffix}")}}
    )
    assert loaded == rows
    assert info.pop("layout")["name"] == "orpo_dpo_mix"  # the workflow's own: rows unchanged
    assert info == {
        "kind": "local",
        "path": str(tmp_path / f"rows{suffix}"),
        "rows": len(rows),
        "unreadable_lines": 0,
    }
