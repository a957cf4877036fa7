# newsdesk: `make demo` and `make test` set everything up from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: env demo test lint fmt typecheck bench clean help

help:
	@echo "make demo   - set up, serve the demo corpus on 127.0.0.1 and ingest it into data/demo.duckdb"
	@echo "make test   - set up, lint, type-check and run the whole test suite"
	@echo "make bench  - run the benchmarks in bench/"

$(UV):
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The environment is rebuilt whenever the lock or the project metadata changes.
$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

env: $(VENV)/.synced

demo: env
	rm -f data/demo.duckdb data/demo.duckdb.wal
	rm -rf data/demo
	$(BIN)/python scripts/airflow-demo.py --db data/demo.duckdb

lint: env
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

fmt: env
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/pytest -q

bench: env
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/extract_eval.py
	$(BIN)/python bench/tagger.py
	$(BIN)/python bench/analysis.py

clean:
	rm -rf $(VENV) $(TOOLS) data .pytest_cache .mypy_cache .ruff_cache

# Local Airflow: api-server, scheduler, dag-processor and triggerer on 127.0.0.1 with this repo's
# dags/, AIRFLOW_HOME under data/airflow/ and the pool duckdb_writer; Ctrl-C stops it all.
AIRFLOW_PORT ?= 8080
.PHONY: airflow
airflow: env
	AIRFLOW_PORT=$(AIRFLOW_PORT) BIN=$(CURDIR)/$(BIN) bash scripts/airflow-local.sh
