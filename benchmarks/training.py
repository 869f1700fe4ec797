"""Training throughput of the workflow's own trainer (alignbench.train.run.train), per method.

The trainer is the workflow's, built by ``train`` from the same spec the train rule writes; the
only addition is a probe attached when the trainer is constructed: a callback that times the
optimiser loop, a forward pre-hook on the decoder that counts the real tokens of every batch the
trainer passes (by the attention mask), and one on its first layer that counts the positions the
layers compute (fewer where ORPO and DPO compute a pair's shared prompt once,
``training.shared_prompt``). FLOPs count the real positions computed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from alignbench.io import write_jsonl

# FLOPs per parameter and token. A forward pass is one multiply-add per weight (2); the
# backward pass through a frozen base computes only activation gradients (another 2), not
# weight gradients (LoRA's own are negligible): a trained token costs ~4N, a no-grad forward
# (DPO's reference pass) 2N. Attention's own FLOPs are left out (short sequences).
TRAIN_FLOPS_PER_PARAM = 4
FORWARD_FLOPS_PER_PARAM = 2
TOKEN_SOURCE = (
    "counted in every forward pass the trainer ran: tokens at the decoder (attention mask), "
    "positions computed at its first layer"
)


def train_spec(config: dict, variant: str, seed: int | None = None) -> dict:
    """The spec the workflow's write_train_spec rule writes for ``variant`` (the first
    training seed unless ``seed`` is given)."""
    from alignbench.job_settings import train_spec as workflow_train_spec

    return workflow_train_spec(
        config, variant, config["training"]["seeds"][0] if seed is None else seed
    )


def rows_per_step(spec: dict) -> int:
    """Rows one optimiser step consumes on one process."""
    args = spec["args"]
    return args.get("per_device_train_batch_size", 8) * args.get("gradient_accumulation_steps", 1)


class Probe:
    """Times the optimiser loop and counts the tokens of one training run."""

    def __init__(self):
        self.loop_start = self.loop_end = None
        self.steps = 0
        self.parameters = 0
        # (in, out) features of one decoder layer's frozen linear layers, in order: the matrix
        # products every position goes through (peak.layer_products_flops_per_second).
        self.layer_shapes: list[tuple[int, int]] = []
        # Per kind of forward pass (with and without gradients): the conversations' real tokens,
        # the real and all positions the layers computed (fewer real ones than tokens where a
        # preference pair's shared prompt was computed once).
        self.trained = Tally()
        self.reference = Tally()
        self._pending = None

    def attach(self, trainer) -> None:
        from transformers import TrainerCallback

        probe = self

        class LoopTimer(TrainerCallback):
            def on_train_begin(self, args, state, control, **kwargs):
                probe.loop_start = time.perf_counter()

            def on_train_end(self, args, state, control, **kwargs):
                probe.loop_end = time.perf_counter()
                probe.steps = state.global_step

        trainer.add_callback(LoopTimer())
        # The decoder (the module holding the embeddings and the layers) sees each batch as the
        # trainer built it: after TRL's collation, concatenation and any truncation. Its first
        # layer sees what the model computes: pairs packed, where they were.
        decoder = next(m for m in trainer.model.modules() if hasattr(m, "embed_tokens"))
        decoder.register_forward_pre_hook(self.count, with_kwargs=True)
        decoder.layers[0].register_forward_pre_hook(self.count_computed)
        # The frozen base's size; the LoRA weights are left out (N in the FLOP estimate).
        self.parameters = sum(
            p.numel() for name, p in trainer.model.named_parameters() if "lora_" not in name
        )
        self.layer_shapes = frozen_linear_shapes(decoder.layers[0])

    def count(self, module, args, kwargs) -> None:
        import torch

        from alignbench.models.pair_packing import right_padded_halves, shared_prefix_lengths

        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is None:
            ids = kwargs["inputs_embeds"][..., 0]
        mask = kwargs.get("attention_mask")
        # A padding-free batch has no 2-D mask: every token in it is real.
        real = int(mask.sum()) if mask is not None and mask.dim() == 2 else ids.numel()
        shared = 0
        if ids.dim() == 2 and right_padded_halves(ids, mask):
            shared = int(shared_prefix_lengths(ids, mask).sum())
        tally = self.trained if torch.is_grad_enabled() else self.reference
        tally.tokens += real
        self._pending = (tally, ids.shape[0], real, shared)

    def count_computed(self, module, args) -> None:
        # Activation checkpointing runs the layers again in the backward pass: counted once.
        if self._pending is None:
            return
        tally, rows, real, shared = self._pending
        self._pending = None
        hidden = args[0]
        packed = hidden.shape[0] < rows
        tally.computed_real += real - shared if packed else real
        tally.computed += hidden.shape[0] * hidden.shape[1]
        tally.passes += 1


def frozen_linear_shapes(layer) -> list[tuple[int, int]]:
    """(in, out) features of ``layer``'s frozen ``nn.Linear`` modules (a LoRA layer's base)."""
    import torch

    return [
        (module.in_features, module.out_features)
        for module in layer.modules()
        if type(module) is torch.nn.Linear and not module.weight.requires_grad
    ]


@dataclass
class Tally:
    tokens: int = 0  # real tokens of the conversations the trainer passed
    computed_real: int = 0  # real positions the layers computed
    computed: int = 0  # every position the layers computed, padding included
    passes: int = 0  # forward passes through the layers


@contextlib.contextmanager
def probed(method_name: str, probe: Probe):
    """Make ``train`` build its trainer with ``probe`` attached: the method's trainer class is
    swapped for a subclass for the duration (train looks it up in METHODS on every call)."""
    from alignbench.train.methods import METHODS, Method

    original = METHODS[method_name]

    def trainer_and_config():
        trainer_cls, config_cls = original.trainer_and_config()

        class ProbedTrainer(trainer_cls):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                probe.attach(self)

        return ProbedTrainer, config_cls

    METHODS[method_name] = Method(original.name, original.to_example, trainer_and_config)
    try:
        yield
    finally:
        METHODS[method_name] = original


def run_job(
    spec: dict,
    base_model: str | Path,
    rows: list[dict],
    work_dir: str | Path,
    parents: tuple[str, ...] = (),
    probe: Probe | None = None,
) -> dict:
    """Train one adapter through the workflow's ``train``; return its timings and counts
    (taken by ``probe``, a fresh ``Probe`` unless given)."""
    from alignbench.train.run import TrainPaths, train

    work = Path(work_dir) / f"{spec['variant']}-{len(rows)}rows"
    work.mkdir(parents=True, exist_ok=True)
    data = work / "train.jsonl"
    write_jsonl(data, rows)
    paths = TrainPaths(
        base_model=str(base_model),
        train_data=str(data),
        adapter=str(work / "adapter"),
        history=str(work / "log_history.json"),
        parent_adapters=tuple(str(p) for p in parents),
    )
    probe = probe or Probe()
    with probed(spec["method"], probe):
        start = time.perf_counter()
        adapter = train(spec, paths)
        end = time.perf_counter()
    return job_figures(spec, len(rows), probe, start, end, adapter)


def job_figures(spec: dict, rows: int, probe: Probe, start: float, end: float, adapter) -> dict:
    from alignbench.models.hardware import resolve_precision

    loop = probe.loop_end - probe.loop_start
    trained, reference = probe.trained, probe.reference
    real = trained.tokens
    flops = TRAIN_FLOPS_PER_PARAM * probe.parameters * trained.computed_real
    flops += FORWARD_FLOPS_PER_PARAM * probe.parameters * reference.computed_real
    return {
        "variant": spec["variant"],
        "method": spec["method"],
        "precision": resolve_precision(spec["precision"]),
        "rows": rows,
        "optimizer_steps": probe.steps,
        "parameters": probe.parameters,
        "real_tokens": real,
        "computed_real_tokens": trained.computed_real,
        "padded_tokens": trained.computed,
        "reference_real_tokens": reference.tokens,
        "reference_computed_real_tokens": reference.computed_real,
        # Tokens of a preference pair's shared start, computed once for both conversations.
        "shared_tokens": trained.tokens - trained.computed_real,
        "padding_share": padding_share(trained.computed_real, trained.computed),
        "forward_passes": trained.passes,
        # Positions per forward pass: the rows of every matrix product in the layers.
        "positions_per_pass": trained.computed / trained.passes if trained.passes else 0.0,
        "layer_shapes": probe.layer_shapes,
        "loop_seconds": loop,
        "job_seconds": end - start,
        # Model loading, data tokenisation and trainer set-up; then saving the adapter.
        "setup_seconds": probe.loop_start - start,
        "save_seconds": end - probe.loop_end,
        "real_tokens_per_second": real / loop,
        "flops": flops,
        "flops_per_second": flops / loop,
        "adapter": str(adapter),
    }


def padding_share(real: int, padded: int) -> float:
    """Share of the computed token positions that were padding."""
    return 1 - real / padded if padded else 0.0


def import_seconds(method_name: str, threads: int) -> float:
    """Wall time of a fresh interpreter importing what a training job of ``method_name``
    imports before any work: each workflow job is a new process and pays it again."""
    code = (
        "from alignbench.train.__main__ import main; "
        "from alignbench.train.methods import METHODS; "
        f"METHODS[{method_name!r}].trainer_and_config(); "
        "import accelerate, datasets, peft"
    )
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "TRL_EXPERIMENTAL_SILENCE": "1"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def warm_up() -> None:
    """Import the training stack once, so the first measured job does not pay for it."""
    from alignbench.train.methods import METHODS

    for method in METHODS.values():
        method.trainer_and_config()
    import accelerate  # noqa: F401
    import datasets  # noqa: F401
    import peft  # noqa: F401
