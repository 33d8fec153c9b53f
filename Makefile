# Situation Table — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install migrate seed test lint format messages bench clean

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

## make lint: ruff (lint + format check) and the migrations check
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make test: lint, then the whole test suite (set DATABASE_URL for PostgreSQL)
test: lint
	DJANGO_ENV=test $(PY) -m pytest

messages: install
	$(PY) manage.py makemessages -l fr --ignore '.venv/*' --ignore 'staticfiles/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
