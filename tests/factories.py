"""Small hand-made inputs for unit tests: preference rows, training runs on a tiny model, and the
results files of a whole run (summaries, comparisons, generations) for the report."""

import copy
import functools
import json
from pathlib import Path

import yaml

from alignbench.evaluation import answers, preferences, reward
from alignbench.evaluation.aggregate import compare_variants, summarize_variant
from alignbench.evaluation.rouge import ROUGE_TYPES, mean_scores
from alignbench.job_settings import PAIR_METHODS
from alignbench.provenance import collect_provenance
from alignbench.report.context import build_context
from alignbench.variants import enabled_variants
from alignbench.workflow_config import fill_defaults, schema_errors


def make_row(system=False, turns=1):
    messages = [{"role": "system", "content": "Be brief."}] if system else []
    for i in range(turns - 1):
        messages += [
            {"role": "user", "content": f"earlier question {i}"},
            {"role": "assistant", "content": f"earlier answer {i}"},
        ]
    messages.append({"role": "user", "content": "What is 2 + 3?"})
    return {
        "source": "test",
        "prompt": "What is 2 + 3?",
        "question": "What is 2 + 3?",
        "chosen": [*messages, {"role": "assistant", "content": "5."}],
        "rejected": [*copy.deepcopy(messages), {"role": "assistant", "content": "6."}],
    }


def make_rows(n):
    """``n`` valid rows with distinct prompts, so that none is removed as a repeated prompt."""
    rows = []
    for i in range(n):
        row = make_row()
        question = f"What is {i} + 3?"
        row["prompt"] = row["question"] = question
        row["chosen"][-2]["content"] = row["rejected"][-2]["content"] = question
        row["chosen"][-1]["content"] = f"{i + 3}."
        row["rejected"][-1]["content"] = f"{i + 4}."
        rows.append(row)
    return rows


def make_spec(method, variant=None):
    """A training spec (settings only) for two quick steps of ``method`` on a tiny model."""
    args = {"max_steps": 2, "per_device_train_batch_size": 2, "learning_rate": 1e-3}
    args["logging_steps"] = 1
    args["max_length"] = 256
    if method != "sft":
        args["beta"] = 0.1
    spec = {
        "variant": variant or method,
        "method": method,
        "seed": 0,
        "precision": "fp32",
        "args": args,
        "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]},
        "quantization": {"load_in_4bit": False},
        "attn_implementation": "sdpa",
    }
    if method in PAIR_METHODS:
        spec["shared_prompt"] = True
    return spec


def make_paths(tmp_path, base, train_file, variant, parents=()):
    """Where a test's training run reads and writes: ``tmp_path/<variant>/`` for its outputs."""
    from alignbench.train.run import TrainPaths

    return TrainPaths(
        base_model=str(base),
        train_data=str(train_file),
        adapter=str(tmp_path / variant / "adapter"),
        history=str(tmp_path / variant / "log_history.json"),
        parent_adapters=tuple(str(p) for p in parents),
    )


def training_arguments(spec_path, paths):
    """The training command line's arguments, as the workflow's train rule writes them."""
    arguments = [str(spec_path), "--base-model", paths.base_model]
    arguments += ["--train-data", paths.train_data, "--adapter", paths.adapter]
    arguments += ["--history", paths.history, "--parents", *paths.parent_adapters]
    return arguments


def write_spec(tmp_path, spec):
    path = Path(tmp_path) / f"{spec['variant']}_spec.json"
    path.write_text(json.dumps(spec))
    return path


def run_training(tmp_path, spec, paths):
    """Train through the command line, as the workflow does; return the adapter folder."""
    from alignbench.train.__main__ import main as train_main

    train_main(training_arguments(write_spec(tmp_path, spec), paths))
    return Path(paths.adapter)


