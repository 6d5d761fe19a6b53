"""The review of many files at once, for `mistral-lsp review` (pre-commit and CI).

Serves no LSP method, and imports no pygls: it is review on save (`actions/review_on_save.py`)
without an editor, built on the same pure parts, so both agree on what was reviewed:

1. Each file is split into units (`review_units.snapshot_of`); skip rules (`review_scope`)
   apply as on save. With a diff, only the units owning a changed line are selected (lines
   removed count for the unit around where they were); with paths, every unit of the file.
2. A selected unit whose hash is in the review cache (`review_cache`, the server's file for
   the same workspace) is not sent: its stored findings are placed on its current lines.
3. The others are sent, one request per file (`review_prompt.build_messages`: the file's
   outline as context, the changed units' code), at most `maxConcurrentRequests` at a time,
   with the client's retries; findings are validated and stored by unit hash as on save. With
   `tools.enabled: true`, each file's request is the editor's tool loop instead (`lookups.py`).
4. `max_tokens` caps the tokens spent (prompt + completion, as the API reports them): before
   each request, what it would bring the total to (its prompt, estimated) is checked against
   the cap; the first that does not fit stops the dispatch, and it and every file after it are
   reported as unreviewed. A request in flight is never cut.

An API failure stops the dispatch the same way (requests in flight finish and are kept); the
caller reports it. Everything reviewed is written to the cache either way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from mistral_lsp.actions.model_call import Answer, prompt_cache_key
from mistral_lsp.ci.lookups import ReviewLookups, tools_wanted
from mistral_lsp.logs import redactor
from mistral_lsp.mistral import (
    ChatRequest,
    ChatResult,
    ConfigurationError,
    MistralClient,
    MistralError,
)
from mistral_lsp.options import Settings
from mistral_lsp.project.instructions import find_instructions
from mistral_lsp.project.rules import Rule, load_rules, rules_digest
from mistral_lsp.prompting.instructions import instructions_block
from mistral_lsp.prompting.prompts import review_response_format
from mistral_lsp.prompting.tokens import estimate_tokens
from mistral_lsp.review.cache import ReviewCache, cache_path_for_workspace
from mistral_lsp.review.findings import Finding
from mistral_lsp.review.prompt import ReplyError, build_messages, findings_by_unit, outline_budget
from mistral_lsp.review.scope import skip_reason
from mistral_lsp.review.units import Snapshot, Unit, place, snapshot_of, to_stored, with_rules_key
from mistral_lsp.syntax.document import Document

log = logging.getLogger(__name__)

NO_GRAMMAR = "no grammar for this kind of file"


@dataclasses.dataclass(frozen=True)
class SourceFile:
    """A file to review: its text, and the lines a diff changed (None: review it whole)."""

    key: str  # posix path relative to the workspace root: the cache's key, the report's path
    text: str
    changed_lines: frozenset[int] | None = None
    deleted_after: frozenset[int] = frozenset()


@dataclasses.dataclass(frozen=True)
class Reported:
    """One finding of the run, on the file's current lines, with the unit it belongs to."""

    path: str
    finding: Finding
    unit_name: str
    unit_hash: str
    index_in_unit: int  # the finding's first line among the unit's own lines: stable across moves
    lines: tuple[str, ...]  # the file's text, for snippets and columns


