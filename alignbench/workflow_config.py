"""The config as the Snakefile sees it while building the DAG.

This module, like everything the Snakefile imports, uses the standard library and Snakemake's own
dependencies (PyYAML, jsonschema) only: users run Snakemake from an environment that holds
Snakemake and nothing else, and the jobs' own packages live in per-step environments (envs/).
"""

from __future__ import annotations


def canonical(value):
    """``value`` with every mapping's keys sorted, recursively; lists keep their order.

    Snakemake compares a job's ``params`` with those it ran with, dict key order included, so a
    config re-saved with its keys in another order would rerun every job. Sorted keys make equal
    values compare equal.
    """
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def replace_contents(target: dict, source: dict) -> None:
    """Make ``target`` equal to ``source`` in place (Snakemake's ``config`` object must stay the
    same object: rules and the report read it)."""
    target.clear()
    target.update(source)


def schema_node(schema: dict, path: tuple) -> dict:
    """The part of the JSON schema that describes the config value at ``path`` ({} if free)."""
    node = schema
    for key in path:
        if isinstance(key, int):
            node = node.get("items", {})
        elif key in node.get("properties", {}):
            node = node["properties"][key]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return {}
    return node


def takes_text(node: dict) -> bool:
    """Whether the schema accepts a string here (then command-line text is kept as text)."""
    types = node.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "string" in types:
        return True
    return bool(node.get("enum")) and all(isinstance(v, str) for v in node["enum"])


def parse_text(text: str):
    """A command-line value as YAML would read it, and ``1e-4`` as the number it means (YAML 1.1,
    which PyYAML implements, only reads exponents with a dot as numbers: ``1.0e-4``)."""
    import yaml

    value = yaml.safe_load(text)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def coerce_overrides(config: dict, overrides: dict, schema: dict, path: tuple = ()) -> None:
    """Give nested ``--config`` values the types the schema expects, in ``config`` (in place).

    Snakemake parses ``--config generation='{max_new_tokens: 64}'`` with YAML's base loader,
    which keeps every nested value as text ("64"), and merges it into the config file's values.
    Each such text value becomes a number, boolean, null or list where the schema wants one, and
    in free-form blocks (a variant's TRL ``args``); where the schema takes a string it stays.
    """
    for key, value in overrides.items():
        here = (*path, key)
        if isinstance(value, dict):
            if isinstance(config.get(key), dict):
                coerce_overrides(config[key], value, schema, here)
        elif isinstance(value, list):
            node = schema_node(schema, (*here, 0))
            config[key] = [
                item if not isinstance(item, str) or takes_text(node) else parse_text(item)
                for item in value
            ]
        elif isinstance(value, str) and path and not takes_text(schema_node(schema, here)):
            config[key] = parse_text(value)


def schema_errors(config: dict, schema: dict) -> list[str]:
    """One short line per schema violation, naming the config key and what would be accepted.

    Snakemake's own message for a failed validation prints the whole schema and config (hundreds
    of lines for one misspelt key); this is what the user needs from it.
    """
    import difflib

    import jsonschema

    lines = []
    validator = jsonschema.Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.path]):
        key = ".".join(str(part) for part in error.absolute_path)
        if error.validator == "additionalProperties" and error.validator_value is False:
            allowed = sorted(error.schema.get("properties", {}))
            for name in sorted(set(error.instance) - set(allowed)):
                where = f"{key}.{name}" if key else name
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                lines.append(f"{where}: unknown setting; {hint}known here: {', '.join(allowed)}.")
            continue
        lines.append(f"{key or 'config'}: {error.message}.")
    return lines


def fill_defaults(config: dict, schema: dict) -> None:
    """Give ``config`` (in place) every default the schema names, at every depth: what
    Snakemake's ``validate()`` does to a valid config, with the recipe of jsonschema's FAQ
    (https://python-jsonschema.readthedocs.io/en/latest/faq/), on the schema already loaded.

    ``validate()`` reloads and re-resolves the schema file on every call: 0.1-0.2 s of a no-op
    dry run's 1.5-2.4 s here (`docs/performance.md`, "The benchmark"); the result is the same config
    (``tests/test_workflow_config.py``). Call it on a config that :func:`schema_errors` passed;
    a block a default adds is filled in turn."""
    import copy

    import jsonschema
    from jsonschema import validators

    check_properties = jsonschema.Draft202012Validator.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        for name, subschema in properties.items():
            if "default" in subschema:
                # A copy: the schema's own default object must not become part of the config.
                instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from check_properties(validator, properties, instance, schema)

    filling = validators.extend(jsonschema.Draft202012Validator, {"properties": set_defaults})
    filling(schema).validate(config)
