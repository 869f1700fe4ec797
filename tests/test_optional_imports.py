"""An evaluation process loads and merges a trained variant without importing bitsandbytes."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Loads the finished run's SFT variant (base + adapter, merged) in a fresh interpreter and
# prints whether bitsandbytes was imported, what PEFT believes of it, and the merged model.
LOAD_VARIANT = """
import sys
from alignbench.models.optional_imports import leave_out_bitsandbytes
if sys.argv[1] == "left out":
    leave_out_bitsandbytes()
from alignbench.models.loading import load_variant
from peft.import_utils import is_bnb_available
model = load_variant(sys.argv[2], sys.argv[3:], "fp32")
print(sys.modules.get("bitsandbytes") is not None, is_bnb_available(), type(model).__name__)
"""


@pytest.mark.parametrize(
    ("mode", "imported"),
    [("left out", "False False"), ("installed", "True True")],
)
def test_bitsandbytes_is_left_out_of_a_variant_only_when_asked(finished_run, mode, imported):
    results = finished_run / "results"
    adapter = next((results / "models" / "sft").glob("*/adapter"))
    run = subprocess.run(
        [sys.executable, "-c", LOAD_VARIANT, mode, str(results / "models" / "base"), str(adapter)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    # Without the call PEFT imports it: the control that shows the call is what changes it.
    assert run.stdout.split()[-3:] == [*imported.split(), "LlamaForCausalLM"]


def test_an_already_imported_bitsandbytes_is_kept():
    run = subprocess.run(
        [sys.executable, "-c", "import sys, bitsandbytes\n"
         "from alignbench.models.optional_imports import leave_out_bitsandbytes\n"
         "leave_out_bitsandbytes()\nprint(sys.modules['bitsandbytes'] is bitsandbytes)"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split()[-1] == "True"
