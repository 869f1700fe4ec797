import pytest

from alignbench.io import read_jsonl, write_json, write_jsonl


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
