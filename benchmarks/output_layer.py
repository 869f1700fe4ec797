"""The output layer alone, four ways: ``python -m benchmarks.output_layer [--positions N]``.

Next-token log-probabilities and their gradient (forward and backward) for ``--positions``
answer positions of demo rows, through the demo model's own output layer (49,152 x 576), as
training computes them on CPU: weight stored in bf16, hidden states fp32, bf16 autocast, on the
threads a demo model job gets. Hidden states are the demo model's own on the demo's training
rows: their log-probabilities decide how much of a chunk falls below exp()'s normal range.

- **full log-softmax**: the logits of every position at once, differentiated by autograd;
- **TRL chunked**: TRL's ``ChunkedLogProbFunction`` with the outputs its SFT trainer asks for
  (entropy, top-1 hits), which computes every tile of logits again in its backward pass;
- **forward gradient**: ``alignbench.train.token_logprobs.token_statistics`` with the same
  outputs, the gradient taken in the forward pass (what SFT and DPO use on CPU);
- **forward gradient, log p alone**: the same without the extra outputs (what ORPO uses).

The four are timed in turn, ``--repeats`` rounds, so that drifts of the machine's speed hit
them alike; the table gives each one's best and median round, its largest log-probability error
and the relative (root-mean-square) error of its gradient, both against the same computation in
fp64.
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks import inputs, table

SFT_EXTRAS = ("entropy", "is_top1")
COLUMNS = ("implementation", "best ms", "median ms", "log p, max error", "gradient, rms error")


def demo_hidden_states(positions: int, config: dict, cache) -> tuple:
    """(hidden states, next tokens, output-layer weight in bf16) of the first ``positions``
    answer positions of the demo's training rows (their chosen answers, as preference scoring
    renders them), under the demo model."""
    import torch

    from alignbench.evaluation.preferences import answer_sequence
    from alignbench.models.loading import load_base_model, load_tokenizer

    folder = inputs.base_model(config, cache)
    tokenizer = load_tokenizer(folder)
    model = load_base_model(folder, "fp32", "sdpa")
    train, _ = inputs.demo_splits(config, tokenizer)
    hidden, targets = [], []
    with torch.no_grad():
        for row in train:
            ids, start = answer_sequence(tokenizer, row, "chosen")
            ids = torch.tensor([ids])
            # The hidden state at position t predicts token t + 1.
            hidden.append(model.get_decoder()(ids).last_hidden_state[0, start - 1 : -1])
            targets.append(ids[0, start:])
            if sum(len(t) for t in targets) >= positions:
                break
    hidden = torch.cat(hidden)[:positions].contiguous()
    targets = torch.cat(targets)[:positions].contiguous()
    if len(targets) < positions:
        raise ValueError(f"the demo's training rows have {len(targets)} answer positions.")
    weight = model.get_output_embeddings().weight.detach().to(torch.bfloat16)
    return hidden, targets, weight


def implementations():
    import torch
    from trl.kernels import ChunkedLogProbFunction
    from trl.trainer.utils import _CHUNKED_LOGPROB_CHUNK_SIZE

    from alignbench.train.token_logprobs import token_statistics

    def full(hidden, weight, targets):
        logits = torch.nn.functional.linear(hidden, weight).float()
        return logits.log_softmax(-1).gather(-1, targets[:, None]).squeeze(-1)

    def trl_chunked(hidden, weight, targets):
        outputs = ("log_probs", *SFT_EXTRAS)
        return ChunkedLogProbFunction.apply(
            hidden, weight, None, targets, 1.0, _CHUNKED_LOGPROB_CHUNK_SIZE, None, 1.0, outputs
        )[0]

    def forward_gradient(hidden, weight, targets):
        return token_statistics(hidden, weight, targets, SFT_EXTRAS).logps

    def forward_gradient_alone(hidden, weight, targets):
        return token_statistics(hidden, weight, targets).logps

    return {
        "full log-softmax": full,
        "TRL chunked": trl_chunked,
        "forward gradient": forward_gradient,
        "forward gradient, log p alone": forward_gradient_alone,
    }


def fp64_reference(hidden, targets, weight) -> tuple:
    """Log-probabilities and their summed gradient computed in fp64: what the errors are of."""
    states = hidden.detach().double().requires_grad_()
    logits = states @ weight.double().t()
    logps = logits.log_softmax(-1).gather(-1, targets[:, None]).squeeze(-1)
    logps.sum().backward()
    return logps.detach(), states.grad


def measure(hidden, targets, weight, repeats: int) -> list[tuple]:
    import torch

    ways = implementations()
    seconds = {name: [] for name in ways}
    results = {}
    for _ in range(repeats):
        for name, logps_of in ways.items():
            states = hidden.detach().requires_grad_()
            start = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logps = logps_of(states, weight, targets)
            logps.sum().backward()
            seconds[name].append(time.perf_counter() - start)
            results[name] = (logps.detach(), states.grad)
    exact_logps, exact_grad = fp64_reference(hidden, targets, weight)

    def errors(name):
        logps, grad = results[name]
        relative = (grad.double() - exact_grad).norm() / exact_grad.norm()
        return f"{(logps.double() - exact_logps).abs().max():.1e}", f"{relative:.2%}"

    return [
        (
            name,
            f"{min(seconds[name]) * 1e3:.0f}",
            f"{statistics.median(seconds[name]) * 1e3:.0f}",
            *errors(name),
        )
        for name in ways
    ]


def main(argv: list[str] | None = None) -> None:
    import torch

    from alignbench.job_settings import local_model_job_threads

    parser = argparse.ArgumentParser(prog="python -m benchmarks.output_layer", description=__doc__)
    parser.add_argument("--positions", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cores", type=int, default=2, help="as snakemake --cores")
    parser.add_argument("--threads", type=int, default=None, help="default: a demo job's")
    parser.add_argument("--config", default=str(inputs.CONFIG))
    parser.add_argument("--cache", default=str(inputs.DEFAULT_CACHE))
    options = parser.parse_args(argv)
    config = inputs.load_config(options.config)
    threads = options.threads or local_model_job_threads(config, options.cores)
    hidden, targets, weight = demo_hidden_states(options.positions, config, options.cache)
    torch.set_num_threads(threads)
    rows = measure(hidden, targets, weight, options.repeats)
    print(
        f"{options.positions} positions, output layer {tuple(weight.shape)} bf16, "
        f"{threads} thread(s), {options.repeats} rounds"
    )
    print(table.markdown_table(rows, COLUMNS))


if __name__ == "__main__":
    main()
