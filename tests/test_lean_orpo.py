"""The chunked ORPO forward pass computes TRL's own quantities, values and gradients."""

import pytest
import torch

from tests.factories import tiny_preference_trainer


@pytest.fixture(scope="module")
def orpo_trainer(tiny_model_dir, demo_tokenizer, tmp_path_factory):
    """A real ORPO trainer (the workflow's class) on the tiny model with a LoRA adapter."""
    output_dir = tmp_path_factory.mktemp("orpo")
    return tiny_preference_trainer(
        "orpo", tiny_model_dir, demo_tokenizer, output_dir, "eager", per_device_train_batch_size=3
    )


def test_orpo_loss_terms_and_gradients_equal_trls(orpo_trainer):
    trainer = orpo_trainer
    classes = {cls.__name__: cls for cls in type(trainer).__mro__}
    assert "LeanORPOTrainer" in classes
    model = trainer.model
    model.train()
    batch = next(iter(trainer.get_train_dataloader()))
    trl_forward = classes["ORPOTrainer"].concatenated_forward

    def loss_and_grads(forward):
        model.zero_grad()
        chosen, rejected, chosen_logits, rejected_logits, nll = forward(trainer, model, batch)
        loss = nll - trainer.odds_ratio_loss(chosen, rejected)[0].mean()
        loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        logged = (chosen_logits.detach().mean(), rejected_logits.detach().mean())
        return [t.detach() for t in (chosen, rejected, nll, loss)], logged, grads

    lean_values, lean_logged, lean_grads = loss_and_grads(type(trainer).concatenated_forward)
    trl_values, _, trl_grads = loss_and_grads(trl_forward)

    # Rows of different lengths: the concatenated batch holds padding.
    lengths = [batch[f"{side}_attention_mask"].sum(1) for side in ("chosen", "rejected")]
    assert torch.cat(lengths).unique().numel() > 1
    for lean, trl in zip(lean_values, trl_values, strict=True):
        torch.testing.assert_close(lean, trl, rtol=1e-5, atol=1e-6)
    assert lean_grads.keys() == trl_grads.keys() and lean_grads
    for name in trl_grads:
        torch.testing.assert_close(lean_grads[name], trl_grads[name], rtol=1e-4, atol=1e-5)

    # The logged mean logits: over the answer tokens of each side, from the full logits.
    with torch.no_grad():
        for side, logged in zip(("chosen", "rejected"), lean_logged, strict=True):
            logits = model(
                batch[f"{side}_input_ids"], attention_mask=batch[f"{side}_attention_mask"]
            )
            answer = batch[f"{side}_labels"][:, 1:] != -100
            expected = logits.logits[:, :-1][answer].mean()
            torch.testing.assert_close(logged, expected, rtol=1e-5, atol=1e-5)


def test_only_the_positions_orpo_uses_get_logits():
    from alignbench.train.lean_orpo import needed_positions

    # Two chosen rows, then two rejected ones; -100 marks prompt and padding, mask 0 padding.
    attention_mask = torch.tensor(
        [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    )
    labels = torch.tensor(
        [
            [-100, -100, 7, 8, -100],
            [-100, 5, 6, 7, 8],
            [-100, -100, 9, -100, -100],
            [-100] * 3 + [4, 4],
        ]
    )
    needed = needed_positions(attention_mask, labels, len_chosen=2)
    expected = [
        [True, True, True, False],  # chosen: every real next token (the NLL)
        [True, True, True, True],
        [False, True, False, False],  # rejected: the answer only
        [False, False, True, True],
    ]
    assert needed.tolist() == expected
