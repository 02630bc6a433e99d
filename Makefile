# Customer segmentation: one entry point for newcomers, CI and schedulers.
# `make build` = README command 1 (set up + dbt build on the demo data).
# `make test`  = README command 2 (set up + every check); .ci/run calls it.

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export DBT_PROFILES_DIR := profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: help setup build test lint sqlfluff ruff dbt-ci pytest demo-data docs refresh clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: requirements.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

setup: $(BIN)/.installed  ## create .venv and install the pinned dependencies

build: setup  ## dbt build (models + all tests) on the bundled demo data into target/customer_segmentation.duckdb
	$(BIN)/dbt build

demo-data: setup  ## regenerate the bundled demo data (deterministic)
	$(BIN)/python -m custseg.generate --out data/demo

test: setup lint dbt-ci pytest  ## every check: sqlfluff, ruff, dbt build with all tests, pytest

lint: sqlfluff ruff  ## sqlfluff + ruff

sqlfluff: setup
	$(BIN)/sqlfluff lint models analyses tests/data_tests

ruff: setup
	$(BIN)/ruff check custseg tests
	$(BIN)/ruff format --check custseg tests

dbt-ci: setup  ## dbt build on the demo data into a throw-away CI database
	rm -f target/ci.duckdb
	DBT_DUCKDB_PATH=target/ci.duckdb $(BIN)/dbt build --target ci

pytest: setup  ## the pytest suite (runs dbt in subprocesses); exit code 5 (nothing collected) is a failure
	$(BIN)/python -m pytest

refresh: setup  ## scheduler entry: build, test, publish atomically to serving/ (ARGS='--var as_of_date=...')
	$(BIN)/custseg-refresh $(ARGS)

docs: setup  ## generate the dbt docs site into target/
	$(BIN)/dbt docs generate

clean:  ## remove build output (keeps .venv)
	rm -rf target logs .pytest_cache .ruff_cache
