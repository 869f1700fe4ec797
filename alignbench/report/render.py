"""Turn a report context into one self-contained HTML page and write it."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import jinja2

from alignbench.io import write_text


def render_report(context: dict, template_path: str | os.PathLike) -> str:
    """Render with autoescaping on: generations are untrusted model output."""
    template_path = Path(template_path)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_path.parent)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a missing context key fails loudly, not blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template(template_path.name).render(context)


def embed_png(path: str | os.PathLike) -> str:
    """A PNG as a data URI, so the report is one file that loads nothing from anywhere."""
    encoded = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"data:image/png;base64,{encoded}"


def write_report(html: str, out_path: str | os.PathLike) -> None:
    """Atomic, so a report cut off mid-write never passes for a finished one."""
    write_text(out_path, html)
