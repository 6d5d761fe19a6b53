"""Files written whole or not at all: the review cache and the saved workspace index.

A reader (another server, `mistral-lsp review` in a hook) must never see half a file, and a
crash must leave the old file, so data goes to a temporary file beside the target and is moved
over it with `os.replace`, which is atomic on one file system.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, data: bytes, *, temporary_prefix: str | None = None) -> None:
    """Replace `path` with `data`; the temporary file is `<prefix>….tmp` beside it (its owner
    may prune leftovers by that prefix). Raises OSError; the temporary file never stays."""
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=temporary_prefix if temporary_prefix is not None else path.name, suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
