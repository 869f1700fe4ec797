"""Hugging Face Hub access: the token, and errors that say what to do.

The token comes from ``HF_TOKEN`` or the standard ``huggingface-cli login`` store, through
``huggingface_hub`` itself; this module never prints, logs or writes it. ``redact`` exists for
the one place where a token could leak: text we log that came from somewhere else.
"""

from __future__ import annotations

import os
import re

OFFLINE_HINT = (
    "To run without the Hub, use the offline demo: snakemake --cores 2 report "
    "(config/config.yaml, the embedded model and demo data)."
)

_TOKEN_PATTERN = re.compile(r"hf_[A-Za-z0-9]{8,}")


def redact(text: str) -> str:
    """Replace anything that looks like a Hugging Face token (and HF_TOKEN's value) in ``text``."""
    token = os.environ.get("HF_TOKEN")
    if token:
        text = text.replace(token, "[redacted]")
    return _TOKEN_PATTERN.sub("hf_[redacted]", text)


def explain_hub_error(
    error: Exception, repo_id: str, revision: str | None, kind: str
) -> RuntimeError:
    """Turn a Hub failure into one that names the cause and the way out."""
    from huggingface_hub import errors

    where = f"{kind} {repo_id}" + (f" at revision {revision}" if revision else "")
    if isinstance(error, errors.GatedRepoError):
        cause = (
            f"{where} is gated and this account has no access. Accept the licence on the "
            f"model page, then log in (huggingface-cli login) or set HF_TOKEN."
        )
    elif isinstance(error, errors.RevisionNotFoundError):
        cause = f"{where}: the revision does not exist. Check the pinned revision in the config."
    elif isinstance(error, errors.RepositoryNotFoundError):
        cause = (
            f"{where} was not found, or it is private and no valid token was given "
            f"(set HF_TOKEN or run huggingface-cli login)."
        )
    elif isinstance(error, errors.OfflineModeIsEnabled) or os.environ.get("HF_HUB_OFFLINE") == "1":
        cause = f"{where} is needed but HF_HUB_OFFLINE=1 and it is not in the local cache."
    elif isinstance(error, (OSError, ConnectionError, errors.LocalEntryNotFoundError)):
        cause = f"{where} could not be fetched: the Hub is unreachable from this machine."
    else:
        cause = f"{where} could not be loaded: {type(error).__name__}: {redact(str(error))}"
    return RuntimeError(f"{cause}\n{OFFLINE_HINT}")
