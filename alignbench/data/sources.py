"""Where the raw preference rows come from: the Hub, a local file, or the embedded demo generator.

Rows are returned exactly as read (no validation yet): the split stage checks them against the
schema, so that broken rows are counted by reason instead of crashing the download.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

LOCAL_FORMATS = {".json": "json", ".jsonl": "jsonl", ".parquet": "parquet"}


def load_hub_rows(dataset_id: str, revision: str, split: str = "train") -> list[dict]:
    """Download one split of a Hub dataset at a pinned revision into the standard HF cache."""
    from datasets import load_dataset

    from alignbench.hub import explain_hub_error

    log.info("Loading %s@%s split %s from the Hub", dataset_id, revision, split)
    try:
        dataset = load_dataset(dataset_id, revision=revision, split=split)
    except Exception as error:  # the Hub raises many types; all get the same explanation
        raise explain_hub_error(error, dataset_id, revision, kind="dataset") from error
    return dataset.to_list()


def load_local_rows(path: str | Path) -> tuple[list, int]:
    """Read rows from a json (list), jsonl or parquet file.

    Returns the rows and the number of jsonl lines that were not valid JSON (those are counted
    in the data report, not fatal).
    """
    path = Path(path)
    kind = LOCAL_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(
            f"Unsupported data file {path}: use one of {', '.join(LOCAL_FORMATS)} "
            "(data.local.path in the config)."
        )
    if not path.exists():
        raise FileNotFoundError(f"data.local.path points to {path}, which does not exist.")
    if kind == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist(), 0
    text = path.read_text(encoding="utf-8")
    if kind == "json":
        rows = json.loads(text)
        if not isinstance(rows, list):
            raise ValueError(f"{path} must hold a JSON list of rows (or use .jsonl).")
        return rows, 0
    rows, unreadable = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            unreadable += 1
    return rows, unreadable


def load_raw_rows(data_config: dict) -> tuple[list, dict]:
    """Load rows for the configured source; also return a description for the data report."""
    source = data_config["source"]
    if source == "hub":
        hub = data_config["hub"]
        rows = load_hub_rows(hub["id"], hub["revision"], hub.get("split", "train"))
        return rows, {"kind": "hub", **hub, "rows": len(rows)}
    if source == "local":
        rows, unreadable = load_local_rows(data_config["local"]["path"])
        info = {"kind": "local", "path": str(data_config["local"]["path"]), "rows": len(rows)}
        return rows, {**info, "unreadable_lines": unreadable}
    if source == "demo":
        from alignbench.data.demo import generate_demo_rows

        demo = data_config["demo"]
        rows = generate_demo_rows(demo["rows"], demo["seed"])
        return rows, {"kind": "demo", **demo}
    raise ValueError(f"Unknown data.source {source!r}: use hub, local or demo.")
