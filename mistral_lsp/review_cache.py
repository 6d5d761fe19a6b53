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

Findings are stored relative to their definition — `line`/`end` index the definition's own
lines, plus the snippet — so they are re-placed wherever the definition is now, and checked
against the snippet before being shown again.

Bounded: at most `MAX_FILES` files (least recently used go first), `MAX_UNITS_PER_FILE`
hashes per file (hashes not seen in the latest save go first), and `MAX_BYTES` on disk.
Writes are atomic (temporary file + rename) and happen off the event loop.

What is hashed — *units* (`compute_units`): each function or method, each class's own lines
(its methods are units of their own), and the module-level lines outside every definition;
definitions nested in a function are part of that function. A unit's hash covers its
non-blank lines (trailing spaces ignored), its kind, the name of its enclosing class and
`REVIEW_PROMPT_VERSION`, so moving code or adding blank lines needs no new review.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from mistral_lsp.findings import Finding

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
# Part of every hash: bump it when the review prompt changes enough to warrant re-reviews.
REVIEW_PROMPT_VERSION = "1"
# Kinds whose nested definitions are part of their own text (closures, local helpers).
_FUNCTION_KINDS = frozenset({
    "function", "method", "constructor", "lambda", "arrow_function", "func", "fn", "procedure",
    "subroutine", "getter", "setter", "property", "local_function",
})
MODULE_UNIT_NAME = "(module level)"


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


@dataclasses.dataclass(frozen=True)
class StoredFinding:
    """A finding relative to its definition: `line`..`end` index the definition's own lines."""

    line: int
    end: int
    severity: str
    category: str
    title: str
    message: str
    snippet: str
    replacement: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if self.replacement is None:
            del data["replacement"]
        return data

    @classmethod
    def from_json(cls, data: Any) -> StoredFinding:
        if not isinstance(data, Mapping):
            raise ValueError("a finding is not an object")
        line, end = data.get("line"), data.get("end")
        if not isinstance(line, int) or not isinstance(end, int) or line < 0 or end < line:
            raise ValueError("a finding has no valid line range")
        def text(key: str) -> str:
            value = data.get(key)
            if not isinstance(value, str):
                raise ValueError(f"a finding's {key} is not text")
            return value

        replacement = data.get("replacement")
        if replacement is not None and not isinstance(replacement, str):
            raise ValueError("a finding's replacement is not text")
        return cls(
            line=line, end=end, severity=text("severity"), category=text("category"),
            title=text("title"), message=text("message"), snippet=text("snippet"),
            replacement=replacement,
        )


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

    # -- loading ------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the file once; a missing file is an empty cache, a corrupt one is discarded."""
        if self._loaded:
            return
        self._loaded = True
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
        if not self._loaded:
            files = await asyncio.to_thread(self._read_detached)
            if not self._loaded:
                self._files, self._loaded = files, True

    def _read_detached(self) -> dict[str, _File]:
        probe = ReviewCache(self.path)
        probe.load()
        if probe._dirty:
            self._dirty = True
        return probe._files

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

    def forget(self, file_key: str) -> None:
        if self._files.pop(file_key, None) is not None:
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
        _write(self.path, self._bounded())

    async def save_async(self) -> None:
        """`save` with the file I/O in a worker thread; the snapshot is taken on the loop."""
        if not self._dirty:
            return
        self._dirty = False
        text = self._bounded()
        async with self._write_lock:
            await asyncio.to_thread(_write, self.path, text)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError as exc:
        log.warning("review cache %s not written: %s", path, exc)


# -- units: what is hashed and what findings are relative to ---------------------------------


class DefinitionLike(Protocol):
    """What review on save needs of `syntax.definitions(doc)` items."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def start_line(self) -> int: ...
    @property
    def end_line(self) -> int: ...


@dataclasses.dataclass(frozen=True)
class Unit:
    """One reviewable piece of a file: a definition's own lines (0-based, ascending)."""

    name: str
    kind: str
    lines: tuple[int, ...]
    digest: str
    definition: Any = None

    @property
    def start_line(self) -> int:
        return self.lines[0]

    @property
    def end_line(self) -> int:
        return self.lines[-1]

    def index_of(self, line: int) -> int | None:
        """Index of `line` in the unit's own lines, or None when the unit does not own it."""
        at = bisect_left(self.lines, line)
        return at if at < len(self.lines) and self.lines[at] == line else None

    def text(self, doc_lines: Sequence[str]) -> str:
        return "\n".join(doc_lines[line] for line in self.lines)


