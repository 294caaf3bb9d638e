# tether's commands. `make demo` and `make test` work from a fresh clone: each builds the
# virtualenv (.venv) first, and rebuilds it only when pyproject.toml changes.

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.tether-installed
ARGS ?=
PYTEST_ARGS ?=

.PHONY: all venv test demo bench bench-quick bench-selfcheck lint clean

all: test

venv: $(STAMP)

$(STAMP): pyproject.toml
	@set -euo pipefail; \
	if [ ! -x "$(PY)" ] || ! "$(PY)" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
		base="$$(scripts/find_python.sh)"; \
		echo "make: creating $(VENV) with $$base"; \
		rm -rf "$(VENV)"; \
		"$$base" -m venv "$(VENV)"; \
	fi; \
	echo "make: installing tether and its dev/bench extras into $(VENV)"; \
	"$(PY)" -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'; \
	touch "$(STAMP)"

# Every test runs against SQLite and a throwaway PostgreSQL 15 that the script starts
# and removes again.
test: venv
	scripts/test_tools.sh
	scripts/with_postgres.sh $(PY) -m pytest $(PYTEST_ARGS)

demo: venv
	$(PY) -m tether.demo

bench: venv
	scripts/with_postgres.sh $(PY) -m benchmarks.run $(ARGS)

bench-quick: venv
	scripts/with_postgres.sh $(PY) -m benchmarks.run --quick $(ARGS)

# Exits 1 if any benchmark run fails or gives wrong results.
bench-selfcheck: venv
	scripts/with_postgres.sh $(PY) -m benchmarks.run --selfcheck $(ARGS)

lint: venv
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist src/*.egg-info
