"""Snakemake adapter: materialise the base model folder from the configured source."""

import logging

import _alignbench_path  # noqa: F401  (the workflow's own package first)

from alignbench.logs import setup_logging
from alignbench.models.base import prepare_base_model

setup_logging(snakemake.log[0])
origin = prepare_base_model(snakemake.params.model, snakemake.output.model)
logging.getLogger("prepare_base_model").info("Base model ready: %s", origin)
