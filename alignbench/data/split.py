"""The cached split: shuffle(seed) -> first N rows -> train/validation split, then schema checks.

The published experiment ran ``Dataset.shuffle(seed=42).select(range(20000))`` followed by
``train_test_split(test_size=0.1, seed=42)``. Both permutations depend only on the number of
rows and the seed, so we apply them to a column of row indices: the same rows land in the same
split as in the original, and rows that break the schema can still be counted afterwards
(Arrow could not even hold some of them).
"""

from __future__ import annotations

import json
import logging
from collections import Counter

from alignbench.data.schema import REQUIRED_FIELDS, row_problem

log = logging.getLogger(__name__)
# How many drop reasons a message about an empty split names.
SHOWN_REASONS = 3


class NothingLeftError(ValueError):
    """A data stage kept no rows for a split; ``report`` holds that stage's counts by reason."""

    def __init__(self, message: str, report: dict):
        super().__init__(message)
        self.report = report


def fail_with_report(error: NothingLeftError, report: dict, log_file: str, name: str):
    """Log ``report`` in full, then raise ``error`` again, saying where the report is.

    Snakemake deletes the outputs of a failed job, the stage's report among them, but keeps its
    log: the log is where the counts by reason of a stage that kept nothing can still be read.
    """
    log.error("%s (this stage failed):\n%s", name, json.dumps(report, indent=2, ensure_ascii=False))
    message = f"{error} The {name}, with the counts by reason, is in {log_file}."
    raise NothingLeftError(message, report) from None


def split_indices(
    n_rows: int, subset_size: int | None, validation_fraction: float, seed: int
) -> tuple[list[int], list[int]]:
    """Indices of the train and validation rows, exactly as ``datasets`` would pick them."""
    from datasets import Dataset

    if n_rows < 2:
        raise ValueError(
            f"Need at least 2 rows to split, got {n_rows}: give the data source (data.source) "
            "more rows."
        )
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction}.")
    indices = Dataset.from_dict({"index": list(range(n_rows))}).shuffle(seed=seed)
    if subset_size is not None:
        indices = indices.select(range(min(subset_size, n_rows)))
    parts = indices.train_test_split(test_size=validation_fraction, seed=seed)
    return parts["train"]["index"], parts["test"]["index"]


def row_id(index: int) -> str:
    return f"row-{index:06d}"


def validate_rows(
    rows: list,
    indices: list[int],
    exclude_sources: frozenset[str] = frozenset(),
    examples: dict[str, int] | None = None,
) -> tuple[list[dict], Counter]:
    """Keep the schema-valid rows among ``indices`` (tagged with a stable id); count the others.

    The id is the row's position in the raw data, so it stays the same across reruns. The
    lowest raw position of a dropped row of each reason is added to ``examples`` when given.
    """
    kept, dropped = [], Counter()
    for index in indices:
        problem = row_problem(rows[index])
        if not problem and rows[index]["source"] in exclude_sources:
            problem = "excluded_source"
        if problem:
            dropped[problem] += 1
            if examples is not None:
                examples[problem] = min(index, examples.get(problem, index))
        else:
            row = dict(rows[index])
            if "id" in row:  # the source's own id is kept, but ours must be unique and stable
                row["source_id"] = row.pop("id")
            kept.append({"id": row_id(index), **row})
    return kept, dropped


def make_split(
    rows: list,
    subset_size: int | None,
    validation_fraction: float,
    seed: int,
    exclude_sources: list[str] = (),
    source: str | None = None,
) -> tuple[dict[str, list[dict]], dict]:
    """Split ``rows`` and drop invalid ones; return the splits and their part of the data report.

    Rows are dropped after the split, not before, so that a broken or excluded row does not
    shift which rows land in which split. The report names the first dropped row of each
    reason. When a split is left empty, NothingLeftError carries the report and a message that
    names the main reasons, an example row and the config key to change; ``source`` names the
    data in that message.
    """
    train_idx, validation_idx = split_indices(len(rows), subset_size, validation_fraction, seed)
    splits = {}
    report = {"raw_rows": len(rows), "selected_rows": len(train_idx) + len(validation_idx)}
    dropped_total, examples = Counter(), {}
    for name, indices in (("train", train_idx), ("validation", validation_idx)):
        splits[name], dropped = validate_rows(rows, indices, frozenset(exclude_sources), examples)
        dropped_total.update(dropped)
    report["invalid_rows"] = dict(sorted(dropped_total.items()))
    report["invalid_row_examples"] = {
        reason: row_id(examples[reason]) for reason in sorted(examples)
    }
    report["split"] = {name: len(part) for name, part in splits.items()}
    if not splits["train"] or not splits["validation"]:
        raise NothingLeftError(empty_split_message(report, dropped_total, examples, source), report)
    return splits, report


def empty_split_message(
    report: dict, dropped: Counter, examples: dict[str, int], source: str | None
) -> str:
    """Why the schema check left a split empty, and what to change."""
    split = report["split"]
    message = (
        f"After the schema check, {split['train']} training and {split['validation']} "
        f"validation rows are left of the {report['selected_rows']} selected rows of "
        f"{source or 'the data source (data.source)'}."
    )
    if not dropped:
        return (
            f"{message} No row was invalid: the split is too small. Use more rows "
            "(data.split.subset_size) or change data.split.validation_fraction."
        )
    reasons = "; ".join(
        f"{reason}: {count} rows, e.g. {row_id(examples[reason])} (row {examples[reason] + 1} "
        "of the data as read)"
        for reason, count in dropped.most_common(SHOWN_REASONS)
    )
    message += f" Dropped rows by reason: {reasons}."
    if dropped.most_common(1)[0][0] == "excluded_source":
        return f"{message} Remove those sources from data.exclude_sources, or use other data."
    return (
        f"{message} Each row, once converted from its layout (data.format), needs the fields "
        f"{', '.join(REQUIRED_FIELDS)}; chosen and rejected are conversations (lists of "
        "role/content messages) that end with different assistant answers and share every "
        "turn before them. Fix the rows of the data file (data.local.path), name their layout "
        "(data.format), or choose other data (data.source)."
    )
