"""Hyperparameter sweeps: a variant's ``grid`` expanded into one variant per combination.

A variant may carry ``grid`` (setting -> list of values) and its own ``lora`` block, a partial
override of the shared top-level ``lora`` for that variant only. A setting is an ``args`` name
(e.g. ``learning_rate``) or ``lora.<key>`` (e.g. ``lora.r``)::

    orpo:
      method: orpo
      from: base
      args: {learning_rate: 2.0e-4, beta: 0.1}
      grid: {learning_rate: [5.0e-5, 2.0e-4], beta: [0.1, 0.25]}

The expansion happens on the config, before the DAG is built, so the rest of the workflow sees
every grid point as an ordinary variant with a folder of its own (``results/<name>/...``):

- the variant keeps its name and its settings: it is the sweep's *default point*;
- each other combination becomes ``orpo@learning_rate=5e-05@beta=0.25`` (see ``point_name``);
- a combination equal to the default's settings is the default itself and is not added again,
  so turning a sweep on reuses the already trained default and its files.

A variant whose ``from`` names a swept variant starts from the default point (the plain name);
the grid points are leaves of the variant graph.

Standard library only: this is imported while Snakemake builds the DAG.
"""

from __future__ import annotations

import copy
import itertools
import math
import re

from alignbench.variants import RESERVED_ARGS, UNTRAINED, VariantError, check_args, is_number

# A typo such as an extra zero in a list would otherwise schedule hundreds of trainings.
MAX_GRID_POINTS = 64

LORA_PREFIX = "lora."
# The per-variant LoRA settings and what the schema's top-level lora block allows for each.
# target_modules is a list and is shared by every variant: it cannot be swept.
LORA_CHECKS = {
    "r": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "a whole number >= 1",
    ),
    "alpha": (lambda v: is_number(v) and v > 0, "a number > 0"),
    "dropout": (lambda v: is_number(v) and 0 <= v <= 1, "a number from 0 to 1"),
    "bias": (lambda v: v in ("none", "all", "lora_only"), "one of none, all, lora_only"),
    "use_rslora": (lambda v: isinstance(v, bool), "true or false"),
}

# Settings only some methods accept, as far as that is known without importing TRL (checked
# against the pinned TRL 1.16): ORPO's lambda and DPO's beta are both `beta`; SFTConfig has none.
# The full check of names and types against TRL's config classes is done by the workflow's setup
# check job (alignbench.preflight), which sees every grid point as an ordinary variant.
METHOD_ONLY_ARGS = {
    "beta": ("orpo", "dpo"),
    "label_smoothing": ("dpo",),
    "loss_type": ("sft", "dpo"),
    "packing": ("sft",),
}

# An args name as TRL's config classes spell them; it becomes part of a folder name.
SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Text values that are safe in a folder name as they are.
SAFE_TEXT = re.compile(r"^[A-Za-z0-9_.+-]+$")


def expand_sweeps(variants: dict[str, dict], lora: dict) -> dict[str, dict]:
    """The variants with each grid expanded, in config order: every swept variant (its block
    without ``grid``: the default point) followed by its other grid points.

    ``variants`` is the schema-validated config block, disabled variants included (returned
    unchanged); ``lora`` the shared top-level lora block, defaults filled. Every block of a
    sweep gets ``sweep: {of, settings, point, default}``. The inputs are not modified.
    """
    check_sweeps(variants)
    expanded: dict[str, dict] = {}
    for name, block in variants.items():
        if "grid" not in block or not block.get("enabled", True):
            expanded[name] = copy.deepcopy(block)
            continue
        default = default_point(block, lora)
        expanded[name] = {**without_grid(block), "sweep": sweep_info(name, default, True)}
        for point in grid_points(block["grid"]):
            if not all(same(point[key], default[key]) for key in point):
                sweep = sweep_info(name, point, False)
                expanded[point_name(name, point)] = {**point_block(block, point), "sweep": sweep}
    return expanded


def point_name(variant: str, point: dict) -> str:
    """``orpo@learning_rate=5e-05@beta=0.25``: the variant, then ``@setting=value`` for each
    setting in the point's order; a file-system-safe folder name. No commas: Snakemake hands a
    job's wildcards to its job process as ``name=value,name=value`` and would split a value at
    one. check_values rejects grid values that would give two points one name (1 and "1")."""
    return variant + "".join(f"@{key}={format_value(value)}" for key, value in point.items())


