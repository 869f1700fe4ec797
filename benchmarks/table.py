"""The benchmark's figures as one markdown table (the README's "Performance" section)."""

from __future__ import annotations

COLUMNS = ("area", "measure", "value", "note")


def markdown_table(rows: list[tuple], columns: tuple[str, ...] = COLUMNS) -> str:
    """A pipe table, padded so that it also reads as plain text."""
    cells = [tuple(str(c) for c in columns)] + [tuple(str(c) for c in row) for row in rows]
    if any(len(row) != len(columns) for row in cells):
        raise ValueError(f"Every row needs {len(columns)} cells: {columns}.")
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]

    def line(row):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def gflops(value: float) -> str:
    return f"{value / 1e9:.1f} GFLOP/s"


def result_rows(results: dict) -> list[tuple]:
    """The table's rows from the JSON the benchmark writes, area by area."""
    return [
        *peak_rows(results),
        *training_rows(results),
        *scaling_rows(results["training"]["scaling"], "training", "row"),
        *generation_rows(results),
        *scaling_rows(results["generation"]["scaling"], "generation", "prompt"),
        *scoring_rows(results),
        *dry_run_rows(results),
    ]


def peak_rows(results: dict) -> list[tuple]:
    threads = results["machine"]["threads"]
    on = f"{threads} thread{'s' if threads != 1 else ''}, best repeat"
    return [
        ("peak", f"matmul {dtype}", gflops(value), on) for dtype, value in results["peak"].items()
    ]


def training_rows(results: dict) -> list[tuple]:
    rows = []
    for job in results["training"]["per_method"].values():
        name, ratio = job["variant"], job["flops_per_second"] / results["peak"][job["precision"]]
        steps = job["optimizer_steps"]
        rows += [
            ("training", f"{name} real tokens/s", f"{job['real_tokens_per_second']:.0f}",
             f"{job['rows']} rows, {steps} optimiser step{'s' * (steps != 1)}, in the loop"),
            ("training", f"{name} padding share", f"{job['padding_share']:.1%}",
             f"{job['padded_tokens']} positions computed, {job['computed_real_tokens']} real"
             + shared_prompt_note(job)),
            ("training", f"{name} achieved FLOP/s", gflops(job["flops_per_second"]),
             f"{ratio:.1%} of the {job['precision']} peak"),
            *layer_products_rows(job),
            ("training", f"{name} outside the loop", f"{job['outside_seconds']:.1f} s",
             f"imports {job['import_seconds']:.1f} + set-up {job['setup_seconds']:.1f}"
             f" + save {job['save_seconds']:.1f} s, of a {job['loop_seconds']:.1f} s loop"),
        ]  # fmt: skip
    return rows


def layer_products_rows(job: dict) -> list[tuple]:
    """The rate of the loop's own layer products alone, and the loop's share of it."""
    alone = job.get("layer_products_flops_per_second")
    if not alone:
        return []
    positions = round(job["positions_per_pass"])
    return [
        ("training", f"{job['variant']} layer products alone", gflops(alone),
         f"{job['precision']}, {positions} positions per pass: the loop reaches "
         f"{job['flops_per_second'] / alone:.1%} of it"),
    ]  # fmt: skip


def shared_prompt_note(job: dict) -> str:
    if not job["shared_tokens"]:
        return ""
    return f", for {job['real_tokens']} tokens ({job['shared_tokens']} shared by a pair, once)"


def generation_rows(results: dict) -> list[tuple]:
    comparison = results["generation"]["comparison"]
    batched, single = comparison["batched"], comparison["single"]
    configured = results["generation"]["runs"][-1]
    gain = results["generation"]["precision_gain"]
    same = "identical" if comparison["identical"] else "DIFFERENT"
    exact = comparison.get("precision", "")
    return [
        ("generation", f"batched new tokens/s, {configured['precision']}",
         f"{configured['new_tokens_per_second']:.1f}",
         f"{configured['prompts']} prompts, batch {configured['batch_size']}"),
        ("generation", f"batched new tokens/s, {exact}", f"{batched['new_tokens_per_second']:.1f}",
         f"{batched['prompts']} prompts, batch {batched['batch_size']}"),
        ("generation", f"one-at-a-time new tokens/s, {exact}",
         f"{single['new_tokens_per_second']:.1f}", f"same prompts; greedy outputs {same}"),
        ("generation", "batched speed-up", f"{comparison['speedup']:.2f}x", f"{exact}"),
        # Where the configured precision is fp32 (a CPU without bf16), this would set two
        # timings of the same computation against each other.
        *([("generation", f"{gain['precision']} over fp32, batched", f"{gain['speedup']:.2f}x",
            f"{gain['prompts']} prompts; {gain['answers_differing_from_fp32']} greedy answers "
            "differ")] if gain["precision"] != "fp32" else []),
        *batch_size_rows(results["generation"].get("batch_sizes", []), configured),
    ]  # fmt: skip


def batch_size_rows(runs: list[dict], configured: dict) -> list[tuple]:
    """One row: the same prompts' generation time at each batch size tried."""
    if not runs:
        return []

    def label(run):
        mark = " (configured)" if run["batch_size"] == configured["batch_size"] else ""
        return f"{run['batch_size']}{mark}: {run['seconds']:.1f} s"

    times = ", ".join(label(run) for run in runs)
    best = min(runs, key=lambda run: run["seconds"])
    return [
        ("generation", "by batch size", f"best {best['batch_size']}",
         f"{runs[0]['prompts']} prompts, {configured['precision']}; {times}")
    ]  # fmt: skip


def scaling_rows(fits: dict, area: str, unit: str) -> list[tuple]:
    rows = []
    for name, fit in fits.items():
        sizes = "/".join(str(s) for s in fit["sizes"])
        times = "/".join(f"{s:.1f}" for s in fit["seconds"])
        shape = "linear" if fit["linear"] else "NOT linear"
        rows.append(
            (area, f"{name} cost growth", f"{fit['slope']:.2f} s/{unit}",
             f"{sizes} {unit}s: {times} s; {shape} (worst point {fit['max_deviation']:.0%} off), "
             f"last/first step {fit['marginal_ratio']:.2f}")
        )  # fmt: skip
    return rows


def scoring_rows(results: dict) -> list[tuple]:
    scoring = results["scoring"]
    way = "prompt once per pair" if scoring["shared_prompt"] else "conversations apart"
    return [
        ("scoring", "preference pairs/s", f"{scoring['pairs_per_second']:.2f}",
         f"{scoring['pairs']} pairs, batch {scoring['batch_size']}, "
         f"{scoring.get('precision', '')}, {way}"),
        ("scoring", "shared prompt speed-up",
         f"{scoring['pairs_per_second'] / scoring['apart_pairs_per_second']:.2f}x",
         f"conversations apart: {scoring['apart_pairs_per_second']:.2f} pairs/s; positions "
         f"{scoring['positions']} against {scoring['apart_positions']}; log p differ by at most "
         f"{scoring['max_difference']:.1e}"),
    ]  # fmt: skip


def dry_run_rows(results: dict) -> list[tuple]:
    dry, measure = results["dry_run"], "no-op `snakemake -n report`"
    if "skipped" in dry:
        return [("workflow", measure, "skipped", dry["skipped"])]
    note = "nothing to do" if dry["noop"] else "NOT a no-op: jobs were planned"
    tries = dry.get("tries", [dry["seconds"]])
    note += f"; best of {len(tries)}: " + " / ".join(f"{t:.2f}" for t in tries) + " s"
    return [("workflow", measure, f"{dry['seconds']:.2f} s", note)]
