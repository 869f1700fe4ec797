"""alignbench: the importable logic behind the alignment-comparison Snakemake workflow.

The Snakemake scripts under ``workflow/scripts`` are thin adapters over the functions here,
so everything can be tested without Snakemake.
"""
