# Bridge — `make dev` runs the product locally, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=

.PHONY: dev test lint bench trust bundle deploy deps node node-test chromium clean fmt

## Setup -------------------------------------------------------------------
$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $@

# checkov pins packaging<24, which clashes with pytest 9: it gets its own venv, linked into ours.
$(VENV)/opt/checkov/.installed: requirements-checkov.txt $(BIN)/.installed
	@test -x $(VENV)/opt/checkov/bin/python || $(PYTHON) -m venv $(VENV)/opt/checkov
	$(VENV)/opt/checkov/bin/python -m pip install -q -r requirements-checkov.txt
	ln -sf ../opt/checkov/bin/checkov $(BIN)/checkov
	@touch $@

deps: $(BIN)/.installed $(VENV)/opt/checkov/.installed node

NPM_CI := npm ci --no-audit --no-fund --loglevel=error
node: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm; }
	$(NPM_CI) --omit=dev
	@touch $@

# Test-only npm packages (devDependencies: the google provider schema, the ZetaSQL analyzer, the
# Firebase Auth emulator) are installed by make test, never by make dev.
node-test: node_modules/.installed-test
node_modules/.installed-test: package.json package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm; }
	$(NPM_CI)
	@touch $@ node_modules/.installed

chromium:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

## The two commands ----------------------------------------------------------
dev: deps
	$(BIN)/bridge dev

test: deps node-test chromium
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

## Quality, figures, cloud ---------------------------------------------------
lint: deps
	$(BIN)/ruff check .
	$(BIN)/mypy shared
	$(BIN)/mypy --explicit-package-bases functions

bench: deps
	$(PY) -m bench

trust: deps chromium
	$(PY) -m tests.trust.report

bundle: deps
	$(PY) scripts/bundle.py

deploy: deps
	bash scripts/deploy.sh

fmt: deps
	$(BIN)/ruff format shared functions tests migrations bench scripts
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules .bridge dist artifacts
