# Two commands do everything on a fresh machine:
#   make demo   set up and run Warden's demo
#   make test   set up and run the checks and tests (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-run

demo: $(VENV)/.installed-run
	$(BIN)/warden demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check --no-cache src tests benchmarks tools
	$(BIN)/mypy

# Database tests run again on PostgreSQL when it is reachable (always in CI).
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

test: lint
	@# The console's browser tests drive Debian's Chromium (they fail under CI without it).
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Chromium for the browser tests"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	elif [ ! -x /usr/bin/chromium ]; then echo "Chromium is missing: the browser tests skip (apt-get install chromium)"; fi
	$(BIN)/pytest
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "PostgreSQL pass ($(PG_TEST_URL)):"; \
		WARDEN_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -m db; \
	elif [ -n "$$CI" ]; then echo "PostgreSQL at $(PG_TEST_URL) is not reachable" >&2; exit 1; \
	else echo "PostgreSQL not reachable at $(PG_TEST_URL): skipped the PostgreSQL pass"; fi

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed-run

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/engine_speed.py
	$(BIN)/python benchmarks/pii_accuracy.py
	$(BIN)/python benchmarks/lexicon_obfuscation.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
