"""Command line: ``python -m alignbench.train SPEC.json [--log FILE]``."""

from __future__ import annotations

import argparse
import logging
import os

from alignbench.io import read_json
from alignbench.logs import setup_logging
from alignbench.train.run import train


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train one variant's LoRA adapter.")
    parser.add_argument("spec", help="train_spec.json written by the workflow")
    parser.add_argument("--log", help="also write the log to this file")
    options = parser.parse_args(argv)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    setup_logging(options.log)
    spec = read_json(options.spec)
    logging.getLogger(__name__).info("Training %s (%s)", spec["variant"], spec["method"])
    train(spec)


if __name__ == "__main__":
    main()
