import logging

import pytest
from datasets import Dataset

from alignbench.data.split import NothingLeftError, fail_with_report, make_split, split_indices
from tests.factories import make_row


def test_indices_match_the_published_datasets_procedure():
    # The published code shuffled the whole data set, took the first N rows and split them.
    rows = Dataset.from_dict({"index": list(range(200))})
    expected = rows.shuffle(seed=42).select(range(120)).train_test_split(test_size=0.1, seed=42)
    train, validation = split_indices(200, 120, 0.1, seed=42)
    assert train == expected["train"]["index"]
    assert validation == expected["test"]["index"]
    assert len(train) == 108 and len(validation) == 12
    assert not set(train) & set(validation)


def test_split_is_deterministic_and_seed_dependent():
    assert split_indices(100, None, 0.2, 1) == split_indices(100, None, 0.2, 1)
    assert split_indices(100, None, 0.2, 1) != split_indices(100, None, 0.2, 2)


def test_invalid_rows_are_dropped_after_the_split_and_counted():
    rows = [make_row() for _ in range(50)]
    rows[3] = {"source": "broken"}
    rows[7]["chosen"] = []
    rows[9]["source"] = "toxic"
    clean = [make_row() for _ in range(50)]
    splits, report = make_split(rows, None, 0.2, seed=0, exclude_sources=["toxic"])
    clean_splits, _ = make_split(clean, None, 0.2, seed=0)
    assert report["invalid_rows"] == {
        "chosen_empty_or_not_a_list": 1,
        "excluded_source": 1,
        "missing_prompt": 1,
    }
    assert report["split"] == {"train": 37, "validation": 10}
    # Dropping after the split keeps every other row where it was.
    bad_ids = {"row-000003", "row-000007", "row-000009"}
    for name in ("train", "validation"):
        kept = [r["id"] for r in clean_splits[name] if r["id"] not in bad_ids]
        assert [r["id"] for r in splits[name]] == kept


def test_rows_carry_a_stable_id_from_their_raw_position():
    rows = [make_row() for _ in range(10)]
    for i, row in enumerate(rows):
        row["prompt"] = f"p{i}"
    splits, _ = make_split(rows, None, 0.2, seed=3)
    for row in splits["train"] + splits["validation"]:
        assert row["prompt"] == f"p{int(row['id'].split('-')[1])}"


def test_a_source_id_column_never_replaces_the_stable_id():
    rows = [{**make_row(), "id": 7} for _ in range(10)]
    splits, _ = make_split(rows, None, 0.2, seed=3)
    ids = [row["id"] for row in splits["train"] + splits["validation"]]
    assert len(set(ids)) == 10 and all(i.startswith("row-") for i in ids)
    assert {row["source_id"] for row in splits["train"]} == {7}


def test_a_split_left_empty_fails_with_the_reasons_an_example_and_its_report():
    rows = [{**make_row(), "chosen": []} for _ in range(8)] + [{"source": "x"}, {"source": "y"}]
    with pytest.raises(NothingLeftError) as caught:
        make_split(rows, None, 0.2, seed=0, source="data.local.path: rows.jsonl")
    message = str(caught.value)
    assert "0 training and 0 validation rows are left of the 10 selected rows of " in message
    assert "data.local.path: rows.jsonl" in message
    assert "chosen_empty_or_not_a_list: 8 rows, e.g. row-000000 (row 1 " in message
    assert "missing_prompt: 2 rows, e.g. row-000008 (row 9 " in message
    assert "max_prompt_tokens" not in message
    report = caught.value.report
    assert report["invalid_rows"] == {"chosen_empty_or_not_a_list": 8, "missing_prompt": 2}
    assert report["invalid_row_examples"]["missing_prompt"] == "row-000008"


def test_excluding_every_source_names_exclude_sources():
    with pytest.raises(NothingLeftError, match="data.exclude_sources"):
        make_split([make_row() for _ in range(10)], None, 0.2, seed=0, exclude_sources=["test"])


def test_the_report_of_a_failed_stage_goes_to_the_log(caplog):
    error = NothingLeftError("Nothing left.", {"invalid_rows": {"missing_chosen": 3}})
    with pytest.raises(NothingLeftError) as caught, caplog.at_level(logging.ERROR):
        fail_with_report(error, error.report, "results/logs/split_data.log", "split report")
    assert str(caught.value) == (
        "Nothing left. The split report, with the counts by reason, is in "
        "results/logs/split_data.log."
    )
    assert '"missing_chosen": 3' in caplog.text
