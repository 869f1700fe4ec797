"""The metrics' vocabulary, in one place.

What each metric is called and where its per-prompt values come from, how many decimals it is
printed with, which level means chance, how many prompts a variant was scored on, when a paired
difference counts as real, and how numbers, intervals and p-values are printed. Aggregation,
plots and the report use these instead of re-stating them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    label: str
    digits: int  # decimals when printed; counts (tokens, words) get one
    # (kind of per-run evaluation file, per-example key); None for a corpus statistic, which is
    # one number per run with no per-prompt values.
    source: tuple[str, str] | None
    chance: float | None = None  # the value that guessing, or a tie with the reference, gives


# A preference pair is two answers, so guessing which one is chosen gets half the pairs right.
# A win rate against the reference counts ties as half a win, so 0.5 means "as good as it".
CHANCE = 0.5

# In the order results files and tables list them. Booleans count as 0/1.
METRICS = {
    "rouge1": Metric("ROUGE-1", 4, ("rouge", "rouge1")),
    "rouge2": Metric("ROUGE-2", 4, ("rouge", "rouge2")),
    "rougeL": Metric("ROUGE-L", 4, ("rouge", "rougeL")),
    "preference_accuracy": Metric(
        "preference accuracy", 3, ("preferences", "chosen_preferred"), CHANCE
    ),
    "preference_margin": Metric("log-probability margin", 3, ("preferences", "margin")),
    "log_odds_ratio": Metric("log odds ratio", 3, ("preferences", "log_odds_ratio")),
    "answer_tokens": Metric("answer tokens", 1, ("answers", "tokens")),
    "answer_words": Metric("answer words", 1, ("answers", "words")),
    "stopped_on_eos": Metric("share stopped on EOS", 3, ("answers", "stopped_on_eos")),
    "repetition": Metric("repetition", 3, ("answers", "repetition")),
    "task_accuracy": Metric("task accuracy", 3, ("tasks", "correct")),
    "reward": Metric("reward", 3, ("reward", "reward_generation")),
    "reward_win_rate": Metric("win rate against the reference", 3, ("reward", "win_value"), CHANCE),
    "distinct_1": Metric("distinct-1", 3, None),
    "distinct_2": Metric("distinct-2", 3, None),
}
PER_PROMPT_METRICS = tuple(name for name, metric in METRICS.items() if metric.source)
CORPUS_STATISTICS = tuple(name for name, metric in METRICS.items() if not metric.source)
# The main metrics: the columns of results/scores.tsv and of the report's per-seed table.
TABLE_METRICS = (
    "rouge1",
    "rouge2",
    "rougeL",
    "preference_accuracy",
    "task_accuracy",
    "answer_tokens",
)
# The report's table of paired comparisons between arms, in its order: one family for Holm's
# adjustment. Margin and log odds ratio measure the same preference as accuracy on a continuous
# scale, so they can show a shift that 0/1 accuracy on a few pairs cannot.
COMPARED_METRICS = (
    "rougeL",
    "preference_accuracy",
    "preference_margin",
    "log_odds_ratio",
    "task_accuracy",
    "answer_tokens",
)
# Every variant is scored with ROUGE on every held-out prompt it answered, so ROUGE-L's n is the
# number of prompts a variant was scored on.
PROMPT_COUNT_METRIC = "rougeL"

# Permutation p-values below this level are called significant where the report compares them
# with the bootstrap interval.
TEST_LEVEL = 0.05
# Permutation p-values are resolved to about 1e-4; below this one a reader needs no more digits.
SMALLEST_P_SHOWN = 0.001
# Shown where a value genuinely does not exist (an "NA" benchmark field, a missing pairing).
MISSING = "—"
MINUS = "−"  # U+2212: a typographic minus, the width of a plus sign


def label(metric: str) -> str:
    return METRICS[metric].label


def digits(metric: str) -> int:
    return METRICS[metric].digits


def interval_excludes_zero(interval: Sequence[float] | None) -> bool:
    """False without an interval (fewer than two pairs): nothing is then called different."""
    return interval is not None and (interval[0] > 0 or interval[1] < 0)


def seeds_agree(per_seed: Mapping[str, float]) -> bool:
    """Every seed's mean difference has the same sign (trivially so with one seed)."""
    values = list(per_seed.values())
    return len(values) < 2 or all(v > 0 for v in values) or all(v < 0 for v in values)


def distinguishable(
    interval: Sequence[float] | None, per_seed: Mapping[str, float], p_adjusted: float
) -> bool:
    """A paired difference counts as real only when its 95% interval excludes zero, its p-value
    adjusted for the other comparisons of its family (Holm) is below TEST_LEVEL, and it has the
    same sign in every training seed: with fewer than three seeds the interval resamples prompts,
    not training runs, so one lucky run could otherwise make an arm look better."""
    return interval_excludes_zero(interval) and p_adjusted < TEST_LEVEL and seeds_agree(per_seed)


def position(interval: Sequence[float] | None, level: float) -> str:
    """'above' or 'below' when the whole interval lies on that side of ``level``, else 'level'."""
    if interval is not None and interval[0] > level:
        return "above"
    if interval is not None and interval[1] < level:
        return "below"
    return "level"


def pooled(summary: dict, metric: str) -> dict:
    """A variant's estimate of ``metric``: each prompt's value averaged over the runs, then the
    mean over prompts (``n``, ``mean``, ``interval``)."""
    return summary["metrics"][metric]["pooled"]


def prompts_scored(summary: dict) -> int:
    return pooled(summary, PROMPT_COUNT_METRIC)["n"]


def format_score(value: float | None, places: int = 4) -> str:
    return MISSING if value is None else f"{value:.{places}f}".replace("-", MINUS)


def format_signed(value: float | None, places: int = 4) -> str:
    """A difference, always with its sign: +0.0371, −0.0120."""
    return MISSING if value is None else f"{value:+.{places}f}".replace("-", MINUS)


def format_interval(interval: Sequence[float] | None, places: int = 4) -> str:
    if interval is None:
        return MISSING
    low, high = (format_score(bound, places) for bound in interval)
    return f"[{low}, {high}]"


def format_p_value(p_value: float | None) -> str:
    """'p < 0.001' or 'p = 0.034'."""
    if p_value is None:
        return f"p = {MISSING}"
    if p_value < SMALLEST_P_SHOWN:
        return f"p < {SMALLEST_P_SHOWN}"
    return f"p = {p_value:.3f}"
