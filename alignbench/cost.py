"""Training cost of a preset: tokens, FLOPs and GPU hours per trained variant.

    python -m alignbench.cost config/paper.yaml [--train results/data/train.jsonl
                                                 --tokenizer results/models/base]

With the filtered training split and the model's tokenizer (after `snakemake
results/data/train.jsonl --configfile ...`), tokens are counted; without them they are estimated
from stated per-row averages and labelled as estimates.

Arithmetic: a LoRA step runs the frozen model forward (2N FLOPs per token) and back-propagates
through it to the adapters (about 2N more: activation gradients, but no weight gradients for the
frozen weights), so about 4N FLOPs per token processed. SFT processes prompt + chosen answer;
ORPO and DPO process prompt + chosen and prompt + rejected (DPO adds a reference forward, 2N).
Hours divide those FLOPs by the rate measured for each method on a GPU (4-bit de-quantisation
and checkpointing's recomputation are in that rate); padding is not counted.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import yaml

from alignbench.sweeps import expand_sweeps
from alignbench.variants import enabled_variants, trained_variants

# Llama-3.2-1B has 1,235,814,400 parameters: the shape of its config.json
# (alignbench.models.random_init.LLAMA_3_2_1B_SHAPE) with its 128,256-token vocabulary and tied
# embeddings; tests/test_cost.py counts them.
LLAMA_3_2_1B_PARAMETERS = 1.24e9
# NVIDIA's H100 SXM and H200 datasheets give the same 989 TFLOPS of dense bf16 tensor-core
# throughput (1,979 is the figure with 2:4 sparsity, which training does not use).
GPU_NAME = "H200"
GPU_PEAK_FLOPS = 989e12
# Measured, not assumed: `python -m benchmarks.gpu` on one H200 (2026-12-04; SFT and ORPO in
# docs/measurements/gpu-h200-2026-12-04.json, DPO in gpu-h200-2026-12-04-dpo.json there) trained
# the preset's QLoRA steps (8 x 4 rows of 2,048 tokens, nf4 weights, paged 8-bit AdamW, gradient
# checkpointing, sdpa) on a random Llama-3.2-1B-shaped model at these tokens per second (ORPO and
# DPO count both sequences of a pair; DPO ran with the ORPO arm's settings, its reference model
# forward on every step).
MEASURED_QLORA_TOKENS_PER_S = {"sft": 26_190, "orpo": 22_054, "dpo": 18_484}
MEASURED_ON = "one H200, 2026-12-04"
FLOPS_PER_TOKEN_FACTOR = {"sft": 4, "orpo": 4, "dpo": 6}  # x N; DPO adds the reference pass
# Used only when the split is not available: assumed mean tokens per row. Prompt tokens of 300
# real orpo-dpo-mix-40k rows, counted with the embedded model's tokenizer, had median 188 and p90
# 1,176, so the mean sits well above the median; --train and --tokenizer count a real split.
ASSUMED_MEAN_PROMPT_TOKENS = 350
ASSUMED_MEAN_ANSWER_TOKENS = 300


def measured_utilisation(method: str) -> float:
    """The measured throughput as a share of the peak, in this module's own FLOP count (4N per
    token; 6N for DPO, whose reference forward adds 2N; attention not counted)."""
    tokens_per_s = MEASURED_QLORA_TOKENS_PER_S[method]
    flops = tokens_per_s * FLOPS_PER_TOKEN_FACTOR[method] * LLAMA_3_2_1B_PARAMETERS
    return flops / GPU_PEAK_FLOPS


@dataclass(frozen=True)
class TokenCounts:
    rows: int
    prompt: float  # total prompt tokens over the split
    chosen: float  # total chosen-answer tokens
    rejected: float
    measured: bool


def count_tokens(rows: list[dict], tokenizer) -> TokenCounts:
    """Exact token totals of a split under the model's chat template."""
    from alignbench.data.chat import render_conversation, render_prompt
    from alignbench.data.conversation import prompt_messages

    prompt = chosen = rejected = 0
    for row in rows:
        prompt_len = len(render_prompt(tokenizer, prompt_messages(row)))
        prompt += prompt_len
        chosen += len(render_conversation(tokenizer, row["chosen"])) - prompt_len
        rejected += len(render_conversation(tokenizer, row["rejected"])) - prompt_len
    return TokenCounts(len(rows), prompt, chosen, rejected, measured=True)


