"""Command line: ``python -m alignbench.train SPEC.json --base-model DIR --train-data FILE
--adapter DIR --history FILE [--parents DIR ...] [--log FILE]``."""

from __future__ import annotations

import argparse
import logging
import os

from alignbench.io import read_json
from alignbench.logs import setup_logging
from alignbench.train.run import TrainPaths, train


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train one variant's LoRA adapter.")
    parser.add_argument("spec", help="train_spec.json written by the workflow (settings only)")
    parser.add_argument("--base-model", required=True, help="the base checkpoint folder")
    parser.add_argument("--train-data", required=True, help="the training rows (.jsonl)")
    parser.add_argument("--adapter", required=True, help="the adapter folder to write")
    parser.add_argument("--history", required=True, help="the log history file to write")
    parser.add_argument(
        "--parents",
        nargs="*",
        default=[],
        metavar="ADAPTER",
        help="adapters merged into the base before training, base side first",
    )
    parser.add_argument("--log", help="also write the log to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    options = parse_arguments(argv)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    setup_logging(options.log)
    spec = read_json(options.spec)
    paths = TrainPaths(
        base_model=options.base_model,
        train_data=options.train_data,
        adapter=options.adapter,
        history=options.history,
        parent_adapters=tuple(options.parents),
    )
    logging.getLogger(__name__).info("Training %s (%s)", spec["variant"], spec["method"])
    train(spec, paths)


if __name__ == "__main__":
    main()