def _is_function(kind: str) -> bool:
    return kind.lower() in _FUNCTION_KINDS


def _digest(language: str, kind: str, owner: str, text: str) -> str:
    data = "\0".join((REVIEW_PROMPT_VERSION, language, kind, owner, text))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


def _text(lines: Sequence[str], own: Iterable[int]) -> str:
    # Blank lines and trailing spaces do not count: adding them needs no new review, and the
    # unit's line indexes (non-blank lines) stay valid for every text with this hash.
    return "\n".join(lines[line].rstrip() for line in own)


def compute_units(
    lines: Sequence[str], definitions: Iterable[DefinitionLike], language: str
) -> list[Unit]:
    """Split a file into units; see the module docstring. Pure: lines + definitions in, units out."""
    last = len(lines) - 1
    spans = sorted(
        (
            d
            for d in definitions
            if 0 <= d.start_line <= last and d.start_line <= d.end_line
        ),
        key=lambda d: (d.start_line, -d.end_line),
    )
    # Keep definitions not nested in a function; remember each one's enclosing unit.
    kept: list[tuple[DefinitionLike, int, int, int | None]] = []  # (def, start, end, parent index)
    stack: list[int] = []
    for d in spans:
        end = min(d.end_line, last)
        while stack and kept[stack[-1]][2] < d.start_line:
            stack.pop()
        parent = stack[-1] if stack else None
        if parent is not None and (_is_function(kept[parent][0].kind) or end > kept[parent][2]):
            continue  # inside a function (part of its text) or overlapping oddly: not a unit
        kept.append((d, d.start_line, end, parent))
        stack.append(len(kept) - 1)
    owned = [list(range(start, end + 1)) for _, start, end, _ in kept]
    children: dict[int, list[int]] = {}
    for index, (_, _, _, parent) in enumerate(kept):
        if parent is not None:
            children.setdefault(parent, []).append(index)
    for parent, kids in children.items():
        taken = {line for kid in kids for line in range(kept[kid][1], kept[kid][2] + 1)}
        owned[parent] = [line for line in owned[parent] if line not in taken]
    units: list[Unit] = []
    covered: set[int] = set()
    for index, (d, start, end, parent) in enumerate(kept):
        covered.update(range(start, end + 1))
        own = [line for line in owned[index] if lines[line].strip()] or [start]
        owner = kept[parent][0].name if parent is not None else ""
        units.append(
            Unit(
                name=d.name,
                kind=d.kind,
                lines=tuple(own),
                digest=_digest(language, d.kind, owner, _text(lines, own)),
                definition=d,
            )
        )
    module_lines = [line for line in range(len(lines)) if line not in covered and lines[line].strip()]
    if module_lines:
        units.append(
            Unit(
                name=MODULE_UNIT_NAME,
                kind="module",
                lines=tuple(module_lines),
                digest=_digest(language, "module", "", _text(lines, module_lines)),
            )
        )
    units.sort(key=lambda u: u.start_line)
    return units


def to_stored(unit: Unit, finding: Finding) -> StoredFinding | None:
    """A finding relative to its unit, or None when its first line is not the unit's."""
    first = unit.index_of(finding.start_line)
    if first is None:
        return None
    last = first
    for index in range(first, len(unit.lines)):
        if unit.lines[index] > finding.end_line:
            break
        last = index
    return StoredFinding(
        line=first, end=last, severity=finding.severity, category=finding.category,
        title=finding.title, message=finding.message, snippet=finding.snippet,
        replacement=finding.replacement,
    )


def place(unit: Unit, stored: Iterable[StoredFinding], lines: Sequence[str]) -> list[Finding]:
    """Stored findings of `unit` at the unit's current lines; those whose snippet is gone are dropped."""
    placed = []
    for item in stored:
        if item.line >= len(unit.lines):
            continue
        start = unit.lines[item.line]
        end = unit.lines[min(item.end, len(unit.lines) - 1)]
        if start >= len(lines) or (item.snippet and item.snippet not in lines[start]):
            continue
        placed.append(
            Finding(
                start_line=start, end_line=max(start, end), severity=item.severity,
                category=item.category, title=item.title, message=item.message,
                snippet=item.snippet, replacement=item.replacement,
            )
        )
    return placed


def owner_of(units: Sequence[Unit], line: int) -> Unit | None:
    return next((unit for unit in units if unit.index_of(line) is not None), None)
