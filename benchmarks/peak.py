"""The machine's matmul peak: the denominator of every achieved-FLOP/s ratio."""

from __future__ import annotations

import time

DTYPES = ("bf16", "fp32")


def matmul_flops_per_second(
    dtype: str, size: int = 1024, seconds: float = 2.0, device: str = "cpu"
) -> float:
    """Best FLOP/s of ``size`` x ``size`` matmuls in ``dtype`` over about ``seconds``, on the
    threads torch is set to use (or on the GPU).

    The best of many short repeats, not the mean: another job on the same cores only ever
    slows a repeat down, and clocks ramp up, so the fastest repeat is the closest to what the
    hardware can do. A repeat runs enough matmuls back to back (~50 ms) and waits for the
    device at its end, so that a GPU's launch gaps do not count.
    """
    import torch

    from alignbench.models.hardware import torch_dtype

    generator = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(size, size, generator=generator, device=device).to(torch_dtype(dtype))
    b = torch.randn(size, size, generator=generator, device=device).to(torch_dtype(dtype))
    out = torch.empty(size, size, dtype=a.dtype, device=device)

    def timed(calls: int) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            torch.mm(a, b, out=out)
        if device == "cuda":
            torch.cuda.synchronize()
        return (time.perf_counter() - start) / calls

    for _ in range(3):  # warm-up: the first calls pick and prepare the kernel
        timed(1)
    calls = max(1, int(0.05 / max(timed(1), 1e-6)))
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while True:
        best = min(best, timed(calls))
        if time.perf_counter() > deadline:
            break
    return 2 * size**3 / best


def matmul_peak(size: int = 1024, seconds: float = 2.0) -> dict[str, float]:
    """Peak FLOP/s per precision the workflow computes in (bf16 training, fp32 evaluation)."""
    return {dtype: matmul_flops_per_second(dtype, size, seconds) for dtype in DTYPES}
