"""Where the raw preference rows come from: the Hub, a local file, or the embedded demo generator.

Rows of a local file or Hub data set are converted from their layout (``data.format``, detected
from the first rows by default: alignbench.data.layouts) to the workflow's own, and otherwise
returned as read: the split stage checks each against the schema, so that broken rows (and rows
their layout could not convert) are counted by reason instead of crashing the download. Only
data that cannot be preference rows at all (an unreadable file, no rows, rows in no layout the
workflow knows) fails here, with a message naming the file, the line or row, and the config key
to change.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from alignbench.data import layouts
from alignbench.io import decode_utf8, json_error

log = logging.getLogger(__name__)

LOCAL_FORMATS = {".json": "json", ".jsonl": "jsonl", ".parquet": "parquet"}
# The config key that chooses each source: every message about the data names it.
SOURCE_KEYS = {"local": "data.local.path", "hub": "data.hub.id", "demo": "data.demo"}
NEEDS = (
    "Each row needs the fields of one of the layouts the workflow reads (data.format; "
    "config/README.md shows each)"
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


# While the DAG is built, read at most this much of a .json file for its first rows.
FIRST_ROWS_BYTES = 8 * 1024 * 1024


def read_first_rows(path: str | Path, limit: int) -> list:
    """Up to ``limit`` rows from the top of a local data file, cheaply, for the checks made
    while the DAG is built: the first lines of a jsonl file, the first objects of a json list,
    the first batch of a parquet file (only where pyarrow is installed: Snakemake's own
    environment may lack it). Empty where the top of the file cannot be read: the data job
    then says why, with the line and the fix."""
    path = Path(path)
    kind = LOCAL_FORMATS.get(path.suffix.lower())
    try:
        if kind == "jsonl":
            return _first_jsonl_rows(path, limit)
        if kind == "json":
            return _first_json_rows(path, limit)
        if kind == "parquet":
            return _first_parquet_rows(path, limit)
    except (OSError, ValueError):
        return []
    return []


def _first_jsonl_rows(path: Path, limit: int) -> list:
    rows = []
    with open(path, encoding="utf-8-sig", newline="\n") as handle:
        for line in handle:
            if len(rows) == limit:
                break
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # counted by the data job
    return rows


def _first_json_rows(path: Path, limit: int) -> list:
    """The first objects of a JSON list, decoded one by one from the top of the file: a file
    cut off after them (at FIRST_ROWS_BYTES) still gives them."""
    with open(path, "rb") as handle:
        head = handle.read(FIRST_ROWS_BYTES)
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff").lstrip()
    if not text.startswith("["):
        return []
    decoder, rows, position = json.JSONDecoder(), [], 1
    while len(rows) < limit:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            break
        try:
            row, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break
        rows.append(row)
    return rows


def _first_parquet_rows(path: Path, limit: int) -> list:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return []
    try:
        batch = next(pq.ParquetFile(path).iter_batches(batch_size=limit), None)
    except Exception:  # noqa: BLE001  (any unreadable file: the data job names the problem)
        return []
    return batch.to_pylist() if batch is not None else []


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
    layout = f" ({info['layout']['name']} layout)" if "layout" in info else ""
    if info["kind"] == "local":
        return f"{key}: {info['path']}{layout}"
    if info["kind"] == "hub":
        return f"{key}: {info['id']} (revision {info['revision']}){layout}"
    return key


def check_rows(rows: list, info: dict) -> None:
    """Fail when the rows cannot be preference data at all, naming the file and a row.

    Single broken rows are left for the split stage to count by reason; this catches a wrong
    file (too few rows, no row that is an object with fields). Whether the fields are those of
    a layout the workflow reads is convert_rows' question.
    """
    name, needs = source_name(info), f"{NEEDS}; point {SOURCE_KEYS[info['kind']]} at such data."
    if len(rows) < 2:
        raise ValueError(
            f"{name} holds {len(rows)} row{'s' * (len(rows) != 1)}; the train/validation split "
            f"needs at least 2. Point {SOURCE_KEYS[info['kind']]} at more rows."
        )
    if not any(isinstance(row, dict) for row in rows):
        found = JSON_TYPES.get(type(rows[0]), type(rows[0]).__name__)
        raise ValueError(
            f"{name} row 1: a JSON {found}, and no row is an object with fields. {needs}"
        )


def convert_rows(rows: list, info: dict, data_config: dict, default_source: str) -> list:
    """``rows`` in the workflow's own layout; ``info`` gains the layout they were read in.

    A LayoutError (a ValueError) names the data when its first rows fit no layout the
    workflow knows, or not the one data.format names. ``default_source`` becomes the
    ``source`` of rows that name none.
    """
    columns, name = data_config.get("columns"), source_name(info)
    try:
        detection = layouts.detect(rows, data_config.get("format", layouts.AUTO), columns)
    except layouts.LayoutError as error:
        raise layouts.LayoutError(f"{name}: {error}") from None
    info["layout"] = {
        **detection.record(),
        "rows_name_their_source": layouts.has_own_source(rows),
        "default_source": default_source,
    }
    log.info(
        "%s: rows in the %s layout (%s; %d of the first %d rows fit it)",
        name,
        detection.layout,
        "detected" if detection.format == layouts.AUTO else "data.format",
        detection.fitting_rows,
        detection.checked_rows,
    )
    return [layouts.to_internal(row, detection.layout, columns, default_source) for row in rows]


def check_exclude_sources(info: dict, exclude_sources) -> None:
    """data.exclude_sources with rows that name no source (``info``: load_raw_rows') fails
    with a message saying so, instead of excluding nothing."""
    own = info.get("layout", {}).get("rows_name_their_source", True)  # demo rows all do
    if error := layouts.exclude_sources_error(exclude_sources, own, source_name(info)):
        raise ValueError(error)


def load_raw_rows(data_config: dict) -> tuple[list, dict]:
    """Load rows for the configured source; also return a description for the data report."""
    source = data_config["source"]
    if source == "hub":
        hub = data_config["hub"]
        rows = load_hub_rows(hub["id"], hub["revision"], hub.get("split", "train"))
        info = {"kind": "hub", **hub, "rows": len(rows)}
        check_rows(rows, info)
        return convert_rows(rows, info, data_config, default_source=hub["id"]), info
    if source == "local":
        path = data_config["local"]["path"]
        rows, bad_lines = load_local_rows(path)
        info = {"kind": "local", "path": str(path), "rows": len(rows)}
        info["unreadable_lines"] = len(bad_lines)
        if bad_lines:
            info["first_unreadable_lines"] = bad_lines[:SHOWN_BAD_LINES]
        check_rows(rows, info)
        return convert_rows(rows, info, data_config, default_source=Path(path).name), info
    if source == "demo":
        from alignbench.data.demo import generate_demo_rows

        demo = data_config["demo"]
        rows = generate_demo_rows(demo["rows"], demo["seed"])
        info = {"kind": "demo", **demo}
        check_rows(rows, info)
        return rows, info  # generated in the workflow's own layout
    raise ValueError(f"Unknown data.source {source!r}: use hub, local or demo.")
