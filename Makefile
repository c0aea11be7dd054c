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
# the package byte-compiled, as pip leaves a package it installs: an editable install is not, and
# where PYTHONDONTWRITEBYTECODE is set every process (each report kernel and worker) would compile
# it again (~0.05 s a process); only the modules changed since are compiled again
COMPILE := $(BIN)/python -m compileall -q src/aidcalc

.DEFAULT_GOAL := help
.PHONY: help setup axe report test check lint lab bench clean

help:  ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# quiet apart from one line per step: pip speaks only of errors (-qq), not of the warnings a
# machine's own pip configuration may give (an index folder that lacks a package, say)
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "setup: creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "setup: installing aidcalc with every extra and the dev tools into $(VENV) (about a minute)"
	@$(BIN)/python -m pip install -qq --upgrade pip
	@$(BIN)/python -m pip install -qq -e '.[dev]'
	@$(COMPILE)
	@$(BIN)/python -m ipykernel install --sys-prefix --name aidcalc --display-name "Python (aidcalc)" >/dev/null
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory axe; \
	 else echo "setup: npm not found; the browser tests' accessibility check needs 'make axe' (nodejs, npm)"; fi
	@touch $(STAMP)
	@echo "setup: done; the kernel \"Python (aidcalc)\" is registered in $(VENV)"

$(AXE):
	npm install --prefix $(VENV)/node --no-save --no-package-lock --no-audit --no-fund --silent axe-core@$(AXE_VERSION)

axe: $(AXE)  ## Install axe-core (npm) for the accessibility check of the browser tests

setup: $(STAMP)  ## Create .venv and install the project into it

report: $(STAMP)  ## Regenerate every report under reports/
	@$(COMPILE)
	@$(BIN)/aidcalc report

lint: $(STAMP)  ## Lint the package, tests, benchmarks and notebooks
	$(BIN)/ruff check .

test: lint  ## Lint, then run the whole test suite (what CI runs)
	$(BIN)/python -m pytest

check: lint  ## Lint, then the fast tier: no kernels, browsers, signals or installs (about a minute)
	$(BIN)/python -m pytest -q -m "not kernel and not browser and not signals and not install"

lab: $(STAMP)  ## Open the notebooks in JupyterLab with the project's kernel
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

bench: $(STAMP)  ## Run the benchmarks; figures to benchmarks/results/latest.json (untracked)
	@echo "make bench: times aidcalc against floors measured in the same run (and 'aidcalc report' in a"
	@echo "            temporary folder against papermill); each figure is printed beside its target with"
	@echo "            a verdict, and written to benchmarks/results/latest.json, which git does not track"
	@$(COMPILE)
	$(BIN)/python benchmarks/run_benchmarks.py --report --out benchmarks/results/latest.json

clean:  ## Remove .venv and the generated reports
	rm -rf $(VENV) reports/
