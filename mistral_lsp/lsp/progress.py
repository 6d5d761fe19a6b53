"""What a run shows while it works: `$/progress` and `mistral/stream`.

LSP methods served here: `window/workDoneProgress/create` and `$/progress` (sent), and the
`mistral/stream` notification (sent). `RunReporter` implements the actions' `Reporter`.
Cancellation (`window/workDoneProgress/cancel`, `$/cancelRequest`) is mapped onto runs in
`commands.py`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from mistral_lsp.protocol import STREAM_NOTIFICATION, Hunk, StreamNotification

if TYPE_CHECKING:
    from mistral_lsp.actions.runs import Run
    from mistral_lsp.lsp.server import MistralLanguageServer

log = logging.getLogger(__name__)

# How long a run waits for the client to accept its progress token before it works without one:
# a client that never answers must not hold the run (and the user) forever.
PROGRESS_CREATE_TIMEOUT = 3.0

# The `workDoneToken` of the executeCommand request being dispatched; set by the protocol and
# inherited by the task running the command (pygls passes commands their arguments only).
current_work_done_token: contextvars.ContextVar[types.ProgressToken | None] = contextvars.ContextVar(
    "current_work_done_token", default=None
)

# Progress reports are throttled: a report per streamed token would flood slow clients.
_REPORT_INTERVAL_S = 0.1


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
        title: str,
        message: str = "waiting for the model",
        stream: bool = True,
    ) -> RunReporter:
        """Begin progress; `stream=False` for runs whose text no editor renders (review on save)."""
        token = client_token
        if token is None and _supports_progress(server):
            token = f"mistral-{run.id}"
            try:
                # Shielded: a run superseded meanwhile must not cancel the request's future, or
                # the client's answer would land on a cancelled future ("malformed message").
                await asyncio.wait_for(
                    asyncio.shield(server.work_done_progress.create_async(token)), PROGRESS_CREATE_TIMEOUT
                )
            except asyncio.TimeoutError:  # never answered (lsp-mode 8.0, now and then): work on
                log.info("no answer to window/workDoneProgress/create after %.0f s; the run goes on "
                         "without progress", PROGRESS_CREATE_TIMEOUT)
                token = None
            except Exception as exc:  # a client may refuse; the run goes on without progress
                log.info("client refused a progress token: %s", exc)
                token = None
        run.progress_token = token
        reporter = cls(server, run, token, stream=stream)
        if token is not None:
            server.work_done_progress.begin(
                token, types.WorkDoneProgressBegin(title=title, message=message, cancellable=True)
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
            self._notify(delta=text)
        self._report(f"writing… {self._chars} characters" if self._chars != 1 else "writing…")

    def lookup(self, line: str) -> None:
        if self._stream:
            self._notify(lookup=line)
        self._report(line, force=True)

    def end(
        self, message: str, *, error: str | None = None, cancelled: bool = False, hunks: list[Hunk] | None = None
    ) -> None:
        if self._stream:
            self._notify(done=True, error=error, cancelled=cancelled or None, hunks=hunks)
        if self._token is not None:
            token, self._token = self._token, None  # end once, whichever path gets here first
            self._server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
            self._server.work_done_progress.tokens.pop(token, None)

    def _notify(self, **fields: Any) -> None:
        run = self._run
        notification = StreamNotification(id=run.id, action=run.action, uri=run.uri, **fields)  # type: ignore[arg-type]
        self._server.protocol.notify(STREAM_NOTIFICATION, self._server.converter.unstructure(notification))


def _supports_progress(server: MistralLanguageServer) -> bool:
    window = server.client_capabilities.window
    return bool(window and window.work_done_progress)
