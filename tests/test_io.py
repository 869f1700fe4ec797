import pytest

from alignbench.io import read_json, read_jsonl, write_json, write_jsonl


def test_failed_write_leaves_neither_a_partial_file_nor_a_temp_file(tmp_path):
    target = tmp_path / "out.jsonl"

    def rows():
        yield {"a": 1}
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_jsonl(target, rows())
    assert list(tmp_path.iterdir()) == []


def test_round_trip_and_readable_permissions(tmp_path):
    write_jsonl(tmp_path / "x.jsonl", [{"text": "é"}, {"n": 2}])
    assert read_jsonl(tmp_path / "x.jsonl") == [{"text": "é"}, {"n": 2}]
    write_json(tmp_path / "sub" / "y.json", {"k": [1]})
    assert (tmp_path / "sub" / "y.json").stat().st_mode & 0o044


def test_a_broken_jsonl_line_names_the_file_and_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2\n')
    with pytest.raises(ValueError, match=r"rows.jsonl line 3, column 8: not valid JSON"):
        read_jsonl(path)


def test_a_cut_short_json_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "report.json"
    path.write_text('{\n  "k": [1,\n')
    with pytest.raises(ValueError, match=r"report.json line 3, column 1: not valid JSON.*delete"):
        read_json(path)


def test_bytes_that_are_not_utf8_name_the_line_and_byte(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": "caf\xe9"}\n')
    with pytest.raises(
        ValueError, match=r"rows.jsonl line 2, byte 11 \(file offset 19\): not valid"
    ):
        read_jsonl(path)


def test_a_unicode_line_separator_inside_a_string_stays_in_its_row(tmp_path):
    rows = [{"text": "one\u2028two\u0085three"}, {"n": 2}]
    write_jsonl(tmp_path / "x.jsonl", rows)
    assert read_jsonl(tmp_path / "x.jsonl") == rows
