# aidcalc: two commands do everything on a fresh machine with Python 3.11 and make.
#   make report   set up .venv if needed, then regenerate every report under reports/
#   make test     set up .venv if needed, then lint (ruff) and run the whole test suite (pytest)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# axe-core, the accessibility engine the browser tests run in every page (from npm, into .venv)
AXE_VERSION := 4.10.3
AXE := $(VENV)/node/node_modules/axe-core/axe.min.js

.DEFAULT_GOAL := help
.PHONY: help setup axe report test lint lab bench clean

help:  ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name aidcalc --display-name "Python (aidcalc)" >/dev/null
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory axe; \
	 else echo "npm not found: the browser tests' accessibility check needs 'make axe' (nodejs, npm)"; fi
	@touch $(STAMP)

$(AXE):
	npm install --prefix $(VENV)/node --no-save --no-package-lock --no-audit --no-fund --silent axe-core@$(AXE_VERSION)

axe: $(AXE)  ## Install axe-core (npm) for the accessibility check of the browser tests

setup: $(STAMP)  ## Create .venv and install the project into it

report: $(STAMP)  ## Regenerate every report under reports/
	$(BIN)/aidcalc report

lint: $(STAMP)  ## Lint the package, tests, benchmarks and notebooks
	$(BIN)/ruff check .

test: lint  ## Lint, then run the whole test suite
	$(BIN)/python -m pytest

lab: $(STAMP)  ## Open the notebooks in JupyterLab with the project's kernel
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

bench: $(STAMP)  ## Run the benchmarks; figures to benchmarks/results/latest.json (untracked)
	@echo "make bench: times aidcalc (and one full 'aidcalc report', which regenerates reports/);"
	@echo "            the figures go to benchmarks/results/latest.json, which git does not track"
	$(BIN)/python benchmarks/run_benchmarks.py --report --out benchmarks/results/latest.json

clean:  ## Remove .venv and the generated reports
	rm -rf $(VENV) reports/
