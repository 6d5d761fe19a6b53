"""What review on save already reviewed: content hashes of definitions and their findings.

One small JSON file per workspace under the user's cache directory (`MISTRAL_LSP_CACHE_DIR`
when set, else platformdirs' `user_cache_dir("mistral-lsp")`), in `reviews/`. It survives a
server restart, so reopening a project costs nothing for code already reviewed.

Shape (versioned; any other version, or a file that does not parse, is discarded with a log
line and the cache starts empty — a broken cache never becomes an error)::

    {"version": 1,
     "files": {"<path relative to the workspace>": {
         "used": <unix time>,
         "units": {"<content hash>": {"seen": <unix time>, "findings": [StoredFinding, ...]}}}}}

Findings are stored relative to their definition (`review_units.StoredFinding`: `line`/`end`
index the definition's own lines, plus the snippet), so they are re-placed wherever the
definition is now, and checked against the snippet before being shown again.

Shared: the server and `mistral-lsp review` (pre-commit, CI) use the same file. When another
process wrote it since it was read (its modification time changed), the next `load_async` and
every save first merge in the entries it added — ours win on the same hash — so a review done
on the command line answers the editor, and the server's next save does not drop it.

Bounded: at most `MAX_FILES` files (least recently used go first), `MAX_UNITS_PER_FILE`
hashes per file (hashes not seen in the latest save go first), and `MAX_BYTES` on disk.
Writes are atomic (temporary file + rename) and happen off the event loop.

Serves no LSP method itself: `features/review_on_save.py` (`textDocument/didSave`, and the
restore on `didOpen`) asks it which unit hashes were reviewed. What a unit is, how it is hashed
and how a stored finding is placed again are in `review_units.py`: this module only keeps them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from mistral_lsp.files import write_atomically
from mistral_lsp.review.units import StoredFinding

log = logging.getLogger(__name__)

CACHE_VERSION = 1
CACHE_DIR_ENV = "MISTRAL_LSP_CACHE_DIR"
MAX_FILES = 400
MAX_UNITS_PER_FILE = 2000
# Hashes of older versions of a file's definitions kept beyond the current ones (an undo
# followed by a save then costs nothing).
STALE_UNITS_PER_FILE = 64
MAX_BYTES = 4_000_000
TOUCH_WRITE_INTERVAL_S = 3600.0


def cache_root() -> Path:
    """The user's cache directory for mistral-lsp (`MISTRAL_LSP_CACHE_DIR` wins)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("mistral-lsp"))


def cache_path_for_workspace(root: str | None) -> Path:
    """`<cache>/reviews/<workspace name>-<hash of its root>.json`; one file per workspace."""
    key = root or "(no workspace)"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(key).name)[:40] or "workspace"
    return cache_root() / "reviews" / f"{name}-{digest}.json"


@dataclasses.dataclass
class _Unit:
    seen: float
    findings: tuple[StoredFinding, ...]


@dataclasses.dataclass
class _File:
    used: float
    units: dict[str, _Unit]


class CorruptCache(ValueError):
    """The cache file does not hold what this version writes."""


def _parse(raw: Any) -> dict[str, _File]:
    if not isinstance(raw, Mapping):
        raise CorruptCache("not a JSON object")
    if raw.get("version") != CACHE_VERSION:
        raise CorruptCache(f"version {raw.get('version')!r}, this server writes {CACHE_VERSION}")
    files_raw = raw.get("files")
    if not isinstance(files_raw, Mapping):
        raise CorruptCache("no 'files' object")
    files: dict[str, _File] = {}
    try:
        for key, entry in files_raw.items():
            if not isinstance(entry, Mapping) or not isinstance(entry.get("units"), Mapping):
                raise CorruptCache(f"entry {key!r} has no 'units'")
            units = {}
            for digest, unit in entry["units"].items():
                if not isinstance(unit, Mapping) or not isinstance(unit.get("findings"), list):
                    raise CorruptCache(f"unit {digest!r} of {key!r} has no 'findings'")
                units[str(digest)] = _Unit(
                    seen=float(unit.get("seen", 0)),
                    findings=tuple(StoredFinding.from_json(f) for f in unit["findings"]),
                )
            files[str(key)] = _File(used=float(entry.get("used", 0)), units=units)
    except (TypeError, ValueError) as exc:
        raise CorruptCache(str(exc)) from None
    return files


