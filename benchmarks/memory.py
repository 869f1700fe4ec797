"""Peak memory of training at real lengths: ``python -m benchmarks.memory [--rows FILE]``.

SFT and ORPO on the demo model, with the demo config's batch (micro-batch x accumulation), at
each length cap (256, 512 and 768 tokens by default), with activation checkpointing off and on;
every run in a fresh process, whose peak resident memory is the figure. Rows: a preference data
file in any layout the workflow reads (``--rows``), capped at each length as the workflow's
filter does; or, without one, rows built from the demo generator's rows joined together to
reach each length.
The losses of the first steps are printed beside the memory, so that settings which should not
change the training (checkpointing) can be seen not to.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import inputs, table

LENGTHS = (256, 512, 768)
METHODS = ("sft", "orpo")
COLUMNS = (
    "method",
    "max tokens",
    "checkpointing",
    "peak RSS",
    "losses",
    "real tokens/s",
    "rows",
    "tokens / positions computed",
)


def joined_demo_rows(length: int, tokenizer, count: int, seed: int = 0) -> list[dict]:
    """``count`` preference rows of up to ``length`` tokens (prompt + longer answer), each
    joining consecutive demo rows (prompts with prompts, answers with answers) while they fit."""
    from alignbench.data.demo import generate_demo_rows
    from alignbench.data.filtering import token_lengths

    pool = iter(generate_demo_rows(count * (length // 32 + 2), seed))
    rows = []
    for first in pool:
        if max(token_lengths(first, tokenizer)) > length:
            continue
        row = first
        for following in pool:
            joined = _joined(row, following)
            if max(token_lengths(joined, tokenizer)) > length:
                break
            row = joined
        rows.append(row)
        if len(rows) == count:
            return rows
    raise ValueError(f"The demo generator ran out of rows for {count} rows of {length} tokens.")


def _joined(row: dict, other: dict) -> dict:
    def text(messages, role):
        return next(m["content"] for m in messages if m["role"] == role)

    prompt = text(row["chosen"], "user") + "\n\n" + text(other["chosen"], "user")
    answers = {
        side: text(row[side], "assistant") + "\n\n" + text(other[side], "assistant")
        for side in ("chosen", "rejected")
    }
    return {
        **row,
        "prompt": prompt,
        "question": prompt,
        **{
            side: [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
            for side, answer in answers.items()
        },
    }


def file_rows(path: str, length: int, tokenizer) -> list[dict]:
    """The rows of a data file in any layout the workflow reads, converted, with the rows that
    exceed ``length`` tokens (prompt, or prompt + answer) left out, as the workflow does."""
    from alignbench.data.filtering import cap_lengths
    from alignbench.data.layouts import detect, to_internal
    from alignbench.data.schema import row_problem
    from alignbench.io import read_jsonl

    raw = read_jsonl(path)
    layout = detect(raw).layout
    rows = [to_internal(row, layout, None, Path(path).name) for row in raw]
    rows = [row for row in rows if row_problem(row) is None]
    return cap_lengths(rows, tokenizer, max_prompt_tokens=length, max_total_tokens=length)[0]


def child(arguments: dict) -> dict:
    """One training run in this process: the figures and this process's peak memory."""
    import torch

    from alignbench.io import read_json
    from alignbench.models.loading import load_tokenizer
    from benchmarks import training

    torch.set_num_threads(arguments["threads"])
    config = inputs.load_config(arguments["config"])
    base = arguments["base_model"]
    tokenizer = load_tokenizer(base)
    spec = training.train_spec(config, arguments["method"])
    batch = training.rows_per_step(spec)
    length, steps = arguments["length"], arguments["steps"]
    if arguments["rows"]:
        rows = file_rows(arguments["rows"], length, tokenizer)
        # A file may hold few rows that short: fewer steps, never a smaller batch.
        steps = min(steps, len(rows) // batch)
        if not steps:
            raise ValueError(
                f"{arguments['rows']} has {len(rows)} rows within {length} tokens; "
                f"one step takes {batch}."
            )
        rows = rows[: steps * batch]
    else:
        rows = joined_demo_rows(length, tokenizer, steps * batch)
    spec["args"] = {
        **spec["args"],
        "max_length": length,
        "max_steps": steps,
        "logging_steps": 1,
        "activation_checkpointing": arguments["checkpointing"],
    }
    job = training.run_job(spec, base, rows, arguments["work"])
    history = read_json(Path(job["adapter"]) / "log_history.json")
    job["losses"] = [entry["loss"] for entry in history if "loss" in entry]
    job["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return job


def run_child(arguments: dict) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(arguments["threads"])}
    env.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", "--child", json.dumps(arguments)],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        return {**arguments, "failed": result.stderr[-1500:]}
    return {**arguments, **json.loads(result.stdout.strip().splitlines()[-1])}


def rows_of(runs: list[dict]) -> list[tuple]:
    rows = []
    for run in runs:
        settings = (run["method"], run["length"], "on" if run["checkpointing"] else "off")
        if "failed" in run:
            rows.append((*settings, "failed", run["failed"].splitlines()[-1], "", "", ""))
            continue
        rows.append(
            (
                *settings,
                f"{run['peak_rss_bytes'] / 1e9:.1f} GB",
                " ".join(f"{loss:.4f}" for loss in run["losses"]),
                f"{run['real_tokens_per_second']:.0f}",
                run["rows"],
                f"{run['real_tokens']} / {run['padded_tokens']}",
            )
        )
    return rows


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__)
    parser.add_argument("--rows", help="preference rows (jsonl, in any layout the workflow reads)")
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--checkpointing", nargs="+", default=["off", "on"], choices=["off", "on"])
    parser.add_argument("--steps", type=int, default=2, help="optimiser steps per run")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--config", default=str(inputs.CONFIG), help="the workflow config")
    parser.add_argument("--cache", default=str(inputs.DEFAULT_CACHE), help="base model cache")
    parser.add_argument("--out", default=str(inputs.REPO / "results" / "bench" / "memory.json"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    if options.child:
        print(json.dumps(child(json.loads(options.child))))
        return 0
    base = inputs.base_model(inputs.load_config(options.config), options.cache)
    runs = []
    with tempfile.TemporaryDirectory() as work:
        for length in options.lengths:
            for method in options.methods:
                for checkpointing in options.checkpointing:
                    arguments = {
                        "method": method,
                        "length": length,
                        "checkpointing": checkpointing == "on",
                        "steps": options.steps,
                        "rows": options.rows,
                        "threads": options.threads,
                        "config": options.config,
                        "base_model": str(base),
                        "work": str(Path(work) / f"{method}-{length}-{checkpointing}"),
                    }
                    runs.append(run_child(arguments))
                    print(table.markdown_table(rows_of(runs[-1:]), COLUMNS), file=sys.stderr)
    out = Path(options.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(runs, indent=2) + "\n")
    print(table.markdown_table(rows_of(runs), COLUMNS))
    source = options.rows or "joined demo rows"
    print(f"\n{options.threads} thread(s); rows: {source}; figures in {out}")
    return 1 if any("failed" in run for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
