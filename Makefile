# CIP: `make run` and `make test` on a fresh machine; both create/reuse .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install browser java manifest run test test-engines test-long dev dashboard bench-ingest clean

install: $(STAMP) browser java

# headless Chromium for the dashboard's browser test (Debian package; those tests skip without it)
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium not installed (needs root): the browser test will be skipped"

# Java for `engine: spark` and its tests (Debian package; `make run` on DuckDB never needs it)
java:
	@command -v java >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; } || \
	  echo "java not installed (needs root): the Spark tests will be skipped"

# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/pip install --quiet -e '.[dev,spark]' 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/python -c "import torch, dagster, dagster_dbt, duckdb, polars, great_expectations, openpyxl, streamlit, rapidfuzz"
	$(BIN)/python -c "from cip_resources.dbt import prepare_manifest; prepare_manifest(force=True)"
	$(BIN)/python -m cip_resources.text_encoders
	touch $(STAMP)

manifest: install
	$(BIN)/python -c "from cip_resources.dbt import prepare_manifest; prepare_manifest(force=True)"

run: install
	$(BIN)/cip run

test: install
	$(BIN)/python -m pytest -q

# the dbt project's other paths: on a local Spark session against DuckDB (needs Java), and incremental
# builds against full rebuilds; kept apart so that `make test` stays under 15 minutes
test-engines: install
	$(BIN)/python -m pytest -q -m engines

# the long runs of what users do: a day-two refresh on a real DagsterInstance while readers read, every dashboard
# page in headless Chromium, and the monitoring alerts over one monitored home; kept apart for the same reason, CI
# runs them too
test-long: install
	$(BIN)/python -m pytest -q -m long

dev: install
	$(BIN)/cip ui

dashboard: install
	$(BIN)/cip dashboard

bench-ingest: install
	$(BIN)/python benchmarks/bench_ingest.py

clean:
	rm -rf .cip dbt_project/target