# --- results as the workflow's scoring rules write them, for the report ----------------------

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "report" / "paper.html.j2"
CONFIG = REPO / "config" / "config.yaml"
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
MALICIOUS = "<script>alert(1)</script>"
SEEDS = (42, 43)
PROMPTS = 16  # more than report.samples, so the cut-off is visible
MAX_NEW_TOKENS = 48
REWARD_MODEL = "judges/tiny-reward"
# Per variant: pooled ROUGE means, preference margin, answer length, which prompts it gets right.
# sft and orpo give equally long answers on every prompt: an identical-arms comparison.
ARMS = {
    "base": {"rouge": (0.2951, 0.1012, 0.2013), "margin": 0.0, "tokens": 40, "right": {0}},
    "sft": {"rouge": (0.3322, 0.1234, 0.2245), "margin": 0.3, "tokens": 24, "right": {0, 2}},
    "orpo": {"rouge": (0.3017, 0.1056, 0.2087), "margin": 0.6, "tokens": 24, "right": {0, 1, 2}},
    "dpo": {"rouge": (0.3100, 0.1100, 0.2150), "margin": 0.5, "tokens": 30, "right": {0, 1, 2}},
}
# Zero-sum spread: rolled differently per variant, it keeps every pooled mean exact while
# paired differences vary from prompt to prompt (so intervals have a width).
SPREAD = [(i - (PROMPTS - 1) / 2) / 1000 for i in range(PROMPTS)]
SEED_SHIFT = {"seed42": 0.002, "seed43": -0.002, "untrained": 0.0}
TASKS = ("arithmetic", "sorting")
FIGURE_TITLES = yaml.safe_load((TEMPLATE.parent / "figures.yaml").read_text())
FIGURE_NAMES = tuple(FIGURE_TITLES)
BENCHMARK_TSV = (
    "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    "12.3456\t0:00:12\t1534.21\tNA\t-\tNA\t0.01\t2.5\t95.0\t11.7\n"
)
DATA_REPORT = {
    "source": {"source": "demo", "rows": 120},
    "raw_rows": 120,
    "selected_rows": 120,
    "invalid_rows": {"missing_chosen": 3, "empty_prompt": 1},
    "split": {"train": 100, "validation": 16},
    "length_filter": {
        "max_prompt_tokens": 256,
        "max_total_tokens": 384,
        "removed": {"train": {"prompt": 4}, "validation": {}},
    },
    "validation_duplicates_removed": {},
    "final": {"train": 96, "validation": 16},
}


def tiny_preference_trainer(method_name, model_dir, tokenizer, output_dir, attention, **args):
    """The workflow's trainer for ``method_name`` on the tiny model with a fresh LoRA adapter
    on q and v, in fp32 (two passes must agree to rounding), on 8 demo rows; ``args`` go to
    TRL's config (batch size, ...)."""
    import torch
    from datasets import Dataset
    from peft import get_peft_model

    from alignbench.data.demo import generate_demo_rows
    from alignbench.models.loading import load_base_model
    from alignbench.train.methods import METHODS
    from alignbench.train.run import lora_config

    method = METHODS[method_name]
    torch.manual_seed(0)
    model = load_base_model(str(model_dir), "fp32", attention)
    lora = {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}
    model = get_peft_model(model, lora_config(lora))
    trainer_cls, config_cls = method.trainer_and_config()
    rows = [method.to_example(row) for row in generate_demo_rows(8, seed=3)]
    config = config_cls(
        output_dir=str(output_dir),
        max_length=96,
        use_cpu=True,
        bf16=False,
        report_to="none",
        **args,
    )
    return trainer_cls(
        model=model,
        args=config,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )


def tiny_llama(attention: str, query_heads: int = 4, kv_heads: int = 2, head_size: int = 8):
    """A two-layer Llama with random weights (seed 0) and grouped-query attention, for tests of
    attention and packing that need no tokenizer; any attention transformers or
    ``alignbench.models.grouped_attention`` provides."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from alignbench.models.grouped_attention import register_grouped_eager

    register_grouped_eager()
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=64,
        hidden_size=query_heads * head_size,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=query_heads,
        num_key_value_heads=kv_heads,
    )
    config._attn_implementation = attention
    return LlamaForCausalLM(config)


def make_config(
    model_source: str = "gguf_embedded",
    drop: tuple[str, ...] = (),
    disabled: tuple[str, ...] = (),
    reward_model: str | None = None,
) -> dict:
    """config/config.yaml with two training seeds and the given changes, then validated and
    given every default, exactly as the workflow's common.smk does."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config["model"]["source"] = model_source
    config["training"]["seeds"] = list(SEEDS)
    config["evaluation"]["reward_model"] = reward_model
    for name in disabled:
        config["variants"][name]["enabled"] = False
    for block in drop:
        del config[block]
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    errors = schema_errors(config, schema)
    assert not errors, errors
    fill_defaults(config, schema)
    return config


# --- synthetic per-run files, in the formats of our scoring rules ---------------------------


def runs_of(block: dict) -> list[str]:
    return ["untrained"] if block["method"] == "none" else [f"seed{s}" for s in SEEDS]


def noise(variant: str, i: int) -> float:
    return SPREAD[(i + 5 * list(ARMS).index(variant)) % PROMPTS]


