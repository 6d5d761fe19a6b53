# Every target creates .venv and installs what it needs, so each works on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean generate

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

## test-fast: unit, client, CLI, LSP and fault-matrix tests (no editors)
test-fast: $(STAMP)
	$(PY) -m pytest tests/unit tests/client tests/cli tests/lsp tests/faults

## lint: ruff, mypy (strict on the package), the import-linter layer contracts, no function over
## complexity 15 (ruff's C901 and radon), and the generated protocol files (schema, Lua,
## package.json) being up to date
lint: $(STAMP)
	$(VENV)/bin/ruff check mistral_lsp tests bench tools
	$(PY) -m tools.complexity
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) -m tools.protocol_codegen --check

## generate: docs/protocol.schema.json from mistral_lsp/protocol.py and options.py, and from it the
## plugins' types, tables and settings block (needs node for the VS Code TypeScript)
generate: $(STAMP)
	$(PY) -m tools.protocol_codegen
	cd editors/vscode && (test -d node_modules || npm ci --silent --no-audit --no-fund) && npm run --silent generate

## bench: every benchmark, printing p50/p95 and same-run baselines
bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .cache test-artifacts
