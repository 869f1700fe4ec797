"""Small file helpers shared by every stage.

Every writer goes through a temporary file in the destination folder and ``os.replace``: an
interrupted job leaves no half-written file that could pass for a finished one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; results are meant to be read
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def decode_utf8(data: bytes, name: str, fix: str) -> str:
    """``data`` as text; bytes that are not UTF-8 give a ValueError naming the line and byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - data.rfind(b"\n", 0, error.start)
        raise ValueError(
            f"{name} line {line}, byte {column} (file offset {error.start}): not valid UTF-8 "
            f"(byte 0x{data[error.start]:02x}: {error.reason}). {fix}"
        ) from None


def json_error(name: str, line: int, error: json.JSONDecodeError, fix: str) -> ValueError:
    """A ValueError naming the file, line and column of ``error`` and how to fix it."""
    return ValueError(
        f"{name} line {line}, column {error.colno}: not valid JSON ({error.msg}). {fix}"
    )


# read_json and read_jsonl read files that this workflow wrote itself.
_REWRITE = (
    "The file was cut short or changed after it was written: delete it to have it made again."
)


def read_json(path: str | os.PathLike):
    text = decode_utf8(Path(path).read_bytes(), str(path), _REWRITE)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise json_error(str(path), error.lineno, error, _REWRITE) from None


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> int:
    count = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    rows = []
    text = decode_utf8(Path(path).read_bytes(), str(path), _REWRITE)
    # Only "\n" ends a line: str.splitlines would also split at characters such as U+2028,
    # which json.dumps(ensure_ascii=False) leaves unescaped inside strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise json_error(str(path), number, error, _REWRITE) from None
    return rows
