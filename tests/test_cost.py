import json
from pathlib import Path

import pytest

from alignbench import cost
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


REPO = Path(__file__).resolve().parents[1]
PAPER = str(REPO / "config" / "paper.yaml")


def table_rows(output: str) -> dict[str, list[str]]:
    """The variant rows of the printed Markdown table: name -> its other cells."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| ") and cells[0] not in ("variant", "---"):
            rows[cells[0]] = cells[1:]
    return rows


def expected_cells(tokens: float, factor: int, parameters: float, utilisation: float) -> list:
    flops = factor * parameters * tokens
    hours = flops / (cost.GPU_PEAK_FLOPS * utilisation) / 3600
    return [f"{tokens / 1e6:.1f} M", f"{flops:.2e}", f"{utilisation:.1%}", f"{hours:.2f}"]


def total_cells(tokens_by_method: list[tuple[float, str]], parameters: float) -> list:
    """The total row of trainings given as (tokens, method): summed tokens, FLOPs and hours, and
    no single share of the peak."""
    flops = [4 * parameters * tokens for tokens, _ in tokens_by_method]
    seconds = sum(
        f / (cost.GPU_PEAK_FLOPS * cost.measured_utilisation(method))
        for f, (_, method) in zip(flops, tokens_by_method, strict=True)
    )
    tokens = sum(tokens for tokens, _ in tokens_by_method)
    return [f"{tokens / 1e6:.1f} M", f"{sum(flops):.2e}", "", f"{seconds / 3600:.2f}"]


def test_the_paper_preset_is_estimated_from_its_subset_size(capsys):
    cost.main([PAPER])
    output = capsys.readouterr().out
    # 20,000 rows, 10% held out; orpo_from_sft is switched off and base trains nothing.
    assert output.startswith("18,000 training rows; tokens ESTIMATED")
    per_row = cost.ASSUMED_MEAN_PROMPT_TOKENS + cost.ASSUMED_MEAN_ANSWER_TOKENS
    sft_tokens = 18_000 * per_row  # prompt + chosen, one epoch
    orpo_tokens = 18_000 * (per_row + per_row)  # prompt + chosen and prompt + rejected
    parameters = cost.LLAMA_3_2_1B_PARAMETERS
    rows = table_rows(output)
    total = rows.pop("total (2 trainings)")
    assert rows == {
        "sft": expected_cells(sft_tokens, 4, parameters, cost.measured_utilisation("sft")),
        "orpo": expected_cells(orpo_tokens, 4, parameters, cost.measured_utilisation("orpo")),
    }
    assert total == total_cells([(sft_tokens, "sft"), (orpo_tokens, "orpo")], parameters)
    assert rows["sft"] == ["11.7 M", "5.80e+16", "13.1%", "0.12"]
    assert "the QLoRA throughput measured on one H200" in output


def test_the_measured_utilisation_is_the_recorded_benchmarks():
    """The estimator's tokens/s are those of the GPU benchmark's recorded outputs, and its share
    of the peak is those tokens/s at 4N FLOPs each (DPO: 6N) over the datasheet peak."""
    measurements = REPO / "docs" / "measurements"
    rows = {}
    for name in ("gpu-h200-2026-12-04.json", "gpu-h200-2026-12-04-dpo.json"):
        record = json.loads((measurements / name).read_text())
        assert record["ran_on_gpu"] and record["device"]["name"] == "NVIDIA H200"
        rows.update({row["name"]: row for row in record["rows"] if row["status"] == "ok"})
    for method, factor in (("sft", 4), ("orpo", 4), ("dpo", 6)):
        row = rows[f"{method} qlora sdpa"]
        assert (row["status"], row["optim"], row["sequence_tokens"]) == (
            "ok",
            "paged_adamw_8bit",
            2048,
        )
        assert round(row["tokens_per_s"]) == cost.MEASURED_QLORA_TOKENS_PER_S[method]
        assert cost.measured_utilisation(method) == pytest.approx(
            row["tokens_per_s"] * factor * cost.LLAMA_3_2_1B_PARAMETERS / 989e12, rel=1e-4
        )
    assert rows["dpo qlora sdpa"]["reference_forward"] is True


def test_every_grid_point_of_the_sweep_preset_is_a_training(capsys):
    cost.main([str(REPO / "config" / "sweep-paper.yaml")])
    rows = table_rows(capsys.readouterr().out)
    # SFT, ORPO's default point (1e-5, 0.1: not in the grid) and 4 learning rates x 3 lambdas.
    points = [name for name in rows if name.startswith("orpo@")]
    assert len(points) == 12 and "orpo" in rows and "sft" in rows
    assert "orpo@learning_rate=5e-05@beta=1.0" in points
    per_row = cost.ASSUMED_MEAN_PROMPT_TOKENS + cost.ASSUMED_MEAN_ANSWER_TOKENS
    parameters = cost.LLAMA_3_2_1B_PARAMETERS
    # SFT once, 13 ORPO trainings of two sequences each
    trainings = [(18_000 * per_row, "sft")] + [(18_000 * per_row * 2, "orpo")] * 13
    assert rows["total (14 trainings)"] == total_cells(trainings, parameters)


def test_parameters_and_utilisation_come_from_the_options(capsys):
    cost.main([PAPER, "--parameters", "1e9", "--utilisation", "0.5"])
    output = capsys.readouterr().out
    orpo_tokens = 18_000 * 2 * (cost.ASSUMED_MEAN_PROMPT_TOKENS + cost.ASSUMED_MEAN_ANSWER_TOKENS)
    assert table_rows(output)["orpo"] == expected_cells(orpo_tokens, 4, 1e9, 0.5)
    assert "at 50% of its peak (--utilisation)" in output


def test_with_the_split_and_tokenizer_tokens_are_counted(tmp_path, capsys, tiny_model_dir):
    import yaml

    config = {
        "data": {"split": {"subset_size": None, "validation_fraction": 0.1}},
        "variants": {"base": {"method": "none"}, "dpo": {"method": "dpo", "from": "base"}},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    rows = [make_row(), make_row(system=True, turns=2), make_row()]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    arguments = [str(tmp_path / "config.yaml"), "--train", str(tmp_path / "train.jsonl")]
    cost.main([*arguments, "--tokenizer", str(tiny_model_dir)])
    output = capsys.readouterr().out
    assert output.startswith("3 training rows; tokens counted with the model's tokenizer.")
    from alignbench.models.loading import load_tokenizer

    counts = count_tokens(rows, load_tokenizer(tiny_model_dir))
    tokens = training_tokens("dpo", counts, epochs=1)
    assert table_rows(output) == {
        "dpo": expected_cells(
            tokens, 6, cost.LLAMA_3_2_1B_PARAMETERS, cost.measured_utilisation("dpo")
        )
    }


def test_without_a_subset_size_the_split_must_be_given(tmp_path, capsys):
    import yaml

    config = {"data": {"split": {"subset_size": None}}, "variants": {}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(SystemExit) as exit_info:
        cost.main([str(tmp_path / "config.yaml")])
    assert exit_info.value.code == 2
    assert "pass --train and --tokenizer" in capsys.readouterr().err


def test_the_parameter_count_is_llama_3_2_1b_s():
    """The constant is the parameter count of Llama-3.2-1B's shape, rounded as the table prints."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from alignbench.models.random_init import LLAMA_3_2_1B_SHAPE

    config = LlamaConfig(vocab_size=128_256, tie_word_embeddings=True, **LLAMA_3_2_1B_SHAPE)
    with torch.device("meta"):  # shapes only: no memory for 1.2 B weights
        model = LlamaForCausalLM(config)
    parameters = sum(p.numel() for p in model.parameters())
    assert parameters == 1_235_814_400
    assert round(parameters, -7) == cost.LLAMA_3_2_1B_PARAMETERS
