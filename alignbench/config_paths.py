"""Local files and folders named in the config, checked while the DAG is built.

A missing data file, model folder or reward model would otherwise fail inside its job, possibly
after other jobs ran for hours, and a missing reward-model folder would be taken for a Hub id
that cannot be reached. The first rows of a local data file are read too: rows in no layout the
workflow knows (or not in the one data.format names) fail here, not in the data job. Standard
library only: the Snakefile imports this module.
"""

from __future__ import annotations

import re
from pathlib import Path

from alignbench.data.layouts import DETECTION_ROWS, layout_errors
from alignbench.data.sources import LOCAL_FORMATS, read_first_rows

# A Hub repository id: "name" or "owner/name" (letters, digits, '-', '_', '.').
HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")


def model_folder_error(key: str, value: str) -> str | None:
    folder = Path(value).expanduser()
    if not folder.is_dir():
        return None
    if not (folder / "config.json").is_file():
        return f"{key}: {folder} has no config.json; point it at a saved Hugging Face model folder."
    return None


def data_file_errors(config: dict) -> list[str]:
    if config["data"]["source"] != "local":
        return []
    path = Path(config["data"]["local"]["path"]).expanduser()
    kinds = ", ".join(LOCAL_FORMATS)
    if path.suffix.lower() not in LOCAL_FORMATS:
        return [f"data.local.path: {path} is not a file type the workflow reads ({kinds})."]
    if not path.is_file():
        return [
            f"data.local.path: {path} does not exist (a relative path starts in the folder "
            "Snakemake runs in)."
        ]
    rows = read_first_rows(path, DETECTION_ROWS)
    if not any(isinstance(row, dict) for row in rows):
        return []  # unreadable, empty or not objects: the data job says which, and where
    return layout_errors(rows, config["data"], f"data.local.path: {path}")


def base_model_errors(config: dict) -> list[str]:
    model = config["model"]
    errors = []
    if model["source"] == "local":
        folder = Path(model["local"]["path"]).expanduser()
        if not folder.is_dir():
            errors.append(f"model.local.path: {folder} is not a folder.")
        elif error := model_folder_error("model.local.path", str(folder)):
            errors.append(error)
    template = model["chat_template"]
    inline = template is not None and ("{{" in template or "{%" in template)
    if template and not inline and not Path(template).expanduser().is_file():
        errors.append(
            f"model.chat_template: {template} is neither a Jinja template (no {{{{ or {{%) "
            "nor an existing file."
        )
    return errors


def reward_model_errors(config: dict) -> list[str]:
    """A reward model is a local folder or a Hub id; whether the Hub has it is asked by the
    first model job (alignbench.preflight), where the network and token are."""
    value = config["evaluation"]["reward_model"]
    if not value:
        return []
    if Path(value).expanduser().is_dir():
        error = model_folder_error("evaluation.reward_model", value)
        return [error] if error else []
    if not HUB_ID.match(value):
        return [
            f"evaluation.reward_model: {value} is not a folder, and not a Hub id "
            "('owner/name') either. Fix the path, or set it to null to skip reward scoring."
        ]
    return []


def path_errors(config: dict) -> list[str]:
    """Every problem with the config's local paths, one line each (empty when all is well)."""
    return [*data_file_errors(config), *base_model_errors(config), *reward_model_errors(config)]
