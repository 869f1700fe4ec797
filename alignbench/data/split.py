"""The cached split: shuffle(seed) -> first N rows -> train/validation split, then schema checks.

The published experiment ran ``Dataset.shuffle(seed=42).select(range(20000))`` followed by
``train_test_split(test_size=0.1, seed=42)``. Both permutations depend only on the number of
rows and the seed, so we apply them to a column of row indices: the same rows land in the same
split as in the original, and rows that break the schema can still be counted afterwards
(Arrow could not even hold some of them).
"""

from __future__ import annotations

from collections import Counter

from alignbench.data.schema import row_problem


def split_indices(
    n_rows: int, subset_size: int | None, validation_fraction: float, seed: int
) -> tuple[list[int], list[int]]:
    """Indices of the train and validation rows, exactly as ``datasets`` would pick them."""
    from datasets import Dataset

    if n_rows < 2:
        raise ValueError(f"Need at least 2 rows to split, got {n_rows}.")
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction}.")
    indices = Dataset.from_dict({"index": list(range(n_rows))}).shuffle(seed=seed)
    if subset_size is not None:
        indices = indices.select(range(min(subset_size, n_rows)))
    parts = indices.train_test_split(test_size=validation_fraction, seed=seed)
    return parts["train"]["index"], parts["test"]["index"]


def validate_rows(
    rows: list, indices: list[int], exclude_sources: frozenset[str] = frozenset()
) -> tuple[list[dict], Counter]:
    """Keep the schema-valid rows among ``indices`` (tagged with a stable id); count the others.

    The id is the row's position in the raw data, so it stays the same across reruns.
    """
    kept, dropped = [], Counter()
    for index in indices:
        problem = row_problem(rows[index])
        if problem:
            dropped[problem] += 1
        elif rows[index]["source"] in exclude_sources:
            dropped["excluded_source"] += 1
        else:
            row = dict(rows[index])
            if "id" in row:  # the source's own id is kept, but ours must be unique and stable
                row["source_id"] = row.pop("id")
            kept.append({"id": f"row-{index:06d}", **row})
    return kept, dropped


def make_split(
    rows: list,
    subset_size: int | None,
    validation_fraction: float,
    seed: int,
    exclude_sources: list[str] = (),
) -> tuple[dict[str, list[dict]], dict]:
    """Split ``rows`` and drop invalid ones; return the splits and their part of the data report.

    Rows are dropped after the split, not before, so that a broken or excluded row does not
    shift which rows land in which split.
    """
    train_idx, validation_idx = split_indices(len(rows), subset_size, validation_fraction, seed)
    splits = {}
    report = {"raw_rows": len(rows), "selected_rows": len(train_idx) + len(validation_idx)}
    dropped_total = Counter()
    for name, indices in (("train", train_idx), ("validation", validation_idx)):
        splits[name], dropped = validate_rows(rows, indices, frozenset(exclude_sources))
        dropped_total.update(dropped)
    report["invalid_rows"] = dict(sorted(dropped_total.items()))
    report["split"] = {name: len(part) for name, part in splits.items()}
    return splits, report