def format_value(value) -> str:
    """A grid value as written in a point's name: ``true``/``false``; whole numbers as they are;
    other numbers as their shortest round-trip text (0.0002, 5e-05), so two different values
    never give the same name; text as it is, if safe in a folder name."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str) and SAFE_TEXT.fullmatch(value):
        return value
    if isinstance(value, str):
        raise VariantError(
            f"the text {value!r} cannot be part of a folder name: use letters, digits and "
            "_ . + - only."
        )
    raise VariantError(
        f"{value!r} is not a single value: give numbers, true/false or words, one per item."
    )


def sweep_groups(variants: dict[str, dict]) -> dict[str, list[str]]:
    """From expanded variants: sweep name -> [default point, other grid points], in order."""
    groups: dict[str, list[str]] = {}
    for name, block in variants.items():
        if "sweep" in block:
            groups.setdefault(block["sweep"]["of"], []).append(name)
    return groups


def all_pairs(variants: list[str]) -> list[tuple[str, str]]:
    """Every ``(later, earlier)`` pair of ``variants``, in their order."""
    return [(v, r) for i, v in enumerate(variants) for r in variants[:i]]


def comparison_pairs(variants: list[str], sweeps: dict[str, list[str]]) -> list[dict]:
    """What is compared with what: every pair of arms (the variants outside a sweep, and each
    sweep's default point), and within a sweep each point against its default only.

    Comparing every point with every other arm would make the family of tests, and so Holm's
    adjustment, grow with the square of the grid for questions nobody asked.
    """
    points = {point for group in sweeps.values() for point in group[1:]}
    arms = [v for v in variants if v not in points]
    pairs = [{"variant": v, "reference": r, "family": "arms"} for v, r in all_pairs(arms)]
    for sweep, (default, *grid_points) in sweeps.items():
        pairs += [
            {"variant": point, "reference": default, "family": sweep_family(sweep)}
            for point in grid_points
            if point in variants
        ]
    return pairs


def sweep_family(sweep: str) -> str:
    """The comparisons of a sweep's points against its default (one Holm family per metric)."""
    return f"sweep {sweep}"


def swept_settings(block: dict) -> list[str]:
    """The settings a sweep varies, in its grid's order (from any of its expanded blocks)."""
    return list(block["sweep"]["settings"])


def same(a, b) -> bool:
    """Equal as settings: numbers by value (2e-4 and 0.0002, 1 and 1.0), anything else (true is
    not 1) by type and value."""
    if is_number(a) and is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def default_point(block: dict, lora: dict) -> dict:
    """The default point's value of each swept setting: the variant's own args, else its own
    lora, else the shared lora. An args setting the variant does not set is None: TRL's default
    applies, unknown here, so no grid point can be recognised as the default."""
    own_lora = block.get("lora") or {}
    point = {}
    for key in block["grid"]:
        if key.startswith(LORA_PREFIX):
            lora_key = key.removeprefix(LORA_PREFIX)
            point[key] = own_lora[lora_key] if lora_key in own_lora else lora.get(lora_key)
        else:
            point[key] = (block.get("args") or {}).get(key)
    return point


def grid_points(grid: dict) -> list[dict]:
    """Every combination, the first setting varying slowest."""
    return [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]


def without_grid(block: dict) -> dict:
    return copy.deepcopy({key: value for key, value in block.items() if key != "grid"})


def point_block(block: dict, point: dict) -> dict:
    """The variant's block with the point's settings in ``args`` and ``lora``; either is added
    only where the variant has it or the point sets it."""
    result = without_grid(block)
    for key, value in point.items():
        if key.startswith(LORA_PREFIX):
            result.setdefault("lora", {})[key.removeprefix(LORA_PREFIX)] = value
        else:
            result.setdefault("args", {})[key] = value
    return result


def sweep_info(name: str, point: dict, default: bool) -> dict:
    """``settings`` keeps the grid's order: the workflow sorts every mapping's keys (so that a
    re-saved config reruns nothing), which reorders ``point`` but not a list."""
    return {"of": name, "settings": list(point), "point": dict(point), "default": default}


# --- validation, before anything is expanded --------------------------------------------------


def check_sweeps(variants: dict[str, dict]) -> None:
    """Reject grids that cannot be expanded into trainable variants, naming the config key, what
    is wrong and the fix. Disabled variants are left alone, as in validate_variants."""
    for name, block in variants.items():
        if not block.get("enabled", True):
            continue
        check_own_lora(name, block.get("lora") or {})
        if "grid" in block:
            check_grid(name, block)


def check_own_lora(name: str, own_lora: dict) -> None:
    unknown = sorted(set(own_lora) - set(LORA_CHECKS))
    if unknown:
        raise VariantError(
            f"variants.{name}.lora: unknown setting {', '.join(unknown)}; a variant's lora "
            f"block can set {', '.join(LORA_CHECKS)} (target_modules only at the top level)."
        )


def check_grid(name: str, block: dict) -> None:
    grid = block["grid"]
    if block["method"] == UNTRAINED:
        raise VariantError(
            f"variants.{name}.grid: method none trains nothing, so there is nothing to sweep; "
            "remove the grid."
        )
    if not grid:
        raise VariantError(
            f"variants.{name}.grid is empty: list settings to sweep, e.g. "
            "`grid: {learning_rate: [5.0e-5, 2.0e-4]}`, or remove it."
        )
    for key, values in grid.items():
        check_setting(name, block["method"], key)
        check_values(name, key, values)
    count = math.prod(len(values) for values in grid.values())
    if count > MAX_GRID_POINTS:
        raise VariantError(
            f"variants.{name}.grid has {count} combinations, more than the limit of "
            f"{MAX_GRID_POINTS} trainings per grid; sweep fewer values, or split the sweep "
            "over several variants."
        )
    for point in grid_points(grid):
        try:
            check_args(name, point_block(block, point).get("args") or {})
        except VariantError as error:
            raise VariantError(
                f"variants.{name}.grid: the point {point_name(name, point)} cannot be trained: "
                f"{error}"
            ) from None


def check_setting(name: str, method: str, key: str) -> None:
    """The setting's name: a LoRA setting that a variant can set, or an args name that neither
    the workflow owns nor the method lacks."""
    where = f"variants.{name}.grid.{key}"
    if key.startswith(LORA_PREFIX):
        if key.removeprefix(LORA_PREFIX) not in LORA_CHECKS:
            sweepable = ", ".join(LORA_PREFIX + lora_key for lora_key in LORA_CHECKS)
            raise VariantError(
                f"{where}: not a LoRA setting that can be swept; use one of {sweepable} "
                "(target_modules is a list, shared by all variants)."
            )
        return
    if not SETTING_NAME.fullmatch(key):
        raise VariantError(
            f"{where}: not a setting name; give an args name (e.g. learning_rate) or "
            "lora.<key> (e.g. lora.r)."
        )
    if key in RESERVED_ARGS:
        raise VariantError(
            f"{where}: {key} is set by the workflow (output folder, training seeds from "
            "training.seeds, precision from training.precision); remove it from the grid."
        )
    methods = METHOD_ONLY_ARGS.get(key, (method,))
    if method not in methods:
        raise VariantError(
            f"{where}: {method} training takes no {key} (only {', '.join(methods)} do); "
            "remove it from the grid."
        )


def check_values(name: str, key: str, values) -> None:
    """A non-empty list of distinct single values, each fit for a folder name and, for a LoRA
    setting, within the schema's bounds."""
    where = f"variants.{name}.grid.{key}"
    if not isinstance(values, list) or not values:
        raise VariantError(f"{where}: give a non-empty list of values, e.g. `{key}: [1, 2]`.")
    names = []
    for value in values:
        try:
            names.append(format_value(value))
        except VariantError as error:
            raise VariantError(f"{where}: {error}") from None
        if key.startswith(LORA_PREFIX):
            accepted, wanted = LORA_CHECKS[key.removeprefix(LORA_PREFIX)]
            if not accepted(value):
                raise VariantError(f"{where}: {value!r} is not {wanted}; change that value.")
    for (i, a), (j, b) in itertools.combinations(enumerate(values), 2):
        if same(a, b) or names[i] == names[j]:
            raise VariantError(
                f"{where}: {a!r} and {b!r} are the same value, or would give the same folder "
                "name (numbers compare by value: 2e-4 is 0.0002, 1 is 1.0); keep one of them."
            )
