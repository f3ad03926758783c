# Build .venv from the lock file; rebuild only when the lock (or the package metadata) changes.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# outputs, execution counts and papermill's timings out; cell ids kept, so diffs stay small
NBSTRIP := --keep-id --extra-keys "metadata.papermill cell.metadata.papermill cell.metadata.execution"

.DEFAULT_GOAL := help
.PHONY: help env brief validate test test-fast lint typecheck batch bench lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11 ...'" >&2; exit 2; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name ca-brief --display-name "Python (ca-brief)" >/dev/null
	@# notebooks go into git without outputs: .gitattributes names the nbstripout filter, and this
	@# defines it as `nbstripout --install` would, with the .venv of the work tree git runs it in
	if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean '$(BIN)/python -m nbstripout $(NBSTRIP)' && \
	  git config filter.nbstripout.smudge cat && \
	  git config filter.nbstripout.required true && \
	  git config diff.ipynb.textconv '$(BIN)/python -m nbstripout $(NBSTRIP) -t'; fi
	touch $(STAMP)

env: $(STAMP) ## Create or refresh .venv from requirements.lock

brief: $(STAMP) ## Validate the data and render the default brief to reports/
	$(BIN)/ca-brief validate data
	$(BIN)/ca-brief render --output-dir reports --name brief

validate: $(STAMP) ## Validate data/ and print counts per table
	$(BIN)/ca-brief validate data

lint: $(STAMP) ## ruff
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP) ## mypy
	$(BIN)/mypy

test: $(STAMP) lint typecheck ## Lint, type-check and run every test
	$(BIN)/pytest -n 2 -q

test-fast: $(STAMP) ## Run the tests that start no kernel, render or browser
	$(BIN)/pytest -n 2 -q -m "not slow"

batch: $(STAMP) ## Render one brief per country and side into reports/batch
	$(BIN)/ca-brief batch --grid countries=KZ,KG,TJ,UZ,TM --grid side=russia,ukraine --output-dir reports/batch

bench: $(STAMP) ## Print validation, rendering and preview benchmarks
	$(BIN)/python bench/bench_validate.py
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_preview.py

lock: ## Re-resolve requirements.lock from pyproject.toml (needs uv)
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 --no-header --quiet -o requirements.lock

clean: ## Remove .venv and generated reports
	rm -rf $(VENV) reports/*
