"""Where the raw preference rows come from: the Hub, a local file, or the embedded demo generator.

Rows are returned exactly as read: the split stage checks each against the schema, so that
broken rows are counted by reason instead of crashing the download. Only data that cannot be
preference rows at all (an unreadable file, no rows, no row with the schema's fields) fails
here, with a message naming the file, the line or row, and the config key to change.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from alignbench.data.schema import REQUIRED_FIELDS
from alignbench.io import decode_utf8, json_error

log = logging.getLogger(__name__)

LOCAL_FORMATS = {".json": "json", ".jsonl": "jsonl", ".parquet": "parquet"}
# The config key that chooses each source: every message about the data names it.
SOURCE_KEYS = {"local": "data.local.path", "hub": "data.hub.id", "demo": "data.demo"}
NEEDS = (
    f"Each row needs the fields {', '.join(REQUIRED_FIELDS)} (the schema of "
    "mlabonne/orpo-dpo-mix-40k)"
)
NO_ROWS = "Point data.local.path at a file of preference rows."
# How many unreadable jsonl lines are named in the log and the data report.
SHOWN_BAD_LINES = 5
JSON_TYPES = {dict: "object", list: "list", str: "string", int: "number", float: "number"}
JSON_TYPES.update({bool: "boolean", type(None): "null"})


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


def load_local_rows(path: str | Path) -> tuple[list, list[int]]:
    """Read rows from a json (list), jsonl or parquet file.

    Returns the rows and the numbers of the jsonl lines that are not valid JSON: such a line
    (a row cut short, say) is one bad row, so it is skipped, logged and counted in the data
    report (``unreadable_lines``), not fatal. A file that cannot be read as a whole raises a
    ValueError naming the file, the line (or byte) and what to do: an empty file, a .json
    file that is not valid JSON or whose top level is not a list, a corrupt parquet file, and
    bytes that are not UTF-8 in any line. The last is fatal even in a jsonl file: it means the
    file was saved in another encoding, and skipping only the lines with non-ASCII text would
    quietly drop, say, every non-English row.
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
    name = f"{SOURCE_KEYS['local']}: {path}"
    if not path.is_file():
        raise ValueError(f"{name} is a folder, not a data file.")
    if path.stat().st_size == 0:
        raise ValueError(f"{name} is empty (0 bytes): there are no rows to read. {NO_ROWS}")
    if kind == "parquet":
        return _read_parquet(path, name), []
    text = decode_utf8(path.read_bytes(), name, "Save the file as UTF-8.")
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors write; not JSON
    if not text.strip():
        raise ValueError(f"{name} holds only whitespace: there are no rows to read. {NO_ROWS}")
    if kind == "json":
        return _parse_json_list(text, name), []
    return _parse_jsonl(text, name)


def _read_parquet(path: Path, name: str) -> list:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pylist()
    except (pa.ArrowException, OSError, UnicodeDecodeError) as error:
        raise ValueError(
            f"{name} is not a readable Parquet file ({type(error).__name__}: {error}). "
            "Write it again (e.g. pandas.DataFrame.to_parquet), or save the rows as .jsonl."
        ) from None


def _parse_json_list(text: str, name: str) -> list:
    fix = (
        "A .json data file holds one JSON list of row objects; a file with one row object per "
        "line needs the suffix .jsonl."
    )
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as error:
        raise json_error(name, error.lineno, error, fix) from None
    if isinstance(rows, list):
        return rows
    found = f"a JSON {JSON_TYPES.get(type(rows), type(rows).__name__)}"
    if isinstance(rows, dict):
        found += f" with the keys {', '.join(map(str, rows)) or '(none)'}"
        lists = [key for key, value in rows.items() if isinstance(value, list)]
        if lists:
            found += f" (the rows may be the list under {lists[0]!r}: save that list alone)"
    raise ValueError(f"{name} line 1: the top level is {found}, not a list of rows. {fix}")


