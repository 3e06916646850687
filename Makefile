# Two commands: `make demo` and `make test`. Everything else is a helper.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: demo test setup system-deps lint bench serve clean-cluster

demo: setup  ## Build the seeded demo through the real ETL and serve it on :8050
	$(VENV)/bin/observatory demo --host $(HOST) --port $(PORT)

test: setup  ## Lint, then every test against a real PostGIS and headless Chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

bench: setup  ## National-scale benchmarks (prints one line per figure)
	$(PY) -m bench.run_all

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

setup: system-deps $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: setup
	$(VENV)/bin/observatory serve --host $(HOST) --port $(PORT)

clean-cluster:
	-$(VENV)/bin/observatory db down
