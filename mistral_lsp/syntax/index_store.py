"""The workspace index on disk, so a restarted server re-reads only the files that changed.

One gzipped JSON Lines file per workspace root, `<directory>/<folder name>-<hash of the
root>.jsonl.gz` (the LSP side passes `<cache>/index`, the cache directory the review cache
uses): a header, then one line per file::

    {"version": "<fingerprint>", "root": "/abs/root"}
    ["<path relative to the root>", size, mtime_ns, language,
     [[name, kind, start, end, head], ...], [import text, ...]]

One line per file, not one document: encoding or decoding a line is short, so the worker thread
that does it lets the event loop run between lines (one `json.dumps` of the whole index would
hold the interpreter lock for a third of a second).

- **Reuse:** a file whose size and modification time (ns) are those saved takes its saved entry
  without being read (`WorkspaceIndex.reuse`); any other file is parsed again, and a saved file
  that is gone is never listed, so it is dropped. Entries indexed from the editor's unsaved
  text, or from a file modified moments before it was read, have no stat and are not saved.
- **Versioned:** the fingerprint hashes the schema, the source of the `syntax` package and
  the grammar wheels' versions: an upgrade (or any change to how files are analysed) discards
  every saved entry.
- **Never fatal:** a file that cannot be read, does not parse or has another shape is ignored
  with one log line (the index is then built from scratch and the file rewritten).
- **Atomic, off the event loop:** written to a temporary file then `os.replace`d, from a
  worker thread (the LSP side saves at the end of a build, a while after changes, on shutdown).
- **Bounded:** files unused (neither loaded nor saved) for `MAX_AGE_DAYS` are deleted, then
  the least recently used ones while the directory holds more than `MAX_TOTAL_BYTES`.
  Nothing but names, line numbers and import lines of workspace files is stored: no settings,
  no key.

Pure: no pygls; serves no LSP method itself (`lsp/workspace_index.py` calls it).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import gzip
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path

from mistral_lsp.files import write_atomically
from mistral_lsp.syntax.languages import LANGUAGES
from mistral_lsp.syntax.workspace import FileEntry, Stat, Symbol, WorkspaceIndex

log = logging.getLogger(__name__)

SCHEMA = 1
SUFFIX = ".jsonl.gz"
MAX_AGE_DAYS = 30
MAX_TOTAL_BYTES = 256 * 1024 * 1024
STALE_TEMP_SECONDS = 3600
"""A temporary file this old was left by a process that died while writing."""

Saved = dict[str, tuple[Stat, FileEntry]]
"""Saved entries by absolute path (what `WorkspaceIndex.build_counted` takes)."""


@functools.cache
def fingerprint() -> str:
    """What saved entries depend on: a change of any of it discards them all."""
    from importlib import metadata


    digest = hashlib.sha256(f"schema {SCHEMA}\n".encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    for distribution in ("tree-sitter", *sorted({spec.module.replace("_", "-") for spec in LANGUAGES})):
        try:
            version = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{distribution} {version}\n".encode())
    return digest.hexdigest()[:32]


def store_path(directory: Path, root: Path) -> Path:
    """Where the entries of the workspace root `root` are kept."""
    key = root.as_posix()
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in root.name)[:40] or "workspace"
    return directory / f"{name}-{digest}{SUFFIX}"


def load(directory: Path, roots: Iterable[Path]) -> Saved:
    """The saved entries of `roots` (empty for a root never saved, or whose file is unusable)."""
    out: Saved = {}
    for root in roots:
        path = store_path(directory, root)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.info("workspace index: the saved index %s cannot be read (%s); indexing from scratch", path, exc)
            continue
        try:
            lines = gzip.decompress(raw).split(b"\n")
            header = json.loads(lines[0])
            if not isinstance(header, dict) or header.get("version") != fingerprint():
                log.info("workspace index: the saved index %s is from another version; indexing from scratch", path)
                continue
            if header.get("root") != root.as_posix():
                raise ValueError("it names another root")
            # Hundreds of thousands of small objects and no cycles: a collection triggered
            # halfway would walk them all again (it doubles the time).
            collecting = gc.isenabled()
            gc.disable()
            try:
                found = _entries(root, lines[1:])
            finally:
                if collecting:
                    gc.enable()
        except Exception as exc:  # any damage (truncated, edited, another shape): start afresh
            log.warning("workspace index: ignoring the damaged saved index %s (%s)", path, exc)
            continue
        out.update(found)
        with contextlib.suppress(OSError):
            os.utime(path)  # used: not pruned as stale
    return out


def _entries(root: Path, lines: list[bytes]) -> Saved:
    out: Saved = {}
    base = root.as_posix().rstrip("/") + "/"
    shared: dict[str, str] = {}  # one string object per kind and language, as a fresh build has
    for line in lines:
        if not line:
            continue
        relative, size, mtime, language, symbols, imports = json.loads(line)
        if not isinstance(relative, str):
            raise ValueError("bad path")
        if not (type(size) is int and type(mtime) is int and isinstance(language, str)):
            raise ValueError(f"{relative}: bad stat")
        by_name: dict[str, list[Symbol]] = {}
        for name, kind, start, end, head in symbols:
            if not (type(start) is int is type(end) is type(head) and type(name) is str is type(kind)):
                raise ValueError(f"{relative}: bad symbol")
            found = by_name.get(name)
            symbol = Symbol(name, shared.setdefault(kind, kind), start, end, head)
            if found is None:
                by_name[name] = [symbol]
            else:
                found.append(symbol)
        if not all(isinstance(text, str) for text in imports):
            raise ValueError(f"{relative}: bad import")
        path = base + relative
        language = shared.setdefault(language, language)
        entry = FileEntry(path, language, {name: tuple(found) for name, found in by_name.items()}, tuple(imports))
        out[path] = ((size, mtime), entry)
    return out


def save(directory: Path, index: WorkspaceIndex) -> int:
    """Write the entries of each of the index's roots (atomically); the bytes written."""
    by_root: dict[Path, list[bytes]] = {root: [] for root in index.roots}
    encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    # Few objects made and none in cycles: without collections triggered by them, each of which
    # would walk the whole index while holding the interpreter lock (hundreds of ms).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for path, (size, mtime), entry in index.stated_entries():
            root = index.root_of(path)
            if root is None:
                continue
            # Symbols are named tuples: encoded as [name, kind, start, end, head].
            symbols = [symbol for found in entry.symbols.values() for symbol in found]
            line = (path[len(root.as_posix().rstrip("/")) + 1 :], size, mtime, entry.language, symbols, entry.imports)
            by_root[root].append(encode(line).encode())
    finally:
        if collecting:
            gc.enable()
    written = 0
    directory.mkdir(parents=True, exist_ok=True)
    for root, lines in by_root.items():
        header = json.dumps({"version": fingerprint(), "root": root.as_posix()}).encode()
        payload = gzip.compress(b"\n".join([header, *lines]) + b"\n", compresslevel=1)
        target = store_path(directory, root)
        write_atomically(target, payload, temporary_prefix=".index-")
        written += len(payload)
    prune(directory, keep={store_path(directory, root) for root in by_root})
    return written


def prune(directory: Path, keep: Iterable[Path] = (), now: float | None = None) -> None:
    """Delete the saved indexes unused for `MAX_AGE_DAYS`, then the least recently used while
    the directory holds more than `MAX_TOTAL_BYTES` (never those in `keep`)."""
    now = time.time() if now is None else now
    kept = set(keep)
    found: list[tuple[float, int, Path]] = []
    try:
        names = list(directory.iterdir())
    except OSError:
        return
    for path in names:
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.name.startswith(".index-") and now - stat.st_mtime > STALE_TEMP_SECONDS:
            with contextlib.suppress(OSError):
                path.unlink()
        elif path.name.endswith(SUFFIX) and path not in kept:
            if now - stat.st_mtime > MAX_AGE_DAYS * 86400:
                with contextlib.suppress(OSError):
                    path.unlink()
            else:
                found.append((stat.st_mtime, stat.st_size, path))
        elif path in kept:
            found.append((now, stat.st_size, path))
    total = sum(size for _, size, _ in found)
    for _, size, path in sorted(found):
        if total <= MAX_TOTAL_BYTES:
            break
        if path not in kept:
            with contextlib.suppress(OSError):
                path.unlink()
            total -= size
