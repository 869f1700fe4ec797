"""On CPU, TRL's fused output layer scores only labelled positions, with unchanged results."""

import torch

from alignbench.train.fused_head import score_labelled_positions_on_cpu


def fused_outputs(model, input_ids, attention_mask, labels):
    """TRL's fused forward: log-probs, entropy, top-1 hits, loss, and the loss's gradients."""
    model.zero_grad()
    out = model(input_ids, attention_mask=attention_mask, labels=labels, fused_lm_head=True)
    out.loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    values = [out.log_probs, out.entropy, out.is_top1.float(), out.loss]
    return [v.detach() for v in values], grads


def test_scoring_only_labelled_positions_changes_no_value_or_gradient(tiny_model_dir, monkeypatch):
    from trl.trainer import utils

    from alignbench.models.loading import load_base_model

    # TRL's own decision, even where an earlier test's trainer already swapped it; the state
    # before this test is restored after it.
    monkeypatch.setattr(
        utils, "_use_triton", getattr(utils._use_triton, "original", utils._use_triton)
    )
    torch.manual_seed(0)
    model = load_base_model(str(tiny_model_dir), "fp32", "eager")
    utils.add_fused_lm_head(model, outputs=("log_probs", "entropy", "is_top1"))
    input_ids = torch.randint(3, model.config.vocab_size, (3, 12))
    attention_mask = torch.ones_like(input_ids)
    attention_mask[0, 9:] = 0  # right padding
    labels = input_ids.masked_fill(attention_mask == 0, -100)
    labels[:, :5] = -100  # a prompt: no loss there
    assert not utils._use_triton(torch.device("cpu"))
    every_position, every_grads = fused_outputs(model, input_ids, attention_mask, labels)

    assert score_labelled_positions_on_cpu()
    assert score_labelled_positions_on_cpu()  # a second call keeps the one swap
    assert utils._use_triton(torch.device("cpu"))
    labelled_only, labelled_grads = fused_outputs(model, input_ids, attention_mask, labels)

    for compact, full in zip(labelled_only, every_position, strict=True):
        torch.testing.assert_close(compact, full, rtol=1e-5, atol=1e-6)
    assert labelled_grads.keys() == every_grads.keys() and labelled_grads
    for name, grad in every_grads.items():
        torch.testing.assert_close(labelled_grads[name], grad, rtol=1e-4, atol=1e-6)
