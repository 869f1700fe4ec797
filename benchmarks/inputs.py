"""What every benchmark reads: the demo config, the base model folder and the demo data."""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

from alignbench.io import read_json

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config" / "config.yaml"
# Outside the package (git ignores results/), and outside the workflow's own folders, so that
# neither a workflow run nor the dry-run benchmark ever sees it.
DEFAULT_CACHE = REPO / "results" / "bench" / "cache"


def load_config(path: str | Path = CONFIG) -> dict:
    return yaml.safe_load(Path(path).read_text())


def base_model(config: dict, cache: str | Path = DEFAULT_CACHE) -> Path:
    """The workflow's base model folder, prepared once into ``cache`` and reused while the
    model settings stay the same (converting the embedded GGUF takes a while)."""
    from alignbench.io import write_json
    from alignbench.job_settings import model_source_settings
    from alignbench.models.base import prepare_base_model

    folder = Path(cache) / "base-model"
    settings = model_source_settings(config)
    stamp = Path(cache) / "base-model.settings.json"
    ready = (folder / "origin.json").is_file() and stamp.is_file()
    if not (ready and read_json(stamp) == settings):
        log.info("Preparing the base model in %s", folder)
        prepare_base_model(settings, folder)
        write_json(stamp, settings)
    return folder


def demo_splits(config: dict, tokenizer) -> tuple[list[dict], list[dict]]:
    """Training and validation rows as the workflow's data stage makes them from the demo
    generator: split, then length caps and validation de-duplication."""
    from alignbench.data.demo import generate_demo_rows
    from alignbench.data.filtering import filter_splits
    from alignbench.data.split import make_split

    data = config["data"]
    rows = generate_demo_rows(data["demo"]["rows"], data["demo"]["seed"])
    split = data["split"]
    splits, _ = make_split(
        rows,
        subset_size=split["subset_size"],
        validation_fraction=split["validation_fraction"],
        seed=split["seed"],
        exclude_sources=data["exclude_sources"],
    )
    train, validation, _ = filter_splits(
        splits["train"],
        splits["validation"],
        tokenizer,
        max_prompt_tokens=data["max_prompt_tokens"],
        max_total_tokens=data["max_total_tokens"],
    )
    return train, validation


def take(rows: list[dict], count: int, what: str) -> list[dict]:
    """The first ``count`` rows, refusing to measure fewer than asked (the scaling would lie)."""
    if count > len(rows):
        raise ValueError(f"{what}: {count} rows asked, the demo data has {len(rows)}.")
    return rows[:count]
