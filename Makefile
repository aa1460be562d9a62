# Recast — the single entry point. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV_VERSION := 0.13.9
UV     := $(shell command -v uv 2>/dev/null || echo $(VENV)/bin/uv)
STAMP  := $(VENV)/.installed

.PHONY: install run test integration cluster-test lint fmt bench constraints clean

install: $(STAMP)

$(STAMP): pyproject.toml libs/jobcore/pyproject.toml services/gateway/pyproject.toml services/worker/pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x "$(UV)" || $(PY) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) pip install --quiet --python $(PY) -c constraints.txt --build-constraint constraints.txt \
		-e libs/jobcore -e services/gateway -e services/worker --group dev
	@touch $(STAMP)

run: install
	$(PY) scripts/run.py

test: install
	$(PY) -m pytest

integration: install
	$(PY) -m pytest tests/integration -m integration

cluster-test: install   # the suite's Redis parts on a local six-node Redis Cluster
	RECAST_TEST_CLUSTER=1 $(PY) -m pytest tests/jobcore/test_store.py tests/jobcore/test_cluster_slots.py tests/gateway tests/integration

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(UV) pip install --quiet --python $(PY) -c constraints.txt --group bench
	$(PY) -m bench $(BENCH_ARGS)

constraints: install
	{ echo "# Pinned versions for every package Recast installs (uv pip install -c constraints.txt)."; \
	  echo "# Regenerate: make constraints"; \
	  $(UV) pip freeze --python $(PY) | grep -v -E '^(-e|pip==|setuptools==)'; \
	  grep '^hatchling==' constraints.txt; } > constraints.tmp && mv constraints.tmp constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

.PHONY: browser-test
browser-test: install   # the page at / in headless Chromium (skips when none is installed)
	$(PY) -m pytest tests/browser -m browser -rs
