"""`file:` URIs and paths, both ways (stdlib only)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote, urlsplit


def to_path(uri: str) -> Path | None:
    """The local path of a `file:` URI; None for any other scheme."""
    parts = urlsplit(uri)
    if parts.scheme != "file":
        return None
    return Path(unquote(parts.path))


def from_path(path: str | Path) -> str:
    return "file://" + quote(str(Path(path)))


def short_uri(uri: str, limit: int = 80) -> str:
    """`uri` for a message: its end (the file name) when it is long; never kilobytes of input."""
    return uri if len(uri) <= limit else "…" + uri[-(limit - 1):]
