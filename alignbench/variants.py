"""The variants as a graph: each trained variant starts from another variant.

``base`` (method ``none``) is the untouched base model. ``sft`` starts from ``base``; a DPO arm
may start from ``sft``. A variant's model is the base checkpoint plus the LoRA adapters along its
chain, merged in order. The checks run when the config is loaded, before any job starts.
"""

from __future__ import annotations

UNTRAINED = "none"
# Display order among variants at the same depth of the graph: the published arms in the order
# the experiment introduces them.
METHOD_ORDER = (UNTRAINED, "sft", "orpo", "dpo")


# Settings the workflow decides for every training run; a variant's ``args`` may not set them.
RESERVED_ARGS = frozenset({"output_dir", "seed", "bf16", "fp16", "use_cpu", "report_to"})


class VariantError(ValueError):
    pass


def validate_variants(variants: dict[str, dict]) -> None:
    """Reject unknown or disabled starting points, cycles, inconsistent method/from pairs, and
    ``args`` that could only train nothing or clash with the workflow's own settings.

    ``variants`` is the whole config block, disabled variants included, so that a variant
    starting from a disabled one is told so instead of being told its parent does not exist.
    """
    disabled = {name for name, block in variants.items() if not block.get("enabled", True)}
    variants = {name: block for name, block in variants.items() if name not in disabled}
    if not any(block["method"] == UNTRAINED for block in variants.values()):
        raise VariantError("variants: add an untrained variant, e.g. `base: {method: none}`.")
    for name, block in variants.items():
        if block["method"] == UNTRAINED:
            if "from" in block or block.get("args"):  # nothing to train, nothing to start from
                raise VariantError(f"variants.{name}: method none takes no `from` or `args`.")
            continue
        parent = block.get("from")
        if parent is None:
            raise VariantError(f"variants.{name}: say which variant it starts from (`from: base`).")
        if parent in disabled:
            raise VariantError(
                f"variants.{name}.from: {parent!r} is switched off (`enabled: false`), and "
                f"{name} is trained on top of it. Enable {parent}, or set "
                f"`variants.{name}.enabled: false` too."
            )
        if parent not in variants:
            known = ", ".join(sorted(variants))
            raise VariantError(
                f"variants.{name}.from: unknown variant {parent!r} (known: {known})."
            )
        check_args(name, block.get("args") or {})
    for name in variants:
        lineage(variants, name)  # raises on a cycle


def check_args(name: str, args: dict) -> None:
    """What can be told about a variant's TRL ``args`` without TRL: settings the workflow owns,
    and step counts that would train nothing. Names and types are checked against TRL's config
    class by the workflow's first job (alignbench.preflight)."""
    clash = sorted(RESERVED_ARGS & set(args))
    if clash:
        raise VariantError(
            f"variants.{name}.args: {', '.join(clash)} is set by the workflow (output folder, "
            "training seeds from training.seeds, precision from training.precision); remove it."
        )
    steps, epochs = args.get("max_steps", -1), args.get("num_train_epochs", 3)
    # transformers: max_steps > 0 overrides the epochs; -1 (its default) means "use epochs".
    # Values of other types are left to the setup check, which knows TRL's types.
    if is_number(steps) and (steps == 0 or steps < -1):
        raise VariantError(
            f"variants.{name}.args.max_steps is {steps}: give a positive number of optimiser "
            "steps, or leave it out to train for num_train_epochs."
        )
    if not (is_number(steps) and steps > 0) and is_number(epochs) and epochs <= 0:
        raise VariantError(
            f"variants.{name}.args.num_train_epochs is {epochs}: with no positive max_steps "
            "that trains nothing. Give a positive number of epochs (fractions are fine)."
        )


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def lineage(variants: dict[str, dict], name: str) -> list[str]:
    """Trained variants from the base up to ``name`` (inclusive), in training order."""
    chain: list[str] = []
    current = name
    while variants[current]["method"] != UNTRAINED:
        if current in chain:
            loop = [*chain[chain.index(current) :], current]
            steps = ", ".join(f"{a} from {b}" for a, b in zip(loop, loop[1:], strict=False))
            raise VariantError(
                f"variants: `from` forms a cycle ({steps}), so none of them starts from an "
                "untrained variant. Point one of them at the base: `from: base`."
            )
        chain.append(current)
        current = variants[current]["from"]
    return list(reversed(chain))


def enabled_variants(variants: dict[str, dict]) -> dict[str, dict]:
    """The variants not switched off with ``enabled: false``, in config order."""
    return {name: block for name, block in variants.items() if block.get("enabled", True)}


def trained_variants(variants: dict[str, dict]) -> list[str]:
    return [name for name, block in variants.items() if block["method"] != UNTRAINED]


def ordered_variants(variants: dict[str, dict]) -> list[str]:
    """Variant names in display order: by depth in the graph (base first, each variant after the
    one it starts from), then by method, then by name.

    The order is a function of the variants' values, not of the order their keys were written in,
    so a config saved with sorted keys shows the same report and reruns nothing.
    """

    def rank(name: str) -> tuple:
        block = variants[name]
        return (len(lineage(variants, name)), METHOD_ORDER.index(block["method"]), name)

    return sorted(variants, key=rank)
