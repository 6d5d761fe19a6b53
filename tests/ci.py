"""Whether the tests run in CI, in one place: every test that decides so asks `is_ci()`.

In CI (`CI` set to 1, true or yes, in any case) a missing prerequisite is a failure, never a
skip (`missing`); on a developer's machine it skips, naming what to install.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

CI_VALUES = ("1", "true", "yes")


def is_ci() -> bool:
    """True when the `CI` environment variable says so (1, true or yes)."""
    return os.environ.get("CI", "").strip().lower() in CI_VALUES


def missing(reason: str) -> NoReturn:
    """A prerequisite is missing: fail in CI, skip elsewhere; `reason` says what to install."""
    if is_ci():
        pytest.fail(f"test prerequisite missing (CI): {reason}")
    pytest.skip(reason)
