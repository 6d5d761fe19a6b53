"""A wheelhouse with every wheel the server needs (and hatchling, to build it from the checkout),
so the install tests run pip with `--no-index` against it: no network after the first build, and
the same result whatever the package index serves that day.

Built once per `pyproject.toml` (its hash names the folder) under `.cache/test-wheelhouse`, by the
test interpreter's pip, which uses its own cache and the machine's index settings.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def wheelhouse() -> Path:
    """The folder of wheels (built when missing); `pip install --no-index --find-links` it."""
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:16]
    target = REPO / ".cache" / "test-wheelhouse" / digest
    if (target / ".complete").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix="building-", dir=target.parent))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(building), str(REPO), "hatchling", "pip"],
        check=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    # The checkout's own wheel is built by each test from the tree it tests.
    for own in building.glob("mistral_lsp-*.whl"):
        own.unlink()
    (building / ".complete").write_text("")
    try:
        building.rename(target)
    except OSError:  # built meanwhile by another run
        shutil.rmtree(building, ignore_errors=True)
    return target


def offline_pip_env(house: Path) -> dict[str, str]:
    """Environment variables that make pip install from `house` only."""
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(house), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
