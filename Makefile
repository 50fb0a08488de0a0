# One command each on a fresh machine with Python 3.11+ and make: every target sets .venv up
# from uv.lock when it is missing or out of date. uv comes from PATH, or is installed with pip
# into .venv-bootstrap the first time. UV_SPEC's range is the one pyproject.toml gives its build
# backend (uv_build): a uv in it builds lpmsync itself, without downloading a backend.
PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
BOOTSTRAP   := .venv-bootstrap
UV          ?= $(shell command -v uv 2>/dev/null || echo $(BOOTSTRAP)/bin/uv)
UV_SPEC     ?= uv>=0.9,<0.14
BOOTSTRAP_PIP := --quiet --disable-pip-version-check --no-deps --only-binary=:all: --no-compile
RUNTIME     := $(VENV)/.installed-runtime
DEV         := $(VENV)/.installed-dev
PYTEST_ARGS ?=
DEMO_ARGS   ?=

# uv's own environment variables (UV_INDEX_URL, UV_CACHE_DIR, UV_OFFLINE, ...) pass through.
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON := $(PYTHON)

PYTHON_CHECK = @$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
  { echo "lpmsync needs Python 3.11 or newer (found $$($(PYTHON) --version 2>&1))"; exit 1; }

.PHONY: demo test lint typecheck contracts unit bench lock build clean docs-images

# uv without uv: pip puts its single binary in .venv-bootstrap/bin (no venv needed); where the
# system Python has no pip, a venv brings one.
$(BOOTSTRAP)/bin/uv:
	$(PYTHON_CHECK)
	@echo "uv is not on PATH: installing it into $(BOOTSTRAP) with pip"
	@$(PYTHON) -m pip install $(BOOTSTRAP_PIP) --target $(BOOTSTRAP) '$(UV_SPEC)' 2>/dev/null || \
	  { rm -rf $(BOOTSTRAP) && $(PYTHON) -m venv $(BOOTSTRAP) && \
	    $(BOOTSTRAP)/bin/python -m pip install $(BOOTSTRAP_PIP) '$(UV_SPEC)'; }

# --locked installs uv.lock exactly as it is, and refuses a lock that no longer matches
# pyproject.toml (a dependency added without `make lock`) instead of silently missing it.
STALE_LOCK = { echo "(if uv says the lockfile needs to be updated: run make lock, commit uv.lock)"; exit 1; }

# The runtime alone (what `make demo` needs: the sandbox is part of the package). --inexact
# keeps the dev tools a `make test` installed. No bytecode compiled up front: the demo's first
# run compiles only what it imports, far less than everything installed.
$(RUNTIME): pyproject.toml uv.lock | $(UV)
	$(PYTHON_CHECK)
	$(UV) sync --locked --inexact || $(STALE_LOCK)
	@touch $@

# Runtime and dev tools (the `dev` extra), exactly the lock. Bytecode is compiled up front, as
# pip does: the suite starts many `lpmsync` processes at once, none of which should pay for it.
$(DEV): pyproject.toml uv.lock | $(UV)
	$(PYTHON_CHECK)
	$(UV) sync --locked --extra dev --compile-bytecode || $(STALE_LOCK)
	@touch $@ $(RUNTIME)

demo: $(RUNTIME)
	$(BIN)/lpmsync demo --out demo-out $$([ -t 1 ] || echo --no-serve) $(DEMO_ARGS)

lint: $(DEV)
	$(BIN)/ruff check lpmsync tests benchmarks docs
	$(BIN)/ruff format --check lpmsync tests benchmarks docs

typecheck: $(DEV)
	$(BIN)/mypy lpmsync benchmarks

contracts: $(DEV)
	$(BIN)/lint-imports --no-logo

unit: $(DEV)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: lint typecheck contracts unit

docs-images: $(DEV)
	$(BIN)/python docs/render_images.py

bench: $(DEV)
	$(BIN)/python -m benchmarks

# Re-resolve uv.lock from pyproject.toml's ranges (after adding or changing a dependency);
# without a network it resolves from uv's cache.
lock: | $(UV)
	$(UV) lock || $(UV) lock --offline

# The sdist and wheel into dist/, as published.
build: | $(UV)
	$(UV) build

clean:
	rm -rf $(VENV) $(BOOTSTRAP) demo-out dist .pytest_cache .mypy_cache .ruff_cache
