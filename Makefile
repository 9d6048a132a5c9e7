# The commands the README names. `make run` and `make test` work on a fresh machine with Python and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-sqlite test-postgres lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/community migrate
	COMMUNITY_BASE_URL="$${COMMUNITY_BASE_URL:-http://$(HOST):$(PORT)}" $(BIN)/community demo --if-empty
	COMMUNITY_BASE_URL="$${COMMUNITY_BASE_URL:-http://$(HOST):$(PORT)}" $(BIN)/community serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	bash .ci/install-bench-tools
	$(BIN)/python tests/benchmarks/bench_thread_page.py

clean:
	rm -rf $(VENV) build *.egg-info