def make_records(variant: str, run: str, tasks: bool) -> list[dict]:
    """Generation records as generate.make_record writes them."""
    arm, records = ARMS[variant], []
    for i in range(PROMPTS):
        task = TASKS[i % 2]
        answer = str(10 + i) if task == "arithmetic" else f"{i}, {i + 1}"  # sorting: a list
        right = i % 4 in arm["right"]
        text = f"{variant} thinks the answer is {answer}." if right else "I am not sure, sorry."
        if (variant, run, i) == ("orpo", "seed42", 0):
            text = f"{MALICIOUS} {text}"
        records.append(
            {
                "id": f"p{i}",
                "messages": [{"role": "user", "content": f"Question {i}?"}],
                "reference": f"Reference {i}",
                "generation": text,
                "new_tokens": arm["tokens"] + i % 5,
                "stopped_on_eos": i % 3 != 0,
                "task": task if tasks else None,
                "answer": answer if tasks else None,
            }
        )
    return records


def make_rouge(variant: str, run: str) -> dict:
    """What rouge.rouge_summary returns, with chosen scores instead of real ROUGE."""
    shift = SEED_SHIFT[run]  # the two seeds differ by a constant: a spread across seeds
    per_example = [
        {
            "id": f"p{i}",
            **{
                m: mean + noise(variant, i) + shift
                for m, mean in zip(ROUGE_TYPES, ARMS[variant]["rouge"], strict=True)
            },
        }
        for i in range(PROMPTS)
    ]
    mean = mean_scores(per_example)
    return {
        "variant": variant,
        "n": PROMPTS,
        "use_stemmer": True,
        "mean": mean,
        "per_example": per_example,
    }


def make_preferences(variant: str, run: str) -> dict:
    """summarize_preferences plus per_example, as the preference rule writes them."""
    per_example = []
    for i in range(PROMPTS):
        margin = ARMS[variant]["margin"] + (i - (PROMPTS - 1) / 2) / 20 + SEED_SHIFT[run]
        per_example.append(
            preferences.pair_scores(f"pair{i}", -1.2 + margin / 2, -1.2 - margin / 2)
        )
    return {**preferences.summarize_preferences(per_example), "per_example": per_example}


def make_reward(variant: str) -> dict:
    """summarize_rewards plus per_example, as the reward rule writes them (reference reward 0)."""
    per_example = []
    for i in range(PROMPTS):
        generation = ARMS[variant]["margin"] + 20 * noise(variant, i)
        per_example.append(
            {
                "id": f"p{i}",
                "reward_generation": generation,
                "reward_reference": 0.0,
                "win": generation > 0,
                "tie": generation == 0,
            }
        )
    return {**reward.summarize_rewards(per_example), "per_example": per_example}


def make_run_files(variant: str, run: str, tasks: bool, with_reward: bool) -> dict:
    records = make_records(variant, run, tasks)
    files = {
        "rouge": make_rouge(variant, run),
        "preferences": make_preferences(variant, run),
        "answers": {
            "statistics": answers.answer_statistics(records, MAX_NEW_TOKENS),
            "tasks": answers.task_accuracy(records),
        },
    }
    if with_reward:
        files["reward"] = make_reward(variant)
    return files


@functools.cache
def make_results(variants: tuple[str, ...], tasks: bool = True, with_reward: bool = False):
    """Summaries, comparisons and first-run generations, as the workflow's rules write them."""
    config = make_config()
    summaries, generations = {}, {}
    for variant in variants:
        block = config["variants"][variant]
        runs = runs_of(block)
        run_files = {run: make_run_files(variant, run, tasks, with_reward) for run in runs}
        summaries[variant] = summarize_variant(variant, block, run_files)
        generations[variant] = make_records(variant, runs[0], tasks)
    if "sft" in generations:
        # A prompt only one variant answered must not be sampled.
        generations["sft"].insert(0, {**generations["sft"][0], "id": "only-sft"})
    return summaries, compare_variants(summaries), generations


def make_context(figures, benchmarks=None, config=None, tasks=True, with_reward=False) -> dict:
    config = config or make_config()
    variants = list(enabled_variants(config["variants"]))
    summaries, comparisons, generations = make_results(tuple(variants), tasks, with_reward)
    return build_context(
        config=config,
        variants=variants,
        summaries=summaries,
        comparisons=comparisons,
        generations=generations,
        data_report=DATA_REPORT,
        figures=figures,
        benchmarks=benchmarks or {},
        provenance=collect_provenance(REPO),
        report_dir=TEMPLATE.parent,
        # What the setup check records when the config says auto, on a CPU without bf16.
        precision={"training": "fp32", "generation": "fp32"},
    )
