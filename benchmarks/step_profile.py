"""Where a training loop's time goes, by kind of work: ``python -m benchmarks.step_profile``.

Trains one method of the demo config on the demo's rows through the workflow's own ``train``
(as ``make bench`` does) under ``torch.profiler``, from the first optimiser step to the last,
and sums the self time of every operator by kind: the products of the layers' frozen weights
(the FLOPs the benchmark counts), LoRA's products (rank ``r``: tiny, many), the output layer's
products, attention's batched products, copies and casts (autocast's among them) and the rest
(element-wise work, reductions, the optimiser). The profiler's own overhead slows the loop
(ORPO on 32 demo rows, one thread: 16.7 s against 13.4 s in ``make bench``), most for the
smallest operators, so read the shares, not the seconds.

Operators are told apart by their operands' shapes: a product with a dimension equal to LoRA's
rank is LoRA's, one with the vocabulary's size the output layer's.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

from benchmarks import inputs, table, training

# The operators that do the work: composite ones (aten::linear, aten::matmul, aten::to) only
# dispatch to these, and their own time, like every other operator's, is "everything else".
PRODUCTS = ("aten::mm", "aten::addmm")
COPIES = ("aten::copy_",)
KINDS = (
    "layer products",
    "LoRA products",
    "output layer products",
    "attention products",
    "copies and casts",
    "everything else",
)


def kind_of(name: str, shapes: list, rank: int, vocabulary: int) -> str:
    """The kind of work an operator of ``name`` with operands of ``shapes`` does."""
    dims = {d for shape in shapes for d in (shape or [])}
    if name in PRODUCTS:
        if vocabulary in dims:
            return "output layer products"
        return "LoRA products" if rank in dims else "layer products"
    if name == "aten::bmm":
        return "attention products"
    if name in COPIES:
        return "copies and casts"
    return "everything else"


class ProfiledProbe(training.Probe):
    """The benchmark's probe, with the profiler running from the loop's start to its end."""

    def __init__(self):
        super().__init__()
        import torch

        self.profiler = torch.profiler.profile(
            activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=True
        )

    def attach(self, trainer) -> None:
        super().attach(trainer)
        from transformers import TrainerCallback

        profiler = self.profiler

        class Profiling(TrainerCallback):
            def on_train_begin(self, args, state, control, **kwargs):
                profiler.start()

            def on_train_end(self, args, state, control, **kwargs):
                profiler.stop()

        trainer.add_callback(Profiling())


def breakdown(profiler, rank: int, vocabulary: int) -> dict[str, dict]:
    """Self time (seconds) and calls of the profiled operators, by kind."""
    kinds = {kind: {"seconds": 0.0, "calls": 0} for kind in KINDS}
    for event in profiler.key_averages(group_by_input_shape=True):
        kind = kinds[kind_of(event.key, event.input_shapes, rank, vocabulary)]
        kind["seconds"] += event.self_cpu_time_total / 1e6
        kind["calls"] += event.count
    return kinds


def profile_method(config: dict, method: str, rows: int, cache: str) -> dict:
    from alignbench.models.loading import load_tokenizer
    from alignbench.variants import lineage

    base_model = inputs.base_model(config, cache)
    tokenizer = load_tokenizer(base_model)
    train_rows, _ = inputs.demo_splits(config, tokenizer)
    spec = training.train_spec(config, method)
    training.warm_up()
    probe = ProfiledProbe()
    parents: tuple[str, ...] = ()
    with tempfile.TemporaryDirectory() as work:
        # A variant trained on top of others (DPO after SFT): its ancestors first, unprofiled.
        for ancestor in lineage(config["variants"], method)[:-1]:
            ancestor_spec = training.train_spec(config, ancestor)
            ancestor_rows = inputs.take(train_rows, rows, ancestor)
            job = training.run_job(ancestor_spec, base_model, ancestor_rows, work, parents)
            parents = (*parents, job["adapter"])
        job = training.run_job(
            spec, base_model, inputs.take(train_rows, rows, f"training {method}"), work,
            parents, probe,
        )  # fmt: skip
    vocabulary = json.loads((Path(base_model) / "config.json").read_text())["vocab_size"]
    kinds = breakdown(probe.profiler, spec["lora"]["r"], vocabulary)
    return {"method": method, "rows": rows, "loop_seconds": job["loop_seconds"], "kinds": kinds}


def breakdown_rows(result: dict) -> list[tuple]:
    kinds = result["kinds"]
    total = sum(kind["seconds"] for kind in kinds.values())
    return [
        (kind, f"{figures['seconds']:.2f} s", f"{figures['seconds'] / total:.0%}",
         f"{figures['calls']}", f"{figures['seconds'] / max(figures['calls'], 1) * 1e6:.0f} us")
        for kind, figures in kinds.items()
    ]  # fmt: skip


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.step_profile", description=__doc__)
    parser.add_argument("--method", default="orpo", help="a variant of the config (sft, orpo, dpo)")
    parser.add_argument("--rows", type=int, default=32, help="training rows (demo data)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (a demo job's: 1)")
    parser.add_argument("--config", default=str(inputs.CONFIG), help="the workflow config")
    parser.add_argument("--cache", default=str(inputs.DEFAULT_CACHE), help="base model cache")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    logging.basicConfig(level=logging.WARNING)
    import torch

    torch.set_num_threads(options.threads)
    config = inputs.load_config(options.config)
    result = profile_method(config, options.method, options.rows, options.cache)
    columns = ("kind", "self time", "share", "calls", "per call")
    print(table.markdown_table(breakdown_rows(result), columns))
    print(f"\n{options.method}, {options.rows} rows, {options.threads} thread(s): a "
          f"{result['loop_seconds']:.1f} s loop under the profiler")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
