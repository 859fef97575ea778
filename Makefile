# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DATABASE ?= sqlite:///var/fireline.db

.PHONY: run test lint check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "fireline needs Python 3.11 or newer")'

$(BIN)/python: | check-python
	@$(PYTHON) -m venv $(VENV) || { echo "could not create a virtual environment: on Debian, apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed

## run: install, create the demo organisation on SQLite, serve on http://127.0.0.1:8000
run: $(VENV)/.installed
	@mkdir -p var
	FIRELINE_DATABASE_URL=$${FIRELINE_DATABASE_URL:-$(DEMO_DATABASE)} $(BIN)/fireline demo
	FIRELINE_DATABASE_URL=$${FIRELINE_DATABASE_URL:-$(DEMO_DATABASE)} $(BIN)/fireline serve

## lint: ruff and mypy, as CI runs them
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## test: install the development dependencies, lint, and run the whole suite
test: lint
	$(BIN)/pytest -n auto

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache
