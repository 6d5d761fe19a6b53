# Every target creates .venv and installs what it needs, so each works on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: review, fix and generate tests on a sample file through the real server
demo: $(STAMP)
	$(VENV)/bin/mistral-lsp demo

## test: lint (ruff, mypy, import-linter), then every test — unit, LSP end to end, protocol
## freshness, real Neovim, real VS Code (installs the editors)
test: lint
	$(PY) -m pytest

## test-fast: unit, LSP and fault-matrix tests only (no editors)
test-fast: $(STAMP)
	$(PY) -m pytest tests/unit tests/client tests/lsp tests/faults

## lint: ruff, mypy (strict on the package) and the import-linter layer contracts
lint: $(STAMP)
	$(VENV)/bin/ruff check mistral_lsp tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## bench: every benchmark, printing p50/p95 and same-run baselines
bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .cache test-artifacts
