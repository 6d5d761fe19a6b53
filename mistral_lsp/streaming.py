"""Runs in flight: work-done progress, `mistral/stream` notifications and cancellation.

LSP methods served here (through `features/`): `$/progress` (sent), `mistral/stream` (sent),
`window/workDoneProgress/cancel` and `$/cancelRequest` (received, mapped to a run).

A *run* is one execution of a command (fix, explain, review, tests). Each run owns the asyncio
task executing it, so cancelling the run cancels the task; the task is inside `async for` over
the HTTP stream, so cancellation closes the connection at once. A new run of the same action
on the same target cancels the older one.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import itertools
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from mistral_lsp.server import MistralLanguageServer

log = logging.getLogger(__name__)

STREAM_NOTIFICATION = "mistral/stream"

# The `workDoneToken` of the executeCommand request being dispatched; set by the protocol and
# inherited by the task running the command (pygls passes commands their arguments only).
current_work_done_token: contextvars.ContextVar[types.ProgressToken | None] = contextvars.ContextVar(
    "current_work_done_token", default=None
)

_TITLES = {
    "fix": "Mistral: Fix",
    "explain": "Mistral: Explain",
    "review": "Mistral: Review",
    "tests": "Mistral: Generate tests",
}

# Progress reports are throttled: a report per streamed token would flood slow clients.
_REPORT_INTERVAL_S = 0.1


@dataclasses.dataclass(eq=False)
class Run:
    """One command execution; `target_key` identifies "the same action on the same target"."""

    id: str
    action: str
    uri: str
    target_key: tuple[Any, ...]
    task: asyncio.Task[Any] | None = None
    request_id: int | str | None = None
    progress_token: types.ProgressToken | None = None
    cancelled: bool = False
    superseded: bool = False

    def cancel(self) -> None:
        self.cancelled = True
        if self.task is not None and not self.task.done():
            self.task.cancel()


class RunRegistry:
    """The runs in flight, by id."""

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        return f"r{next(self._ids)}-{uuid.uuid4().hex[:6]}"

    def start(self, run: Run) -> None:
        for other in list(self._runs.values()):
            if other.action == run.action and other.target_key == run.target_key:
                log.info("run %s supersedes %s (same action, same target)", run.id, other.id)
                other.superseded = True
                other.cancel()
        self._runs[run.id] = run

    def finish(self, run: Run) -> None:
        if self._runs.get(run.id) is run:
            del self._runs[run.id]

    def cancel(self, run_id: str | None) -> list[str]:
        runs = list(self._runs.values()) if run_id is None else [self._runs[run_id]] if run_id in self._runs else []
        for run in runs:
            run.cancel()
        return [run.id for run in runs]

    def cancel_request(self, request_id: int | str) -> None:
        for run in list(self._runs.values()):
            if run.request_id == request_id:
                run.cancel()

    def cancel_progress(self, token: types.ProgressToken) -> None:
        for run in list(self._runs.values()):
            if run.progress_token == token:
                run.cancel()

    def __len__(self) -> int:
        return len(self._runs)


class RunReporter:
    """Tells the editor what a run is doing: progress begin/report/end and streamed text."""

    def __init__(
        self, server: MistralLanguageServer, run: Run, token: types.ProgressToken | None, *, stream: bool = True
    ) -> None:
        self._server = server
        self._run = run
        self._token = token
        self._stream = stream
        self._last_report = 0.0
        self._chars = 0
        self._thinking_reported = False
        self.first_delta_at: float | None = None

    @classmethod
    async def open(
        cls,
        server: MistralLanguageServer,
        run: Run,
        client_token: types.ProgressToken | None,
        *,
        title: str | None = None,
        message: str = "waiting for the model",
        stream: bool = True,
    ) -> RunReporter:
        """Begin progress; `stream=False` for runs whose text no editor renders (review on save)."""
        token = client_token
        if token is None and _supports_progress(server):
            token = f"mistral-{run.id}"
            try:
                await server.work_done_progress.create_async(token)
            except Exception as exc:  # a client may refuse; the run goes on without progress
                log.info("client refused a progress token: %s", exc)
                token = None
        run.progress_token = token
        reporter = cls(server, run, token, stream=stream)
        if token is not None:
            server.work_done_progress.begin(
                token,
                types.WorkDoneProgressBegin(
                    title=title or _TITLES.get(run.action, "Mistral"), message=message, cancellable=True
                ),
            )
        return reporter

    def _report(self, message: str, force: bool = False) -> None:
        if self._token is None:
            return
        now = time.monotonic()
        if not force and now - self._last_report < _REPORT_INTERVAL_S:
            return
        self._last_report = now
        self._server.work_done_progress.report(
            self._token, types.WorkDoneProgressReport(message=message)
        )

    def status(self, message: str) -> None:
        self._report(message, force=True)

    def thinking(self) -> None:
        if not self._thinking_reported:
            self._thinking_reported = True
            self._report("thinking…", force=True)

    def delta(self, text: str) -> None:
        if not text:
            return
        if self.first_delta_at is None:
            self.first_delta_at = time.perf_counter()
        self._chars += len(text)
        if self._stream:
            self._server.protocol.notify(
                STREAM_NOTIFICATION,
                {"id": self._run.id, "action": self._run.action, "uri": self._run.uri, "delta": text},
            )
        self._report(f"writing… {self._chars} characters" if self._chars != 1 else "writing…")

    def end(self, message: str, *, error: str | None = None, cancelled: bool = False) -> None:
        if self._stream:
            self._notify_done(error, cancelled)
        if self._token is not None:
            token, self._token = self._token, None  # end once, whichever path gets here first
            self._server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
            self._server.work_done_progress.tokens.pop(token, None)

    def _notify_done(self, error: str | None, cancelled: bool) -> None:
        final: dict[str, Any] = {
            "id": self._run.id,
            "action": self._run.action,
            "uri": self._run.uri,
            "done": True,
        }
        if error is not None:
            final["error"] = error
        if cancelled:
            final["cancelled"] = True
        self._server.protocol.notify(STREAM_NOTIFICATION, final)


def _supports_progress(server: MistralLanguageServer) -> bool:
    window = server.client_capabilities.window
    return bool(window and window.work_done_progress)
