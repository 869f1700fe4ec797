"""Optional heavy packages kept out of the processes that never use them."""

from __future__ import annotations

import sys


def leave_out_bitsandbytes() -> None:
    """Make this process treat bitsandbytes as not installed, unless it is already imported.

    PEFT imports bitsandbytes as soon as PEFT is imported, whenever it is installed
    (``peft/helpers.py``): loading and merging the demo's DPO variant in a fresh interpreter took
    7.4 s with it and 6.2 s without (``docs/performance.md``, "What made it faster"). The
    evaluation jobs load plain bf16 or fp32 weights and never call it. A ``None`` entry in
    ``sys.modules`` makes ``import bitsandbytes`` raise ImportError and
    ``importlib.util.find_spec`` return None (Python's language reference, "The module cache"),
    the two ways PEFT and transformers test for it. Only for a process that loads no 4-bit
    weights and builds no 8-bit optimiser: a job script, never a library function that another
    caller might follow with QLoRA training.
    """
    sys.modules.setdefault("bitsandbytes", None)
