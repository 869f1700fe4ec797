"""``python -m benchmarks [--quick] [--scale X] [--out FILE.json]``: measure, print, save.

Everything runs in this one process on the same threads, one measurement after another, so the
figures are comparable with each other (README, "Performance").
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import sys
import time
from pathlib import Path

from alignbench import job_settings
from benchmarks import dry_run, generation, inputs, peak, scaling, scoring, table, training

DEFAULT_OUT = inputs.REPO / "results" / "bench" / "benchmarks.json"
MULTIPLES = (1, 2, 4)
METHOD_ORDER = ("sft", "orpo", "dpo")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, and only SFT at 2x and 4x: a short check"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply the 1x sizes (training rows, prompts)"
    )
    parser.add_argument(
        "--cores",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="the cores a local run is given (snakemake --cores); default: every CPU this"
        " process may use",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads; default: what a local run on --cores gives each model job, --cores"
        " divided by the config's compute.parallel_model_jobs (at least one)",
    )
    parser.add_argument("--config", default=str(inputs.CONFIG), help="the workflow config")
    parser.add_argument("--cache", default=str(inputs.DEFAULT_CACHE), help="base model cache")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="the JSON of every figure")
    return parser.parse_args(argv)


def sizes(options: argparse.Namespace, config: dict) -> dict:
    """The 1x amounts of work. Full: two optimiser steps per method, and a quarter of the
    configured prompts (so 4x is the workflow's own generation job); quick: a fraction."""
    prompts = config["generation"]["prompts"]
    # null scores every validation pair; the benchmark measures a rate, so as many pairs as
    # prompts stand in for it.
    pairs = config["evaluation"]["preference_pairs"] or prompts
    if options.quick:
        base = {"train_steps": 1, "prompts": max(1, prompts // 10), "max_new_tokens": 16}
        base["pairs"] = max(1, pairs // 5)
        base["scaled_methods"] = ("sft",)
    else:
        base = {"train_steps": 2, "prompts": max(1, prompts // 4)}
        base["max_new_tokens"] = config["generation"]["max_new_tokens"]
        base["pairs"] = pairs
        base["scaled_methods"] = METHOD_ORDER
    base["train_steps"] = max(1, round(base["train_steps"] * options.scale))
    base["prompts"] = max(1, round(base["prompts"] * options.scale))
    return base


def machine(cores: int, threads: int) -> dict:
    import torch

    model = next(
        (line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")),
        platform.processor(),
    )
    return {
        "cpu": model,
        "nproc": os.cpu_count(),
        "cores": cores,
        "threads": threads,
        "load_average_at_start": os.getloadavg(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def _cpuinfo() -> list[str]:
    path = Path("/proc/cpuinfo")
    return path.read_text().splitlines() if path.exists() else []


def bench_training(config, base_model, train_rows, size, threads, work) -> dict:
    training.warm_up()
    jobs, per_method, fits = [], {}, {}
    sft_adapter = None
    for variant in METHOD_ORDER:
        spec = training.train_spec(config, variant)
        # DPO starts from the SFT adapter, as in the workflow (its `from: sft`).
        parents = (sft_adapter,) if config["variants"][variant].get("from") == "sft" else ()
        unit = size["train_steps"] * training.rows_per_step(spec)
        multiples = MULTIPLES if variant in size["scaled_methods"] else (1,)
        imports = training.import_seconds(spec["method"], threads)
        runs = []
        for multiple in multiples:
            rows = inputs.take(train_rows, unit * multiple, f"training {variant}")
            job = training.run_job(spec, base_model, rows, work, parents)
            job.update(scale=multiple, import_seconds=imports)
            job["outside_seconds"] = imports + job["setup_seconds"] + job["save_seconds"]
            log(f"trained {variant} on {len(rows)} rows: {job['job_seconds']:.1f} s")
            runs.append(job)
        if variant == "sft":
            sft_adapter = runs[0]["adapter"]
        jobs += runs
        largest = per_method[variant] = runs[-1]  # the largest run: the least noisy rate
        largest["layer_products_flops_per_second"] = peak.layer_products_flops_per_second(
            largest["layer_shapes"], round(largest["positions_per_pass"]), largest["precision"]
        )
        if len(runs) > 1:
            fits[variant] = scaling.fit_line(
                [j["rows"] for j in runs], [j["loop_seconds"] for j in runs]
            )
    return {"token_counts": training.TOKEN_SOURCE, "jobs": jobs, "per_method": per_method,
            "scaling": fits}  # fmt: skip


def bench_generation(config, base_model, validation, size) -> dict:
    """Generation at the configured precision (1x, 2x, 4x prompts: the cost growth), the
    batching check in fp32, and scoring at the configured precision.

    Batched and one-at-a-time greedy answers are compared in fp32: batching changes the shapes
    of every matrix product, so the sums run in another order, and in bf16 that rounding alone
    flips some greedy tokens (here it did, in most answers); in fp32 the answers must agree, and
    differing ones mean the batching itself is wrong. The configured precision's batched rate is
    then set against fp32's on the same prompts."""
    from alignbench.models.hardware import resolve_precision
    from alignbench.models.loading import load_tokenizer, load_variant

    settings = config["generation"]
    decoding = {**settings, "max_new_tokens": size["max_new_tokens"]}
    precision = resolve_precision(settings["precision"])
    attention = config["model"]["attn_implementation"]
    model = load_variant(base_model, [], precision, attention)
    tokenizer = load_tokenizer(base_model)
    generation.warm_up(model, tokenizer, validation, decoding)
    # The batching check below runs on the 2x prompts.
    checked = 2
    runs, checked_records = [], None
    for multiple in MULTIPLES:
        rows = inputs.take(validation, size["prompts"] * multiple, "generation")
        run = generation.timed_generation(model, tokenizer, rows, decoding)
        if multiple == checked:
            checked_records = run["records"]
        runs.append({**generation.without_records(run), "precision": precision})
        log(f"generated {len(rows)} prompts in {precision}: {run['seconds']:.1f} s")
    fit = scaling.fit_line([r["prompts"] for r in runs], [r["seconds"] for r in runs])
    batch_sizes = batch_size_runs(model, tokenizer, rows, decoding, runs[-1])

    exact = model if precision == "fp32" else load_variant(base_model, [], "fp32", attention)
    generation.warm_up(exact, tokenizer, validation, decoding)
    rows = inputs.take(validation, size["prompts"] * checked, "generation")
    comparison = generation.batched_vs_single(exact, tokenizer, rows, decoding)
    comparison["precision"] = "fp32"
    log(f"generated {len(rows)} prompts in fp32, batched and one at a time")
    configured = runs[MULTIPLES.index(checked)]
    precision_gain = {
        "precision": precision,
        "prompts": len(rows),
        "speedup": configured["new_tokens_per_second"]
        / comparison["batched"]["new_tokens_per_second"],
        "answers_differing_from_fp32": len(
            generation.mismatched_ids(checked_records, comparison.pop("records"))
        ),
    }
    pairs = inputs.take(validation, size["pairs"], "preference scoring")
    scores = scoring.score_pairs(model, tokenizer, pairs, config["evaluation"]["batch_size"])
    log(f"scored {len(pairs)} pairs in {precision}: {scores['seconds']:.1f} s")
    return {
        "generation": {
            "runs": runs,
            "comparison": comparison,
            "precision_gain": precision_gain,
            "scaling": {"batched": fit},
            "batch_sizes": batch_sizes,
        },
        "scoring": {**scores, "precision": precision},
    }


def batch_size_runs(model, tokenizer, rows, decoding: dict, configured: dict) -> list[dict]:
    """The largest prompt set at half and twice the configured batch size too, beside the
    configured one's run (``configured``): whether the setting is near the best here."""
    chosen = decoding["batch_size"]
    runs = [configured]
    for batch_size in (max(1, chosen // 2), chosen * 2):
        run = generation.timed_generation(
            model, tokenizer, rows, {**decoding, "batch_size": batch_size}
        )
        runs.append(generation.without_records(run))
        log(f"generated {len(rows)} prompts at batch {batch_size}: {run['seconds']:.1f} s")
    return sorted(runs, key=lambda run: run["batch_size"])


def log(message: str) -> None:
    print(f"[benchmarks {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    logging.basicConfig(level=logging.WARNING)
    import torch

    started = time.perf_counter()
    config = inputs.load_config(options.config)
    if options.threads is None:
        options.threads = job_settings.local_model_job_threads(config, options.cores)
    torch.set_num_threads(options.threads)
    size = sizes(options, config)
    results = {"machine": machine(options.cores, options.threads), "quick": options.quick}
    results["sizes"] = size
    results["peak"] = peak.matmul_peak(seconds=1.0 if options.quick else 3.0)
    log("peak: " + ", ".join(f"{k} {v / 1e9:.0f} GFLOP/s" for k, v in results["peak"].items()))

    from alignbench.models.loading import load_tokenizer

    base_model = inputs.base_model(config, options.cache)
    train_rows, validation = inputs.demo_splits(config, load_tokenizer(base_model))
    work = Path(options.cache) / "work"
    shutil.rmtree(work, ignore_errors=True)
    try:
        results["training"] = bench_training(
            config, base_model, train_rows, size, options.threads, work
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results.update(bench_generation(config, base_model, validation, size))
    results["dry_run"] = dry_run.noop_dry_run(cores=options.cores)
    results["seconds"] = time.perf_counter() - started
    # Other work on the same cores slows every figure: the load says whether there was any.
    results["machine"]["load_average_at_end"] = os.getloadavg()

    out = Path(options.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(table.markdown_table(table.result_rows(results)))
    load = results["machine"]["load_average_at_end"][2]
    print(f"\n{results['machine']['cpu']}, {options.threads} thread(s) per job on {options.cores} "
          f"cores, 15-min load {load:.1f} at "
          f"the end; {results['seconds']:.0f} s in all; figures in {out}")  # fmt: skip
    # Differing greedy outputs mean the batching changed the answers: a failure, not a figure.
    return 0 if results["generation"]["comparison"]["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
