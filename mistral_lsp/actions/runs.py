"""Runs in flight, and how they are cancelled.

A *run* is one execution of an action. Each run owns the asyncio task executing it, so
cancelling the run cancels the task; the task is inside `async for` over the HTTP stream, so
cancellation closes the connection at once. A new run of the same action on the same target
cancels the older one, which remembers the run that replaced it (`superseded_by`): a command
waiting on the old run is answered with a cancelled result naming the new one.

A run is cancelled once: a second `Task.cancel()` on a task already handling its cancellation
would raise it again where the run is answering (a supersede storm, then a `mistral.cancel`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import uuid
from typing import Any

log = logging.getLogger(__name__)


@dataclasses.dataclass(eq=False)
class Run:
    """One action execution; `target_key` identifies "the same action on the same target"."""

    id: str
    action: str
    uri: str
    target_key: tuple[Any, ...]
    task: asyncio.Task[Any] | None = None
    request_id: int | str | None = None
    progress_token: int | str | None = None
    cancelled: bool = False
    superseded_by: str | None = None
    """The id of the newer run of the same action on the same target that cancelled this one."""
    action_id: str | None = None
    """A custom action's run (`mistral.custom`): which one."""

    @property
    def superseded(self) -> bool:
        return self.superseded_by is not None

    def cancel(self) -> None:
        if self.cancelled:
            return
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
            if other.action == run.action and other.target_key == run.target_key and not other.cancelled:
                log.info("run %s supersedes %s (same action, same target)", run.id, other.id)
                other.superseded_by = run.id
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

    def cancel_progress(self, token: int | str) -> None:
        for run in list(self._runs.values()):
            if run.progress_token == token:
                run.cancel()

    def cancel_document(self, uri: str) -> list[str]:
        """Cancels the runs on `uri` (the editor closed it: nobody will see their answers)."""
        runs = [run for run in self._runs.values() if run.uri == uri]
        for run in runs:
            run.cancel()
        return [run.id for run in runs]

    def __len__(self) -> int:
        return len(self._runs)
