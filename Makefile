# Two commands do everything (see README):  make demo  ·  make test
#
# `make test` runs from requirements/lock.txt: every package at an exact version, so its
# verdict does not change because somebody released something. `make lock` refreshes the
# lock; `make test-newest` and `make test-lowest` are the other two passes of .ci/run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements/lock.txt
# The installer is pinned by the lock too.
UV_VERSION := $(shell sed -n 's/^uv==\([^ ;]*\).*/\1/p' $(LOCK))
# Extras the lock covers; the lock is universal, resolved for the lowest supported Python.
EXTRAS := dev,server,otel
LOCK_FLAGS := --extra dev --extra server --extra otel --universal --python-version 3.10
# Runtime dependencies (and the peers users hold) whose versions each pass prints.
SHOWN := httpx|httpx-sse|msgspec|anyio|aiohttp|httpx-aiohttp|jiter|opentelemetry-api|uvicorn|httpx2|openai|llmock|opentelemetry-sdk|httpcore|h11|sniffio|anthropic|ray|rich
# Test tools stay at their locked versions in the newest pass: a new linter is not a new runtime.
TOOLS := pytest|pytest-asyncio|pytest-xdist|execnet|hypothesis|mypy|ruff|uv|import-linter|grimp
# One pytest worker per core (pytest-xdist); PYTEST_WORKERS=0 runs in one process. A module's
# tests run in one worker (--dist loadfile), so the Ray tests start one local Ray, not one per
# worker (xdist_group marks do not group on pytest 9.2 with xdist 3.8: the @group suffix xdist
# writes into the node id is no longer read).
PYTEST_WORKERS ?= auto
PYTEST := pytest -n $(PYTEST_WORKERS) --dist loadfile
# The lowest pass runs on the lowest supported Python when the machine has it.
# (a pyenv shim may exist and still refuse to run, so each candidate is tried).
LOWEST_PYTHON ?= $(firstword $(shell for p in python3.10 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10*/bin/python3.10; \
	do $$p -c '' 2>/dev/null && echo $$p; done) $(PYTHON))

.PHONY: demo test lint typecheck unit bench lock test-newest test-lowest clean

# A fresh environment whenever the lock or the project's metadata changes, so nothing that
# the lock does not name lingers in it.
$(STAMP): pyproject.toml $(LOCK)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

## Install, start the embedded local server and stream a reply to the terminal.
demo: $(STAMP)
	$(BIN)/r9s-stream demo

## Install and run the whole test suite: lint (ruff, the import-linter contracts), types, tests.
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	@$(BIN)/uv pip list --python $(BIN)/python 2>/dev/null | grep -iE '^($(SHOWN)) ' | sed 's/^/locked: /' || true
	$(BIN)/$(PYTEST) $(PYTEST_ARGS)

## Refresh the lock to the newest releases within pyproject.toml's ranges (then run make test).
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) --upgrade --quiet -o $(LOCK)

## The suite against the newest releases of everything but the test tools.
test-newest: $(STAMP)
	rm -rf .venv-newest
	$(PYTHON) -m venv .venv-newest
	grep -E '^($(TOOLS))==' $(LOCK) > .venv-newest/tools.txt
	$(BIN)/uv pip install --quiet --python .venv-newest/bin/python --upgrade --refresh \
		-c .venv-newest/tools.txt -e '.[$(EXTRAS)]'
	@$(BIN)/uv pip list --python .venv-newest/bin/python | grep -iE '^($(SHOWN)) ' | sed 's/^/newest: /'
	.venv-newest/bin/$(PYTEST) -p no:cacheprovider $(PYTEST_ARGS)

## The suite at the lowest versions pyproject.toml allows (runtime and extras), on the lowest
## supported Python, without the test-only peers (their tests skip).
test-lowest: $(STAMP)
	rm -rf .venv-lowest
	$(LOWEST_PYTHON) -m venv .venv-lowest
	grep -E '^(pytest|pytest-asyncio|pytest-xdist|execnet|hypothesis|trio)==' $(LOCK) > .venv-lowest/tools.txt
	$(BIN)/uv pip compile pyproject.toml --extra server --extra otel --resolution lowest-direct \
		--python .venv-lowest/bin/python --quiet -o .venv-lowest/lowest.txt
	$(BIN)/uv pip install --quiet --python .venv-lowest/bin/python -r .venv-lowest/lowest.txt \
		-r .venv-lowest/tools.txt
	$(BIN)/uv pip install --quiet --python .venv-lowest/bin/python --no-deps -e .
	@.venv-lowest/bin/python --version | sed 's/^/lowest: /'
	@$(BIN)/uv pip list --python .venv-lowest/bin/python | grep -iE '^($(SHOWN)) ' | sed 's/^/lowest: /'
	.venv-lowest/bin/$(PYTEST) -p no:cacheprovider $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/stream.py

clean:
	rm -rf $(VENV) .venv-newest .venv-lowest .mypy_cache .ruff_cache .pytest_cache .hypothesis
