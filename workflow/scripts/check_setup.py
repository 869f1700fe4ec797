"""Snakemake adapter: the config's settings against TRL, the base model and this machine."""

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.io import write_json
from alignbench.logs import setup_logging
from alignbench.preflight import check_setup

setup_logging(snakemake.log[0])
write_json(
    snakemake.output.report, check_setup(snakemake.params.settings, snakemake.input.base_model)
)
