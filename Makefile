# Situation Table — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install migrate seed test lint format messages bench bench-live load clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## make run: install, migrate, seed the demo and serve on http://127.0.0.1:8000
run: seed
	@echo ""
	@echo "  Situation Table is running on http://$(HOST):$(PORT)/ — sign in with a demo login above."
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

## make lint: ruff (lint + format check), bandit (security lint), the import layers
## (import-linter, [tool.importlinter] in pyproject.toml) and the migrations check
# Each bandit finding we accept carries "# nosec BXXX - why" on its line.
BANDIT_DIRS := $(wildcard core agencies cases consent situation_table notifications reports)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -c pyproject.toml -r $(BANDIT_DIRS)
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make test: lint, then the whole test suite (set DATABASE_URL for PostgreSQL)
test: lint
	DJANGO_ENV=test $(PY) -m pytest

## make bench: pages, API lists and exports at 10k and 100k situations on PostgreSQL
# Not part of make test. Needs wrk and PostgreSQL (BENCH_POSTGRES, default the local trust user);
# ~10 minutes the first time (seeding), ~7 after. BENCH_SIZES=10000,100000 to choose the sizes.
bench: install
	@command -v wrk >/dev/null 2>&1 || { echo "wrk is not installed: apt-get install wrk"; exit 2; }
	$(PY) benchmarks/run.py

## make bench-live: 10 live meetings x 30 followers on two servers (PostgreSQL + Redis)
bench-live: install
	$(PY) benchmarks/live_meeting.py

## make load: 50 locust users for 60 s against gunicorn on loopback (own PostgreSQL database)
# Not part of make test. Needs PostgreSQL and locust (LOCUST=path, or on PATH):
#   python3 -m venv .venv-load && .venv-load/bin/pip install 'locust>=2.40,<2.48'
load: install
	LOCUST=$${LOCUST:-$$(test -x .venv-load/bin/locust && echo .venv-load/bin/locust || echo locust)} $(PY) benchmarks/load.py

messages: install
	$(PY) manage.py makemessages -l fr --ignore '.venv/*' --ignore 'staticfiles/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
