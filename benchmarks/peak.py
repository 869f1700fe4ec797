"""The machine's matmul peak: the denominator of every achieved-FLOP/s ratio."""

from __future__ import annotations

import time

DTYPES = ("bf16", "fp32")


def fastest_repeat(timed, seconds: float) -> float:
    """The least of ``timed()``'s results over about ``seconds``, after three warm-up calls
    (the first calls pick and prepare the kernels)."""
    for _ in range(3):
        timed()
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while True:
        best = min(best, timed())
        if time.perf_counter() > deadline:
            return best


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

    timed(1)  # the first call picks and prepares the kernel
    calls = max(1, int(0.05 / max(timed(1), 1e-6)))
    return 2 * size**3 / fastest_repeat(lambda: timed(calls), seconds)


def matmul_peak(size: int = 1024, seconds: float = 2.0) -> dict[str, float]:
    """Peak FLOP/s per precision the workflow computes in (bf16 training, fp32 evaluation)."""
    return {dtype: matmul_flops_per_second(dtype, size, seconds) for dtype in DTYPES}


def layer_products_flops_per_second(
    shapes: list[tuple[int, int]], positions: int, dtype: str, seconds: float = 1.0
) -> float:
    """Best FLOP/s of one decoder layer's linear products at ``positions`` rows, alone.

    ``shapes`` are the layer's (in, out) features. Each layer runs forward (``linear``) and,
    for the gradient of its input, the product with the weight untransposed; training a frozen
    base with LoRA computes no other large products. The demo model's layers are a few hundred
    positions by 576 to 1,536 features, far from the 1024 x 1024 product of the peak: this is
    the rate a training loop would reach if it did nothing but these products, the ceiling its
    own shapes put on it.
    """
    import torch

    from alignbench.models.hardware import torch_dtype

    kind = torch_dtype(dtype)
    generator = torch.Generator().manual_seed(0)

    def operand(*size):
        return torch.randn(*size, generator=generator).to(kind)

    products = [(operand(positions, k), operand(positions, n), operand(n, k)) for k, n in shapes]
    flops = sum(2 * 2 * positions * k * n for k, n in shapes)

    def one_pass() -> float:
        start = time.perf_counter()
        for inputs, grad_outputs, weight in products:
            torch.nn.functional.linear(inputs, weight)
            grad_outputs @ weight
        return time.perf_counter() - start

    return flops / fastest_repeat(one_pass, seconds)
