"""The held-out rows an evaluation job uses: the first N of the validation set."""

from __future__ import annotations

import logging

from alignbench.io import read_jsonl

log = logging.getLogger(__name__)


def first_heldout_rows(path: str, count: int | None, setting: str) -> list[dict]:
    """The first ``count`` rows of the validation file; all of them for ``None``, or when it holds
    fewer (that shortfall is logged, naming the config ``setting``). Results record the number
    actually used, and the report prints that number, not the setting."""
    rows = read_jsonl(path)
    if count is None:
        return rows
    if len(rows) < count:
        log.warning(
            "%s asks for %d rows but the validation set holds %d: all %d are used.",
            setting,
            count,
            len(rows),
            len(rows),
        )
    return rows[:count]
