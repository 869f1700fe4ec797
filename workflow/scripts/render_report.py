"""Snakemake adapter: render the paper-style HTML report from every result of the run."""

from pathlib import Path

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.benchmark_files import read_benchmarks
from alignbench.io import read_json, read_jsonl
from alignbench.logs import setup_logging
from alignbench.provenance import collect_provenance
from alignbench.report.context import build_context
from alignbench.report.render import render_report, write_report

setup_logging(snakemake.log[0])
inputs, params = snakemake.input, snakemake.params
variants = list(params.variants)  # the enabled variants, in config order
context = build_context(
    config=params.config,
    variants=variants,
    summaries={v: read_json(p) for v, p in zip(variants, inputs.summaries, strict=True)},
    comparisons=read_json(inputs.comparisons),
    generations={v: read_jsonl(p) for v, p in zip(variants, inputs.generations, strict=True)},
    data_report=read_json(inputs.data_report),
    figures={
        "rouge": inputs.rouge_png,
        "rouge_intervals": inputs.rouge_intervals_png,
        "paired_differences": inputs.differences_png,
        "preference_accuracy": inputs.preferences_png,
        "training_curves": inputs.curves_png,
        "answer_lengths": inputs.lengths_png,
    },
    benchmarks=read_benchmarks(inputs.benchmarks),
    provenance=collect_provenance(
        Path.cwd(), read_json(Path(inputs.base_model) / "origin.json").get("software")
    ),
    report_dir=Path(inputs.template).parent,
)
write_report(render_report(context, inputs.template), snakemake.output.html)
