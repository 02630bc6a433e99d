# Customer segmentation: one entry point for newcomers, CI and schedulers.
# `make build` = README command 1 (set up + dbt build on the demo data).
# `make test`  = README command 2 (set up + every check); .ci/run calls it.

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export DBT_PROFILES_DIR := profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: help setup setup-engines setup-browser report build test lint sqlfluff ruff dbt-ci pytest engines demo-data docs refresh clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: requirements.txt requirements-nodeps.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

setup: $(BIN)/.installed  ## create .venv and install the pinned dependencies

$(BIN)/.engines-installed: $(BIN)/.installed requirements-engines.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-engines.txt -c constraints.txt
	touch $@

setup-engines: $(BIN)/.engines-installed  ## + dbt-postgres, dbt-spark, pyspark; Java 17 and PostgreSQL from Debian if missing
	scripts/ensure-system-deps

setup-browser:  ## headless Chromium from Debian if missing (the report's browser test)
	scripts/ensure-browser

build: setup  ## dbt build (models + all tests) on the bundled demo data into target/customer_segmentation.duckdb
	$(BIN)/dbt build

demo-data: setup  ## regenerate the bundled demo data (deterministic)
	$(BIN)/python -m custseg.generate --out data/demo

test: setup lint dbt-ci pytest engines  ## every check: sqlfluff, ruff, dbt build with all tests, pytest, 3 engines

lint: sqlfluff ruff  ## sqlfluff + ruff

sqlfluff: setup  ## (compiles against an empty DuckDB file, so incremental models lint as full builds)
	rm -f target/sqlfluff.duckdb
	DBT_DUCKDB_PATH=target/sqlfluff.duckdb $(BIN)/sqlfluff lint models analyses tests/data_tests

ruff: setup
	$(BIN)/ruff check custseg tests models
	$(BIN)/ruff format --check custseg tests models

dbt-ci: setup  ## dbt build on the demo data into a throw-away CI database
	rm -f target/ci.duckdb
	DBT_DUCKDB_PATH=target/ci.duckdb $(BIN)/dbt build --target ci

# Both cores: each test file runs whole on one worker (--dist loadfile), so a module's fixtures
# (its dbt builds) are built once. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2

pytest: setup setup-browser  ## the pytest suite (runs dbt in subprocesses, on PYTEST_WORKERS workers); exit code 5 (nothing collected) is a failure
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=15

engines: setup-engines  ## build on DuckDB, PostgreSQL and Spark from one generated data set; compare every mart
	$(BIN)/python -m custseg.compare_engines --work-dir target/engines

refresh: setup  ## scheduler entry: build, test, publish atomically to serving/ (ARGS='--var as_of_date=...')
	$(BIN)/custseg-refresh $(ARGS)

report: setup  ## write target/report.html from the demo build (run `make build` first)
	$(BIN)/custseg report --database target/customer_segmentation.duckdb --out target/report.html

docs: setup  ## generate the dbt docs site into target/
	$(BIN)/dbt docs generate

clean:  ## remove build output (keeps .venv)
	rm -rf target logs .pytest_cache .ruff_cache
