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
variants = list(params.variants)  # the enabled variants in display order, grid points included
arms = list(params.arms)  # the same without the grid points other than each sweep's default
context = build_context(
    config=params.config,
    variants=arms,
    summaries={v: read_json(p) for v, p in zip(variants, inputs.summaries, strict=True)},
    comparisons=read_json(inputs.comparisons),
    generations={v: read_jsonl(p) for v, p in zip(arms, inputs.generations, strict=True)},
    data_report=read_json(inputs.data_report),
    figures={
        "rouge": inputs.rouge_png,
        "rouge_intervals": inputs.rouge_intervals_png,
        "paired_differences": inputs.differences_png,
        "preference_accuracy": inputs.preferences_png,
        "training_curves": inputs.curves_png,
        "answer_lengths": inputs.lengths_png,
    },
    sweeps=dict(params.sweeps),
    sweep_figures=list(inputs.sweep_pngs),
    benchmarks=read_benchmarks(inputs.benchmarks),
    provenance=collect_provenance(
        Path.cwd(), read_json(Path(inputs.base_model) / "origin.json").get("software")
    ),
    report_dir=Path(inputs.template).parent,
    precision=read_json(inputs.checked).get("precision"),
)
write_report(render_report(context, inputs.template), snakemake.output.html)
