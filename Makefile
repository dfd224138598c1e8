# Two commands for a new machine: `make run` and `make test`. See README.md.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
MANAGE := $(PY) manage.py
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test install services db migrate demo lint bench-ingest bench-billrun clean

## make run: install, prepare the database, load demo data, start web + worker + beat
run: install services db demo
	@scripts/run.sh

## make test: the same preparation, then the whole suite
test: install services db
	@$(PY) scripts/db_bootstrap.py --drop-stale-test-databases > /dev/null
	@$(VENV)/bin/pytest $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@test -x $(UV) || $(VENV)/bin/pip install --quiet "uv==0.13.8"
	@$(UV) sync --frozen --inexact --quiet
	@scripts/system_deps.sh
	@touch $@

services:
	@scripts/services.sh

db: install services
	@$(PY) scripts/db_bootstrap.py
	@$(MANAGE) migrate --database owner --no-input -v 0
	@echo "database migrated"

migrate: db

demo: db
	@$(MANAGE) load_demo

## make lint: ruff, and the layers contract (also run by make test: tests/test_layers.py)
lint: install
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/lint-imports --no-cache

## benchmarks: print figures and ratios against a baseline measured in the same run (never part of make test)
bench-ingest: install services db
	@$(PY) bench/ingest.py

bench-billrun: install services db
	@$(PY) bench/billrun.py

clean:
	rm -rf $(VENV) var