def estimate_tokens(rows: int) -> TokenCounts:
    answers = rows * ASSUMED_MEAN_ANSWER_TOKENS
    return TokenCounts(rows, rows * ASSUMED_MEAN_PROMPT_TOKENS, answers, answers, measured=False)


def training_tokens(method: str, counts: TokenCounts, epochs: float) -> float:
    if method == "sft":
        return epochs * (counts.prompt + counts.chosen)
    return epochs * (2 * counts.prompt + counts.chosen + counts.rejected)


def variant_costs(
    config: dict, counts: TokenCounts, parameters: float, utilisation: float | None = None
) -> list[dict]:
    """Tokens, FLOPs and GPU hours per trained variant, at the given share of the peak or, by
    default, at each method's measured one."""
    # Every grid point of a sweep is a training of its own.
    variants = enabled_variants(expand_sweeps(config["variants"], config.get("lora") or {}))
    rows = []
    for name in trained_variants(variants):
        block = variants[name]
        epochs = block.get("args", {}).get("num_train_epochs", 1)
        tokens = training_tokens(block["method"], counts, epochs)
        flops = FLOPS_PER_TOKEN_FACTOR[block["method"]] * parameters * tokens
        share = utilisation if utilisation is not None else measured_utilisation(block["method"])
        seconds = flops / (GPU_PEAK_FLOPS * share)
        rows.append(
            {
                "variant": name,
                "tokens": tokens,
                "flops": flops,
                "utilisation": share,
                "hours": seconds / 3600,
            }
        )
    return rows


def format_costs(rows: list[dict], counts: TokenCounts, utilisation: float | None) -> str:
    source = (
        "counted with the model's tokenizer"
        if counts.measured
        else (
            f"ESTIMATED from assumed means of {ASSUMED_MEAN_PROMPT_TOKENS} prompt and "
            f"{ASSUMED_MEAN_ANSWER_TOKENS} answer tokens per row"
        )
    )
    lines = [
        f"{counts.rows:,} training rows; tokens {source}.",
        f"GPU hours on one {GPU_NAME} ({GPU_PEAK_FLOPS / 1e12:.0f} TFLOP/s bf16 peak) at "
        + (
            f"{utilisation:.0%} of its peak (--utilisation)."
            if utilisation is not None
            else f"the QLoRA throughput measured on {MEASURED_ON} with 2,048-token rows "
            "(python -m benchmarks.gpu), as a share of the peak in 4N FLOPs per token (DPO: 6N); "
            "padding is not counted."
        ),
        "",
        "| variant | tokens processed | FLOPs | share of peak | GPU hours |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['variant']} | {row['tokens'] / 1e6:.1f} M | {row['flops']:.2e} "
            f"| {row['utilisation']:.1%} | {row['hours']:.2f} |"
        )
    if len(rows) > 1:
        lines.append(
            f"| total ({len(rows)} trainings) | {sum(r['tokens'] for r in rows) / 1e6:.1f} M "
            f"| {sum(r['flops'] for r in rows):.2e} | | {sum(r['hours'] for r in rows):.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="a workflow config, e.g. config/paper.yaml")
    parser.add_argument("--train", help="the filtered training split (results/data/train.jsonl)")
    parser.add_argument("--tokenizer", help="the base model folder (results/models/base)")
    parser.add_argument("--parameters", type=float, default=LLAMA_3_2_1B_PARAMETERS)
    parser.add_argument(
        "--utilisation",
        type=float,
        default=None,
        help="share of the peak for every method (default: each method's measured one)",
    )
    options = parser.parse_args(argv)
    with open(options.config) as handle:
        config = yaml.safe_load(handle)
    if options.train and options.tokenizer:
        from alignbench.io import read_jsonl
        from alignbench.models.loading import load_tokenizer

        counts = count_tokens(read_jsonl(options.train), load_tokenizer(options.tokenizer))
    else:
        split = config["data"]["split"]
        if split.get("subset_size") is None:
            parser.error(
                "this config keeps every row (data.split.subset_size: null), so the row count "
                "is unknown without the data: pass --train and --tokenizer."
            )
        counts = estimate_tokens(round(split["subset_size"] * (1 - split["validation_fraction"])))
    costs = variant_costs(config, counts, options.parameters, options.utilisation)
    print(format_costs(costs, counts, options.utilisation))


if __name__ == "__main__":
    main()
