# Two commands do everything on a fresh Debian machine: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# The demo's port: `make run BATON_PORT=5050` (or the variable in the environment).
BATON_PORT ?= 5000
# Parallel pytest processes (pytest-xdist), each with its own throwaway services.
PYTEST_WORKERS ?= 2
export FLASK_APP := baton.platform.app

.PHONY: run test install lint format system-packages front-end-packages worker relay clean

$(BIN)/python:
	@$(PY) -m venv --help >/dev/null 2>&1 || { echo "Installing python3-venv"; apt-get update -qq && apt-get install -y -qq python3-venv; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

$(STAMP): $(BIN)/python pyproject.toml constraints.txt setup.py
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

install: $(STAMP)

## make run: the embedded demo (SQLite, in-process jobs, local documents, mail as .eml files).
run: $(STAMP) front-end-packages
	@# Quiet set-up: the migration and seeding steps log only warnings, so the
	@# demo logins are not buried under JSON lines.
	BATON_LOG_LEVEL=WARNING $(BIN)/flask db-upgrade
	BATON_LOG_LEVEL=WARNING $(BIN)/flask seed-demo
	@echo "Baton is at http://127.0.0.1:$(BATON_PORT)  (Ctrl-C stops it)"
	$(BIN)/flask run --host 127.0.0.1 --port $(BATON_PORT)

## make test: the whole suite against real PostgreSQL, Redis, S3 (moto server), SMTP (aiosmtpd).
test: $(TEST_STAMP) system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# PostgreSQL, Redis and Chromium are started by the test suite itself unless
# TEST_DATABASE_URL / TEST_REDIS_URL point at running servers.
system-packages:
	@bash infra/scripts/ensure-system-packages.sh

# Chart.js for the SLA charts, from Debian's libjs-chart.js (never a CDN, never in the repository).
front-end-packages:
	@bash infra/scripts/ensure-front-end-packages.sh

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: $(STAMP)
	TZ=UTC $(BIN)/flask worker high default low

relay: $(STAMP)
	$(BIN)/flask relay

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
