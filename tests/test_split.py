from datasets import Dataset

from alignbench.data.split import make_split, split_indices
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