def _serialize(files: Mapping[str, _File]) -> str:
    return json.dumps(
        {
            "version": CACHE_VERSION,
            "files": {
                key: {
                    "used": round(entry.used, 3),
                    "units": {
                        digest: {
                            "seen": round(unit.seen, 3),
                            "findings": [f.to_json() for f in unit.findings],
                        }
                        for digest, unit in entry.units.items()
                    },
                }
                for key, entry in files.items()
            },
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


class ReviewCache:
    """Reviewed hashes and their findings, per file of one workspace; see the module docstring."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._files: dict[str, _File] = {}
        self._loaded = False
        self._dirty = False
        self._write_lock = asyncio.Lock()
        # The file's identity as last read or written by us: each write is a new file (rename),
        # so its inode tells a rewrite apart even within the file system's mtime granularity.
        self._disk_mtime: tuple[int, int, int] | None = None

    # -- loading ------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the file once; a missing file is an empty cache, a corrupt one is discarded."""
        if self._loaded:
            return
        self._loaded = True
        self._disk_mtime = self._mtime()
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            log.warning("review cache %s unreadable, starting empty: %s", self.path, exc)
            return
        try:
            self._files = _parse(json.loads(text))
        except (ValueError, CorruptCache) as exc:
            log.warning("review cache %s discarded (%s); starting empty", self.path, exc)
            self._files = {}
            self._dirty = True  # the next save replaces the broken file

    async def load_async(self) -> None:
        """Read the file once; later calls merge in what another process wrote since."""
        if not self._loaded:
            files, mtime = await asyncio.to_thread(self._read_detached)
            if not self._loaded:
                self._files, self._loaded, self._disk_mtime = files, True, mtime
        elif self._mtime() != self._disk_mtime:
            self._merge(*await asyncio.to_thread(self._read_detached))

    def _read_detached(self) -> tuple[dict[str, _File], tuple[int, int, int] | None]:
        probe = ReviewCache(self.path)
        probe.load()
        if probe._dirty:
            self._dirty = True
        return probe._files, probe._disk_mtime

    def _mtime(self) -> tuple[int, int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _merge(self, files: Mapping[str, _File], mtime: tuple[int, int, int] | None) -> None:
        """Add what another process stored (`mistral-lsp review`, another server); ours wins."""
        for key, entry in files.items():
            mine = self._files.get(key)
            if mine is None:
                self._files[key] = entry
                continue
            for digest, unit in entry.units.items():
                mine.units.setdefault(digest, unit)
            mine.used = max(mine.used, entry.used)
        self._disk_mtime = mtime

    # -- queries and updates --------------------------------------------------------------------

    def lookup(self, file_key: str, digest: str) -> tuple[StoredFinding, ...] | None:
        """The findings of a reviewed definition, or None when this text was never reviewed."""
        entry = self._files.get(file_key)
        unit = entry.units.get(digest) if entry else None
        return None if unit is None else unit.findings

    def known(self, file_key: str) -> set[str]:
        entry = self._files.get(file_key)
        return set(entry.units) if entry else set()

    def record(self, file_key: str, results: Mapping[str, Iterable[StoredFinding]]) -> None:
        """Store the findings of freshly reviewed definitions (an empty list: reviewed, clean)."""
        now = self._clock()
        entry = self._files.setdefault(file_key, _File(used=now, units={}))
        entry.used = now
        for digest, findings in results.items():
            entry.units[digest] = _Unit(seen=now, findings=tuple(findings))
        self._dirty = True

    def touch(self, file_key: str, current: Iterable[str]) -> None:
        """Mark the hashes present in the file now; drop the oldest of the others past the bound."""
        entry = self._files.get(file_key)
        if entry is None:
            return
        now = self._clock()
        current = set(current)
        # Timestamps only order evictions: not worth a write on every save unless they are old.
        if now - entry.used > TOUCH_WRITE_INTERVAL_S:
            self._dirty = True
        entry.used = now
        for digest in current & entry.units.keys():
            entry.units[digest].seen = now
        stale = sorted(
            (d for d in entry.units if d not in current), key=lambda d: entry.units[d].seen, reverse=True
        )
        limit = min(STALE_UNITS_PER_FILE, max(0, MAX_UNITS_PER_FILE - len(current)))
        for digest in stale[limit:]:
            del entry.units[digest]
            self._dirty = True

    def __len__(self) -> int:
        return sum(len(entry.units) for entry in self._files.values())

    # -- writing ----------------------------------------------------------------------------------

    def _bounded(self) -> str:
        """Evict least recently used files until the cache fits its bounds; return the JSON."""
        if len(self._files) > MAX_FILES:
            for key in sorted(self._files, key=lambda k: self._files[k].used)[: len(self._files) - MAX_FILES]:
                del self._files[key]
        for entry in self._files.values():
            if len(entry.units) > MAX_UNITS_PER_FILE:
                oldest = sorted(entry.units, key=lambda d: entry.units[d].seen)
                for digest in oldest[: len(entry.units) - MAX_UNITS_PER_FILE]:
                    del entry.units[digest]
        text = _serialize(self._files)
        while len(text.encode("utf-8")) > MAX_BYTES and len(self._files) > 1:
            # Drop the least recently used half of what is over, then measure again.
            order = sorted(self._files, key=lambda k: self._files[k].used)
            over = len(text.encode("utf-8")) / MAX_BYTES
            count = max(1, int(len(order) * (1 - 1 / over)))
            for key in order[:count]:
                del self._files[key]
            text = _serialize(self._files)
        if len(text.encode("utf-8")) > MAX_BYTES:
            self._files.clear()
            text = _serialize(self._files)
        return text

    def save(self) -> None:
        """Write the cache if it changed (atomically); failures are logged, never raised."""
        if not self._dirty:
            return
        self._dirty = False
        if self._loaded and self._mtime() != self._disk_mtime:
            self._merge(*self._read_detached())
        _write(self.path, self._bounded())
        self._disk_mtime = self._mtime()

    async def save_async(self) -> None:
        """`save` with the file I/O in a worker thread; the snapshot is taken on the loop."""
        if not self._dirty:
            return
        self._dirty = False
        if self._loaded and self._mtime() != self._disk_mtime:
            self._merge(*await asyncio.to_thread(self._read_detached))
        text = self._bounded()
        async with self._write_lock:
            await asyncio.to_thread(_write, self.path, text)
            self._disk_mtime = self._mtime()


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        log.warning("review cache %s not written: %s", path, exc)