def _parse_jsonl(text: str, name: str) -> tuple[list, list[int]]:
    rows, bad_lines, reasons = [], [], []
    # Only "\n" ends a line: str.splitlines would also split inside a row at characters such
    # as U+2028, which JSON allows unescaped in strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            bad_lines.append(number)
            if len(reasons) < SHOWN_BAD_LINES:
                reasons.append(f"line {number}, column {error.colno}: {error.msg}")
    if bad_lines and not rows:
        raise ValueError(
            f"{name}: none of its {len(bad_lines)} lines is valid JSON ({reasons[0]}). A .jsonl "
            "file holds one JSON object per line; a file holding one JSON list needs the "
            "suffix .json."
        )
    if bad_lines:
        log.warning(
            "%s: %d line%s not valid JSON; skipped and counted as unreadable_lines in the data "
            "report. %s%s",
            name,
            len(bad_lines),
            " is" if len(bad_lines) == 1 else "s are",
            "; ".join(reasons),
            "; ..." if len(bad_lines) > len(reasons) else "",
        )
    return rows, bad_lines


def source_name(info: dict) -> str:
    """The config key and value that name a data source, for messages (info: load_raw_rows')."""
    key = SOURCE_KEYS[info["kind"]]
    if info["kind"] == "local":
        return f"{key}: {info['path']}"
    if info["kind"] == "hub":
        return f"{key}: {info['id']} (revision {info['revision']})"
    return key


def check_rows(rows: list, info: dict) -> None:
    """Fail when the rows cannot be preference data at all, naming the file and a row.

    Single broken rows are left for the split stage to count by reason; this catches a wrong
    file (other columns, no rows), where every row would fail the same way.
    """
    name, needs = source_name(info), f"{NEEDS}; point {SOURCE_KEYS[info['kind']]} at such data."
    if len(rows) < 2:
        raise ValueError(
            f"{name} holds {len(rows)} row{'s' * (len(rows) != 1)}; the train/validation split "
            f"needs at least 2. Point {SOURCE_KEYS[info['kind']]} at more rows."
        )
    objects = [(number, row) for number, row in enumerate(rows, 1) if isinstance(row, dict)]
    if not objects:
        found = JSON_TYPES.get(type(rows[0]), type(rows[0]).__name__)
        raise ValueError(
            f"{name} row 1: a JSON {found}, and no row is an object with fields. {needs}"
        )
    missing = [f for f in REQUIRED_FIELDS if not any(f in row for _, row in objects)]
    if missing:
        number, first = objects[0]
        raise ValueError(
            f"{name}: no row has the field{'s' * (len(missing) > 1)} {', '.join(missing)} "
            f"(row {number} has: {', '.join(map(str, first)) or 'no fields'}). {needs}"
        )


def load_raw_rows(data_config: dict) -> tuple[list, dict]:
    """Load rows for the configured source; also return a description for the data report."""
    source = data_config["source"]
    if source == "hub":
        hub = data_config["hub"]
        rows = load_hub_rows(hub["id"], hub["revision"], hub.get("split", "train"))
        info = {"kind": "hub", **hub, "rows": len(rows)}
        check_rows(rows, info)
        return rows, info
    if source == "local":
        path = data_config["local"]["path"]
        rows, bad_lines = load_local_rows(path)
        info = {"kind": "local", "path": str(path), "rows": len(rows)}
        info["unreadable_lines"] = len(bad_lines)
        if bad_lines:
            info["first_unreadable_lines"] = bad_lines[:SHOWN_BAD_LINES]
        check_rows(rows, info)
        return rows, info
    if source == "demo":
        from alignbench.data.demo import generate_demo_rows

        demo = data_config["demo"]
        rows = generate_demo_rows(demo["rows"], demo["seed"])
        info = {"kind": "demo", **demo}
        check_rows(rows, info)
        return rows, info
    raise ValueError(f"Unknown data.source {source!r}: use hub, local or demo.")
