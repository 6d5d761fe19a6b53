"""Settings for `mistral-lsp review`: the server's `mistral` settings, read from files and the environment.

Serves no LSP method: the command line has no editor to send `workspace/configuration`, so
the same settings (same keys, same validation: `options.parse_settings`) come from, the
first one winning:

1. the command line: `--jobs N` is `maxConcurrentRequests`;
2. the environment: `MISTRAL_API_KEY`, `MISTRAL_BASE_URL` (CI sets these as secrets);
3. `mistral-lsp.toml` at the repository root (the keys at its top level, or under `[mistral]`);
4. else `[tool.mistral-lsp]` in the root's `pyproject.toml`;
5. the defaults.

Only one file is read: `mistral-lsp.toml` when it exists, else `pyproject.toml` (as ruff does).
A file may not hold `apiKey`: it is committed with the code, and the key must never be.
Pure apart from reading the file; no pygls.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mistral_lsp.options import Settings, SettingsError, parse_settings

CONFIG_FILE = "mistral-lsp.toml"
PYPROJECT_TABLE = "mistral-lsp"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the setting."""


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as file:
            data: dict[str, Any] = tomllib.load(file)
            return data
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def file_settings(root: Path) -> tuple[dict[str, Any], Path | None]:
    """The raw `mistral` settings of the repository at `root`, and the file they came from."""
    own = root / CONFIG_FILE
    if own.is_file():
        data = _load_toml(own)
        section = data.get("mistral", data)
        return _table(section, own), own
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        tool = _load_toml(pyproject).get("tool", {})
        if isinstance(tool, Mapping) and PYPROJECT_TABLE in tool:
            return _table(tool[PYPROJECT_TABLE], pyproject), pyproject
    return {}, None


def _table(section: Any, path: Path) -> dict[str, Any]:
    if not isinstance(section, Mapping):
        raise ConfigError(f"{path}: the mistral-lsp settings are not a table")
    if "apiKey" in section:
        raise ConfigError(
            f"{path}: apiKey must not be in a file committed with the code; "
            "set the MISTRAL_API_KEY environment variable instead"
        )
    return dict(section)


def load_settings(
    root: Path, *, jobs: int | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Settings, Path | None]:
    """The review's settings (see the module docstring for which wins) and the file read."""
    env = os.environ if environ is None else environ
    raw, source = file_settings(root)
    try:
        settings = parse_settings(raw)
    except SettingsError as exc:
        where = source or root
        raise ConfigError(f"{where}: " + "; ".join(exc.problems)) from None
    changes: dict[str, Any] = {}
    if env.get("MISTRAL_API_KEY"):
        changes["api_key"] = env["MISTRAL_API_KEY"]
    if env.get("MISTRAL_BASE_URL"):
        url = env["MISTRAL_BASE_URL"]
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"MISTRAL_BASE_URL must start with http:// or https:// (got {url!r})")
        changes["base_url"] = url
    if jobs is not None:
        if jobs < 1:
            raise ConfigError("--jobs must be at least 1")
        changes["max_concurrent_requests"] = jobs
    return dataclasses.replace(settings, **changes), source
