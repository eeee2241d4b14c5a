# Bridge — `make dev` runs the product locally, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=
# pytest-xdist processes (0: in this process); a test file stays on one worker (its module fixtures).
PYTEST_WORKERS ?= 2
# bridge eval: the handout case folders (nvBench 1.0 dev, and any set beside it), read at run time.
EVAL_CASES ?= $(or $(wildcard ../shared/eval),$(wildcard /work/shared/eval),../shared/eval)
EVAL_SAMPLE ?=
EVAL_SEED ?= 1
EVAL_ARGS ?=
EVAL_JOBS ?= 1
EVAL_REPORT ?= artifacts/eval-report.json
EVAL_CI_SAMPLE ?= 40

.PHONY: dev test lint bench trust bundle deploy deps node node-test chromium shellcheck clean fmt eval eval-ci googlesql-eval

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
	@# Once make test has installed the test-only packages, keep them: a production-only npm ci
	@# would delete what the next make test has to rebuild (re2 compiles for minutes).
	@if [ -e node_modules/.installed-test ]; then $(NPM_CI) && touch node_modules/.installed-test; \
	else $(NPM_CI) --omit=dev; fi
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

shellcheck:  # tests/infra/test_deploy_script.py lints scripts/deploy.sh with it
	@command -v shellcheck >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq shellcheck; }

## The two commands ----------------------------------------------------------
dev: deps
	$(BIN)/bridge dev

test: deps node-test chromium shellcheck
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory eval-ci

# A small fixed sample (stratified by chart type): prints the figures, fails only when the run crashes.
eval-ci: deps
	@if [ -d "$(EVAL_CASES)" ]; then \
	  $(BIN)/bridge eval --cases "$(EVAL_CASES)" --sample $(EVAL_CI_SAMPLE) --seed $(EVAL_SEED) --quiet \
	    --report artifacts/eval-ci-report.json; \
	else echo "eval: skipped, no case folder at $(EVAL_CASES) (set EVAL_CASES=DIR)"; fi

## Quality, figures, cloud ---------------------------------------------------
lint: deps
	$(BIN)/ruff check .
	$(BIN)/mypy shared
	$(BIN)/mypy --explicit-package-bases functions
	$(BIN)/mypy bench

bench: deps
	$(PY) -m bench

# Every case of every set (EVAL_SAMPLE=N for a stratified sample, EVAL_ARGS="--per-vis" ...).
# EVAL_JOBS=N runs N shard processes side by side (logs in artifacts/eval-shard-K.log) and merges them.
EVAL_PICK = --cases "$(EVAL_CASES)" $(if $(EVAL_SAMPLE),--sample $(EVAL_SAMPLE)) --seed $(EVAL_SEED) $(EVAL_ARGS)
eval: deps
	@if [ ! -d "$(EVAL_CASES)" ]; then echo "eval: skipped, no case folder at $(EVAL_CASES) (set EVAL_CASES=DIR)"; \
	elif [ "$(EVAL_JOBS)" -le 1 ]; then $(BIN)/bridge eval $(EVAL_PICK) --report $(EVAL_REPORT); \
	else mkdir -p artifacts; pids=(); \
	  for k in $$(seq 0 $$(( $(EVAL_JOBS) - 1 ))); do \
	    $(BIN)/bridge eval $(EVAL_PICK) --shard $$k/$(EVAL_JOBS) --quiet --work .bridge/eval-shard-$$k \
	      --report artifacts/eval-shard-$$k.json > artifacts/eval-shard-$$k.log 2>&1 & pids+=($$!); \
	  done; \
	  for p in "$${pids[@]}"; do wait $$p || { echo "eval: a shard failed (artifacts/eval-shard-*.log)"; exit 1; }; done; \
	  $(BIN)/bridge eval --cases "$(EVAL_CASES)" --merge $$(seq -f 'artifacts/eval-shard-%g.json' 0 $$(( $(EVAL_JOBS) - 1 ))) \
	    --report $(EVAL_REPORT); fi

# The planner's SQL for every eval case (one chat turn each) through ZetaSQL's GoogleSQL analyzer;
# prints how many queries pass and why the others fail (GOOGLESQL_ARGS="--sample 300" or "--per-vis").
googlesql-eval: deps node-test
	@if [ -d "$(EVAL_CASES)" ]; then \
	  $(PY) -m tests.planner.googlesql_eval --cases "$(EVAL_CASES)" --report artifacts/googlesql-eval.json \
	    $(GOOGLESQL_ARGS); \
	else echo "googlesql-eval: skipped, no case folder at $(EVAL_CASES) (set EVAL_CASES=DIR)"; fi

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
