# The common commands. `make run` and `make test` set everything up on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU build of torch first, so that nothing pulls a CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: setup  ## set up, then serve the site at http://127.0.0.1:8000
	$(BIN)/dailypapers serve

test: setup  ## set up, then run linters, type checks and the tests on SQLite and PostgreSQL
	scripts/test

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/ingest_snapshot.py
	$(BIN)/python bench/import_speed.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
