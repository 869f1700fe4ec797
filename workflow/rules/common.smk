# Config validation, helpers and wildcard constraints shared by every stage. No rules here.

from snakemake.utils import validate

from alignbench.models.base import embedded_gguf_path
from alignbench.models.hardware import resolve_attention
from alignbench.variants import lineage, trained_variants, validate_variants

validate(config, "../schemas/config.schema.yaml")
validate_variants(config["variants"])
resolve_attention(config["model"]["attn_implementation"])

# One environment for every rule, used only with --use-conda (without it, rules run in the
# current environment). Paths in rules are relative to the rule files.
CONDA_ENV = "../../envs/alignbench.yaml"

VARIANTS = list(config["variants"])
TRAINED = trained_variants(config["variants"])


wildcard_constraints:
    variant="|".join(VARIANTS),
    trained="|".join(TRAINED) if TRAINED else "(?!)",


def adapter_dirs(variant):
    """Adapter folders along a variant's chain, base side first (empty for the base)."""
    return [
        f"results/models/{name}/adapter"
        for name in lineage(config["variants"], variant)
    ]


def parent_adapters(wildcards):
    return adapter_dirs(wildcards.trained)[:-1]


def train_spec(wildcards):
    """Everything the training command needs, from the config, as one JSON-able dict."""
    variant = wildcards.trained
    block = config["variants"][variant]
    return {
        "variant": variant,
        "method": block["method"],
        "seed": config["training"]["seed"],
        "precision": config["training"]["precision"],
        "args": block.get("args", {}),
        "lora": config["lora"],
        "quantization": config["quantization"],
        "attn_implementation": config["model"]["attn_implementation"],
        "base_model": "results/models/base",
        "parent_adapters": parent_adapters(wildcards),
        "train_data": "results/data/train.jsonl",
        "output_dir": f"results/models/{variant}/adapter",
        "history": f"results/models/{variant}/log_history.json",
    }


def data_source_settings():
    """Only the settings of the chosen source, so editing another source's block reruns nothing."""
    source = config["data"]["source"]
    return {"source": source, source: config["data"][source]}


def embedded_model_file(wildcards):
    """The embedded GGUF as a declared input when the demo model is used (none otherwise)."""
    if config["model"]["source"] == "gguf_embedded":
        return {"gguf": str(embedded_gguf_path())}
    return {}
