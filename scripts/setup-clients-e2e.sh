#!/usr/bin/env bash
# Installs what the real-client tests (tests/editors/test_clients.py) need, idempotently, from
# Debian 12: Emacs 28 with eglot 1.9 and lsp-mode 8.0, Vim 9.0 with ALE 3.3, and pipx, with which
# docs/clients.md puts mistral-lsp on $PATH (`pipx install .` in the checkout).
#   emacs-nox elpa-eglot elpa-lsp-mode vim-nox vim-ale pipx
# Already-installed packages are skipped, so a second run takes well under a second.
# Prints `KEY=value` lines at the end (EMACS, VIM, EGLOT_DIR, LSP_MODE_DIR, ALE_DIR, ALE_PACK, PIPX) for
# the caller. The clients are then found as docs/clients.md says: Emacs through Debian's
# site-start, ALE through `packadd! ale`.
set -euo pipefail

log() { printf '[setup-clients-e2e] %s\n' "$*" >&2; }

PACKAGES=(emacs-nox elpa-eglot elpa-lsp-mode vim-nox vim-ale pipx)
missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || { log "apt-get not found: install ${missing[*]} by hand"; exit 1; }
  log "apt-get install ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

EMACS="$(command -v emacs-nox || command -v emacs || true)"
VIM="$(command -v vim.nox || command -v vim || true)"
[ -x "$EMACS" ] || { log "emacs not found after install"; exit 1; }
[ -x "$VIM" ] || { log "vim not found after install"; exit 1; }
PIPX="$(command -v pipx || true)"
[ -x "$PIPX" ] || { log "pipx not found after install"; exit 1; }
# Debian's elpa packages live in /usr/share/emacs/site-lisp/elpa/<name>-<version>.
elpa_dir() { ls -d /usr/share/emacs/site-lisp/elpa/"$1"-[0-9]* 2>/dev/null | sort -V | tail -n1; }
EGLOT_DIR="$(elpa_dir eglot)"
LSP_MODE_DIR="$(elpa_dir lsp-mode)"
ALE_DIR="/usr/share/vim-ale"
[ -d "$EGLOT_DIR" ] || { log "eglot not found under /usr/share/emacs/site-lisp/elpa"; exit 1; }
[ -d "$LSP_MODE_DIR" ] || { log "lsp-mode not found under /usr/share/emacs/site-lisp/elpa"; exit 1; }
[ -f "$ALE_DIR/plugin/ale.vim" ] || ALE_DIR="$(dirname "$(dirname "$(dpkg -L vim-ale | grep '/plugin/ale.vim$' | head -n1)")")"
[ -f "$ALE_DIR/plugin/ale.vim" ] || { log "ALE's plugin/ale.vim not found"; exit 1; }
# docs/clients.md loads ALE with `packadd! ale`: Debian ships it as an optional package.
ALE_PACK="$(ls -d /usr/share/vim/vimfiles/pack/*/opt/ale 2>/dev/null | head -n1)"
[ -f "$ALE_PACK/plugin/ale.vim" ] || { log "ALE is not an optional package under /usr/share/vim/vimfiles/pack (packadd! ale)"; exit 1; }
command -v git >/dev/null || { log "git not found (the tested project is a git repository)"; exit 1; }

echo "EMACS=$EMACS"
echo "VIM=$VIM"
echo "EGLOT_DIR=$EGLOT_DIR"
echo "LSP_MODE_DIR=$LSP_MODE_DIR"
echo "ALE_DIR=$ALE_DIR"
echo "ALE_PACK=$ALE_PACK"
echo "PIPX=$PIPX"
