# Bootstraps .venv on first use; nothing needs to be installed beforehand but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck contracts docs check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## the main job: a scripted incident, then a simulated quarter into itil_l2-demo/ (SQLite, KPIs, report.html)
	$(BIN)/python -m itil_l2

test: $(STAMP)  ## the whole test suite (unit, property, real-data, doctests)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs scripts
	$(BIN)/ruff format --check src tests benchmarks docs scripts

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

contracts: $(STAMP)  ## the layer and privacy contracts of pyproject.toml (import-linter)
	$(BIN)/lint-imports --no-cache

docs: $(STAMP)  ## the docs site, strict: warnings are errors (no --quiet, which hides them from --strict)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

check: test lint typecheck contracts docs

bench: $(STAMP)  ## every benchmark, quick mode (the full runs: python benchmarks/bench_*.py)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_workflow.py --tickets 20000 --naive 2000 --repeat 3 --memory 5000
	for b in storage sla kpi replay; do $(BIN)/python benchmarks/bench_$$b.py --quick || exit 1; done

clean:
	rm -rf $(VENV) site .cache .pytest_cache .mypy_cache .ruff_cache .hypothesis itil_l2-demo
