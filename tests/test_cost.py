import pytest

from alignbench.cost import count_tokens, estimate_tokens, training_tokens, variant_costs
from alignbench.data.filtering import token_lengths
from tests.factories import make_row


def test_counted_tokens_add_up_to_the_chat_template_lengths(demo_tokenizer):
    rows = [make_row(), make_row(system=True, turns=2)]
    counts = count_tokens(rows, demo_tokenizer)
    assert counts.measured and counts.rows == 2
    prompt_lengths = [token_lengths(row, demo_tokenizer)[0] for row in rows]
    assert counts.prompt == sum(prompt_lengths)
    # "5." and "6." are answers of the same length
    assert counts.chosen == counts.rejected > 0


def test_cost_arithmetic():
    counts = estimate_tokens(1000)
    assert not counts.measured and counts.prompt == 350_000
    assert training_tokens("sft", counts, 1) == 650_000
    assert training_tokens("orpo", counts, 2) == 2 * (700_000 + 600_000)
    config = {
        "variants": {
            "base": {"method": "none"},
            "sft": {"method": "sft", "args": {"num_train_epochs": 1}},
            "off": {"method": "orpo", "enabled": False},
        }
    }
    (row,) = variant_costs(config, counts, parameters=1e9, utilisation=0.5)
    assert row["variant"] == "sft"
    assert row["flops"] == pytest.approx(4 * 1e9 * 650_000)
    assert row["hours"] == pytest.approx(row["flops"] / (989e12 * 0.5) / 3600)
