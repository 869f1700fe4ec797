"""Numbers and config values as the report prints them."""

from __future__ import annotations

# Shown where a value genuinely does not exist (an "NA" benchmark field, a missing pairing).
MISSING = "—"
MINUS = "−"  # U+2212: a typographic minus, the width of a plus sign
# Permutation p-values are resolved to about 1e-4; below this one a reader needs no more digits.
SMALLEST_P_SHOWN = 0.001


def format_score(value: float | None, digits: int = 4) -> str:
    return MISSING if value is None else f"{value:.{digits}f}".replace("-", MINUS)


def format_signed(value: float | None, digits: int = 4) -> str:
    """A difference, always with its sign: +0.0371, −0.0120."""
    return MISSING if value is None else f"{value:+.{digits}f}".replace("-", MINUS)


def format_interval(interval: tuple[float, float] | list[float] | None, digits: int = 4) -> str:
    if interval is None:
        return MISSING
    low, high = (format_score(bound, digits) for bound in interval)
    return f"[{low}, {high}]"


def format_p_value(p_value: float | None) -> str:
    """'p < 0.001' or 'p = 0.034'."""
    if p_value is None:
        return f"p = {MISSING}"
    if p_value < SMALLEST_P_SHOWN:
        return f"p < {SMALLEST_P_SHOWN}"
    return f"p = {p_value:.3f}"


def format_value(value) -> str:
    """Config values as a reader expects them: 2e-05, true, q_proj, v_proj."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(item) for item in value) if value else "[] (empty)"
    return str(value)


def flatten(mapping: dict, prefix: str = "") -> dict[str, object]:
    """{"lora": {"r": 32}} -> {"lora.r": 32}, keeping insertion order."""
    flat = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def key_value_rows(mapping: dict) -> list[dict]:
    return [{"key": key, "value": format_value(v)} for key, v in flatten(mapping).items()]


# How each metric is named and how many decimals it gets (tokens and words are counts).
METRIC_TEXT = {
    "rouge1": ("ROUGE-1", 4),
    "rouge2": ("ROUGE-2", 4),
    "rougeL": ("ROUGE-L", 4),
    "preference_accuracy": ("preference accuracy", 3),
    "preference_margin": ("log-probability margin", 3),
    "log_odds_ratio": ("log odds ratio", 3),
    "answer_tokens": ("answer tokens", 1),
    "answer_words": ("answer words", 1),
    "stopped_on_eos": ("share stopped on EOS", 3),
    "repetition": ("repetition", 3),
    "task_accuracy": ("task accuracy", 3),
    "reward": ("reward", 3),
    "reward_win_rate": ("win rate against the reference", 3),
    "distinct_1": ("distinct-1", 3),
    "distinct_2": ("distinct-2", 3),
}


def metric_label(metric: str) -> str:
    return METRIC_TEXT[metric][0]


def metric_digits(metric: str) -> int:
    return METRIC_TEXT[metric][1]
