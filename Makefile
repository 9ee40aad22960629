.PHONY: install demo check test lint bench migration

VENV ?= .venv
PY = $(VENV)/bin/python

install:
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -e '.[test]'

demo:
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -e . && $(VENV)/bin/jeugdregio demo

# exactly what CI runs
check:
	$(PY) tools/check.py && $(PY) -m pytest

test:
	$(PY) -m pytest

lint:
	$(VENV)/bin/ruff check platform tests tools bench migrations && $(VENV)/bin/mypy && $(VENV)/bin/lint-imports

migration:
	$(PY) tools/regen_initial_migration.py
