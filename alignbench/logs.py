"""Logging set-up shared by the scripts and the training command line."""

from __future__ import annotations

import logging
import sys


def setup_logging(log_file: str | None = None, level: int = logging.INFO) -> None:
    """Log to stderr and, when given, to ``log_file`` (Snakemake's ``log:``).

    An uncaught exception is logged too, with its traceback: Snakemake points the user at the
    job's log file when a job fails, and a script's traceback would otherwise reach only the
    terminal (or a scheduler's output file) and leave the log empty.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, mode="w"))
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logging.captureWarnings(True)
    sys.excepthook = log_uncaught


def log_uncaught(kind, error, traceback) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    logging.getLogger("alignbench").critical(
        "%s: %s", kind.__name__, error, exc_info=(kind, error, traceback)
    )
