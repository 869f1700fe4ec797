"""Put this workflow's own package first on the import path of a script job.

Snakemake appends a script's folder to ``sys.path``, so every script can import this module
first (``import _alignbench_path``). The package then comes from the workflow's folder, whatever
environment the job runs in: the --use-conda envs hold third-party packages only, and Snakemake
removes PYTHONPATH from the environment of jobs that run in them.
"""

import sys
from pathlib import Path

WORKFLOW_ROOT = str(Path(__file__).resolve().parents[2])
if sys.path[:1] != [WORKFLOW_ROOT]:
    sys.path.insert(0, WORKFLOW_ROOT)
