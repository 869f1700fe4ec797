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


class VariantError(ValueError):
    pass


def validate_variants(variants: dict[str, dict]) -> None:
    """Reject unknown starting points, cycles, and inconsistent method/from pairs."""
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
        if parent not in variants:
            known = ", ".join(sorted(variants))
            raise VariantError(
                f"variants.{name}.from: unknown variant {parent!r} (known: {known})."
            )
    for name in variants:
        lineage(variants, name)  # raises on a cycle


def lineage(variants: dict[str, dict], name: str) -> list[str]:
    """Trained variants from the base up to ``name`` (inclusive), in training order."""
    chain: list[str] = []
    current = name
    while variants[current]["method"] != UNTRAINED:
        if current in chain:
            cycle = " -> ".join([*reversed(chain), current])
            raise VariantError(f"variants: `from` forms a cycle: {cycle}.")
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
