"""Turn a report context into one self-contained HTML page and write it."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import jinja2

from alignbench.evaluation import metrics
from alignbench.io import write_text
from alignbench.report.config_view import format_value


def metric_filter(formatter):
    """A Jinja filter that prints a value of ``metric`` with that metric's decimals."""
    return lambda value, metric: formatter(value, metrics.digits(metric))


# How the templates print numbers: `{{ mean|score("rougeL") }}`, `{{ row.p_value|p_value }}`.
FILTERS = {
    "score": metric_filter(metrics.format_score),
    "signed": metric_filter(metrics.format_signed),
    "interval": metric_filter(metrics.format_interval),
    "p_value": metrics.format_p_value,
    "label": metrics.label,
    "prompts_scored": metrics.prompts_scored,
    "value": format_value,
    "thousands": "{:,}".format,
    "percent": lambda share: f"{100 * share:.0f}%",
}


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
    environment.filters.update(FILTERS)
    environment.globals.update(
        MISSING=metrics.MISSING, TEST_LEVEL=metrics.TEST_LEVEL, CHANCE=metrics.CHANCE
    )
    return environment.get_template(template_path.name).render(context)


def embed_png(path: str | os.PathLike) -> str:
    """A PNG as a data URI, so the report is one file that loads nothing from anywhere."""
    encoded = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"data:image/png;base64,{encoded}"


def write_report(html: str, out_path: str | os.PathLike) -> None:
    """Atomic, so a report cut off mid-write never passes for a finished one."""
    write_text(out_path, html)
