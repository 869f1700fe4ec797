"""The checks that need the model stack, run once before any training, generation or scoring job.

The Snakefile checks what the config alone can tell (schema, the variant graph, local paths,
step counts); this runs as the workflow's first model job, in the same environment and on the
same kind of machine as training, and checks what needs TRL, torch or the base model:

- each trained variant's ``args`` against its TRL config class: names (with the closest known
  name), types (from the class's annotations), and TRL's own checks when the config is built;
- LoRA ``target_modules`` against the base model's module names (PEFT trains whatever matches
  and silently skips a misspelt name as long as another one matches);
- the precisions and attention implementation against this machine;
- the reward model: a local folder that holds a one-output classifier, or a Hub id that is
  cached or reachable.

Every problem is reported at once, one line each, naming the config key and the fix.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import logging
import tempfile
import types
import typing
from pathlib import Path

from alignbench.train.methods import METHODS
from alignbench.train.run import lora_target_matches, trainer_args

log = logging.getLogger(__name__)


class SetupError(ValueError):
    pass


def type_name(hint) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def accepts(hint, value) -> bool:
    """Whether ``value`` (as read from YAML) fits the annotation ``hint`` of a config field."""
    if hint is typing.Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(accepts(option, value) for option in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if origin in (list, tuple, set):
        return isinstance(value, list)
    if origin is dict:
        return isinstance(value, dict)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:  # YAML writes 1 for 1.0
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return value in {member.value for member in hint} or isinstance(value, hint)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # an annotation this check does not model: TRL's own check below decides


def describe_value(value) -> str:
    if isinstance(value, str):
        hint = " (YAML reads 1e-4 as text: write 1.0e-4)" if _looks_numeric(value) else ""
        return f"the text {value!r}{hint}"
    return f"{value!r} ({type(value).__name__})"


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def trainer_arg_errors(variant: str, method: str, args: dict, precision: str) -> list[str]:
    """Names and types of one variant's ``args`` against its TRL config class, then the class's
    own checks (``__post_init__``) on the settings the training job would pass."""
    config_cls = METHODS[method].trainer_and_config()[1]
    fields = {field.name: field for field in dataclasses.fields(config_cls) if field.init}
    hints = typing.get_type_hints(config_cls)
    key = f"variants.{variant}.args"
    errors = []
    for name, value in args.items():
        if name not in fields:
            close = difflib.get_close_matches(name, fields, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            errors.append(
                f"{key}.{name}: not a setting of TRL's {config_cls.__name__}; {hint}"
                f"TRL's documentation of {config_cls.__name__} lists them all."
            )
        elif not accepts(hints[name], value):
            errors.append(
                f"{key}.{name}: {config_cls.__name__} expects {type_name(hints[name])}, "
                f"got {describe_value(value)}."
            )
    if errors:
        return errors
    spec = {"variant": variant, "args": args, "precision": precision, "seed": 0}
    with tempfile.TemporaryDirectory() as scratch:
        try:
            trainer_args(config_cls, spec, Path(scratch))
        except Exception as error:  # TRL and transformers raise ValueError, TypeError, ...
            return [f"{key}: TRL's {config_cls.__name__} refuses these settings: {error}"]
    return []


def model_module_names(base_model: str | Path) -> dict[str, bool]:
    """Every module name of the base model, and whether it is a linear layer (what LoRA adapts),
    from a copy built on the meta device (no weights read)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(base_model)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return {
        name: isinstance(module, torch.nn.Linear) for name, module in model.named_modules() if name
    }


def lora_target_errors(targets: list[str], modules: dict[str, bool]) -> list[str]:
    """A target matches a module whose name is the target or ends in ``.target``, as in PEFT."""
    if targets == ["all-linear"]:
        return []
    linear = sorted({name.rsplit(".", 1)[-1] for name, is_linear in modules.items() if is_linear})
    errors = []
    for target in targets:
        if not any(lora_target_matches(name, target) for name in modules):
            close = difflib.get_close_matches(target, linear, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            errors.append(
                f"lora.target_modules: {target!r} matches no module of the base model; {hint}"
                f"its linear layers are: {', '.join(linear)}."
            )
    return errors


def hardware_errors(settings: dict) -> list[str]:
    from alignbench.models.hardware import resolve_attention, resolve_precision

    errors = []
    for key, requested in (
        ("training.precision", settings["training_precision"]),
        ("generation.precision", settings["generation_precision"]),
    ):
        try:
            resolve_precision(requested)
        except ValueError as error:
            errors.append(f"{key}: {error}")
    try:
        resolve_attention(settings["attn_implementation"])
    except ValueError as error:
        errors.append(str(error))
    return errors


def reward_model_errors(reward_model: str | None) -> list[str]:
    """A local folder must hold a one-output classifier; a Hub id must be cached or reachable."""
    if not reward_model:
        return []
    from transformers import AutoConfig

    from alignbench.hub import explain_hub_error

    key = "evaluation.reward_model"
    try:
        config = AutoConfig.from_pretrained(reward_model)
    except Exception as error:  # the Hub and transformers raise many types
        if Path(reward_model).expanduser().is_dir():
            return [f"{key}: {reward_model} cannot be read as a model folder: {error}"]
        reason = explain_hub_error(error, reward_model, None, kind="reward model")
        return [f"{key}: {reward_model} is no local folder, and as a Hub id: {reason}"]
    if config.num_labels != 1:
        return [
            f"{key}: {reward_model} has {config.num_labels} outputs; a reward model is a "
            "sequence classifier with one output (num_labels: 1)."
        ]
    return []


def check_setup(settings: dict, base_model: str | Path) -> dict:
    """Run every check; raise SetupError listing all problems, or return what was checked."""
    from alignbench.models.hardware import resolve_precision

    errors = hardware_errors(settings)
    precision = settings["training_precision"]
    if errors:
        precision = "fp32"  # still check the args, without repeating the precision problem
    for variant, block in settings["variants"].items():
        errors += trainer_arg_errors(variant, block["method"], block["args"], precision)
    modules = model_module_names(base_model)
    errors += lora_target_errors(settings["lora_target_modules"], modules)
    errors += reward_model_errors(settings["reward_model"])
    if errors:
        raise SetupError(
            "The config cannot run as it is (config/README.md explains every setting):\n  "
            + "\n  ".join(errors)
        )
    return {
        "variants": sorted(settings["variants"]),
        "lora_target_modules": {
            target: sum(1 for name in modules if lora_target_matches(name, target))
            for target in settings["lora_target_modules"]
        },
        "reward_model": settings["reward_model"],
        # What 'auto' became on the kind of machine the model jobs run on.
        "precision": {
            "training": resolve_precision(settings["training_precision"]),
            "generation": resolve_precision(settings["generation_precision"]),
        },
    }