@dataclasses.dataclass
class Usage:
    units: int = 0  # units selected for review
    cached_units: int = 0  # of which the cache answered
    reviewed_units: int = 0  # of which a request answered
    requests: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0

    @property
    def spent(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclasses.dataclass
class BatchResult:
    findings: list[Reported] = dataclasses.field(default_factory=list)
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (path, why)
    unreviewed: list[tuple[str, list[str]]] = dataclasses.field(default_factory=list)  # (path, units)
    usage: Usage = dataclasses.field(default_factory=Usage)
    capped: bool = False
    error: str | None = None  # the API failure that stopped the run, redacted
    rules: dict[str, Rule] = dataclasses.field(default_factory=dict)  # the project rules applied, by id
    rule_problems: list[str] = dataclasses.field(default_factory=list)  # rule files skipped: file:line: why


@dataclasses.dataclass
class _Plan:
    """A file with units to send: its request and what it is expected to cost."""

    file: SourceFile
    doc: Document
    snap: Snapshot
    changed: list[Unit]
    messages: list[dict[str, str]]
    estimate: int
    rules: tuple[Rule, ...] = ()


def selected_units(snap: Snapshot, file: SourceFile) -> list[Unit]:
    """The units of `file` to report on: all of them, or those a diff touched."""
    if file.changed_lines is None:
        return list(snap.units)
    owners = {line: unit for unit in snap.units for line in unit.lines}
    chosen: dict[str, Unit] = {}
    for line in file.changed_lines:
        unit = owners.get(line)
        if unit is not None:  # a changed blank line changes no hash
            chosen.setdefault(unit.digest + str(unit.start_line), unit)
    for line in file.deleted_after:
        # Lines removed after `line`: the unit around that place, i.e. the owner of the nearest
        # non-blank line at or before it (or after it, at the top of the file).
        before = [n for n in owners if n <= line]
        nearest = max(before) if before else min(owners, default=None)
        if nearest is not None:
            unit = owners[nearest]
            chosen.setdefault(unit.digest + str(unit.start_line), unit)
    return sorted(chosen.values(), key=lambda unit: unit.start_line)


class BatchReview:
    """One run over `files` in the workspace at `root`; `run()` does it all."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        files: Sequence[SourceFile],
        *,
        max_tokens: int | None = None,
        client_factory: Callable[[Settings], MistralClient] | None = None,
        on_total: Callable[[int], None] = lambda total: None,
        on_advance: Callable[[str], None] = lambda path: None,
    ) -> None:
        self.root = root
        self.settings = settings
        self.files = sorted(files, key=lambda f: f.key)
        self.max_tokens = max_tokens
        self.client_factory = client_factory or _client_for
        self.on_total = on_total
        self.on_advance = on_advance
        self.cache = ReviewCache(cache_path_for_workspace(str(root)))
        self.result = BatchResult()
        self._reserved = 0
        self.ruleset = load_rules(root)
        self.result.rule_problems = [str(problem) for problem in self.ruleset.problems]
        found = find_instructions(root) if settings.project_instructions else []
        self.instructions = instructions_block(found, settings.instructions_tokens).text
        self.lookups: ReviewLookups | None = None
        """The repository's tools, when `tools.enabled` is true (`lookups.py`)."""

    async def run(self) -> BatchResult:
        await self.cache.load_async()
        plans = [plan for file in self.files if (plan := self._prepare(file)) is not None]
        self.on_total(len(plans))
        if plans:
            if self.settings.backend == "mistral" and not self.settings.resolved_api_key():
                raise ConfigurationError(
                    f"no API key, and {sum(len(p.changed) for p in plans)} definitions are not in "
                    "the review cache", "set the MISTRAL_API_KEY environment variable",
                )
            client = self.client_factory(self.settings)
            if tools_wanted(self.settings):
                self.lookups = ReviewLookups(self.root, self.settings, client)
            try:
                await self._dispatch(client, plans)
            finally:
                await client.aclose()
        self.result.findings.sort(key=lambda r: (r.path, r.finding.start_line, r.finding.title))
        await self.cache.save_async()
        return self.result

    # -- selecting units and reading the cache ---------------------------------------------------

    def _prepare(self, file: SourceFile) -> _Plan | None:
        lines = file.text.split("\n")
        reason = skip_reason((file.key,), lines, self.settings)
        doc = Document((self.root / file.key).as_uri(), file.text)
        if reason is None and doc.language is None:
            reason = NO_GRAMMAR
        if reason is not None:
            self.result.skipped.append((file.key, reason))
            return None
        rules = self.ruleset.for_file(file.key, doc.language.name if doc.language is not None else None)
        self.result.rules.update((rule.id, rule) for rule in rules)
        snap = with_rules_key(doc.cached("review_on_save", lambda: snapshot_of(doc)), rules_digest(rules))
        selected = selected_units(snap, file)
        usage = self.result.usage
        usage.units += len(selected)
        changed: dict[str, Unit] = {}
        for unit in selected:
            stored = self.cache.lookup(file.key, unit.digest)
            if stored is None:
                changed.setdefault(unit.digest, unit)
                continue
            usage.cached_units += 1
            self._report(file, snap, unit, place(unit, stored, snap.lines))
        self.cache.touch(file.key, [unit.digest for unit in snap.units])
        if not changed:
            return None
        messages = build_messages(
            doc, snap, file.key, list(changed.values()), outline_budget(self.settings), self.settings.line_anchors,
            rules=rules, instructions=self.instructions,
        )
        estimate = sum(estimate_tokens(m["content"]) for m in messages)
        return _Plan(file, doc, snap, list(changed.values()), messages, estimate, rules)

    def _report(self, file: SourceFile, snap: Snapshot, unit: Unit, found: Sequence[Finding]) -> None:
        for finding in found:
            stored = to_stored(unit, finding)
            self.result.findings.append(
                Reported(
                    path=file.key, finding=finding, unit_name=unit.name, unit_hash=unit.digest,
                    index_in_unit=stored.line if stored is not None else 0, lines=snap.lines,
                )
            )

    # -- requests -----------------------------------------------------------------------------

    async def _dispatch(self, client: MistralClient, plans: list[_Plan]) -> None:
        slots = asyncio.Semaphore(max(1, self.settings.max_concurrent_requests))
        running: set[asyncio.Task[None]] = set()
        for index, plan in enumerate(plans):
            await slots.acquire()
            stop = self.result.error is not None
            spent = self.result.usage.spent + self._reserved + plan.estimate
            if not stop and self.max_tokens is not None and spent > self.max_tokens:
                self.result.capped = stop = True
            if stop:
                slots.release()
                for left in plans[index:]:
                    self.result.unreviewed.append((left.file.key, [u.name for u in left.changed]))
                break
            self._reserved += plan.estimate
            task = asyncio.create_task(self._send(client, plan))
            running.add(task)
            task.add_done_callback(running.discard)
            task.add_done_callback(lambda _: slots.release())
        if running:
            await asyncio.gather(*running)

    def request_for(self, plan: _Plan) -> ChatRequest:
        """The review request of `plan`, live or in a batch job (`batch_run.py`)."""
        parameters = self.settings.action("review")
        return ChatRequest(
            messages=plan.messages,
            model=self.settings.model,
            temperature=parameters.temperature,
            max_tokens=parameters.max_tokens,
            reasoning_effort=parameters.reasoning_effort,
            response_format=review_response_format(),
            prompt_cache_key=prompt_cache_key(plan.doc.uri),
        )

    async def _send(self, client: MistralClient, plan: _Plan) -> None:
        request = self.request_for(plan)
        usage = self.result.usage
        try:
            usage.requests += 1
            if self.lookups is not None:
                answer: ChatResult | Answer = await self.lookups.review(
                    plan.file.key, plan.doc.uri, list(plan.messages), review_response_format())
            else:
                answer = await client.chat(request)
            results = findings_by_unit(answer.text, plan.snap.lines, plan.changed, plan.rules)
        except (MistralError, ReplyError) as exc:
            message = redactor.redact(str(exc))
            log.info("review of %s failed: %s", plan.file.key, message)
            if self.result.error is None:
                self.result.error = f"{plan.file.key}: {message}"
            self.result.unreviewed.append((plan.file.key, [u.name for u in plan.changed]))
            return
        finally:
            self._reserved -= plan.estimate
            self.on_advance(plan.file.key)
        if answer.usage is not None:
            usage.prompt_tokens += answer.usage.prompt_tokens
            usage.cached_tokens += answer.usage.cached_tokens
            usage.completion_tokens += answer.usage.completion_tokens
        else:  # a server without usage: count our estimates, so the cap still holds
            usage.prompt_tokens += plan.estimate
            usage.completion_tokens += estimate_tokens(answer.text)
        usage.reviewed_units += len(plan.changed)
        self.cache.record(plan.file.key, results)
        for unit in plan.changed:
            self._report(plan.file, plan.snap, unit, place(unit, results[unit.digest], plan.snap.lines))


def _client_for(settings: Settings) -> MistralClient:
    return MistralClient(**settings.client_options())
