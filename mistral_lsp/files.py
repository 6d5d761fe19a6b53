"""Files written whole or not at all: the review cache, the saved workspace index, and the files
an action writes itself for an editor that cannot apply the edit (`lsp/edits.py`).

A reader (another server, `mistral-lsp review` in a hook) must never see half a file, and a
crash must leave the old file, so data goes to a temporary file beside the target and is moved
over it with `os.replace`, which is atomic on one file system.

The temporary file is made private (0600) by `mkstemp`; before the move it gets the mode the
file would have had if written in place: an existing file keeps its own, a new one gets
0666 minus the process umask, as `open()` would give it (a test file the server creates must be
readable by the user's other tools, as if the editor had written it).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["current_umask", "write_atomically"]

_NEW_FILE_MODE = 0o666


def current_umask() -> int:
    """The process umask, read without changing it where the system allows (Linux has it in
    /proc): `os.umask` sets while it reads, which races with threads creating files."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii", errors="replace") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, data: bytes, *, temporary_prefix: str | None = None) -> None:
    """Replace `path` with `data`; the temporary file is `<prefix>….tmp` beside it (its owner
    may prune leftovers by that prefix). Raises OSError; the temporary file never stays."""
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = _NEW_FILE_MODE & ~current_umask()
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=temporary_prefix if temporary_prefix is not None else path.name, suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
