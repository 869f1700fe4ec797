"""Numbers and config values as the report prints them."""

from __future__ import annotations

# Shown where a value genuinely does not exist (an "NA" benchmark field, a missing pairing).
MISSING = "—"


def format_score(value: float | None, digits: int = 4) -> str:
    return MISSING if value is None else f"{value:.{digits}f}"


def format_interval(interval: tuple[float, float] | None) -> str:
    return MISSING if interval is None else f"[{interval[0]:.4f}, {interval[1]:.4f}]"


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
