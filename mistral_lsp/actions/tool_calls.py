"""The tool calls of one round, each run as soon as its arguments are complete in the stream.

Serves no LSP method: `model_call.stream_answer` feeds a `RoundCalls` the stream's
`ToolCallDelta`s. A call starts (in a worker thread: the tools read files) once it has a name and
its arguments parse as a JSON object — an object that parses cannot grow into another valid one,
so it is complete — while the model may still be streaming the next calls: parallel calls run at
once, and a lookup shows while the round's stream goes on. Results are accounted (budgets, the
`lookup` line) in call order as soon as every earlier call is done, so the budgets cut the same
way every time; the `tool` messages follow the `assistant` message in call order, as the API
requires. A call whose final arguments differ from those it started with (a server that kept
streaming after a complete object) is run again with the final ones, unless already shown.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Reporter
    from mistral_lsp.lookup import Lookup, ToolBox
    from mistral_lsp.lookup.tools import Found
    from mistral_lsp.mistral import ToolCall, ToolCallDelta


def _complete(arguments: str) -> bool:
    """The arguments are a whole JSON object (cheap test first: it must end with a brace)."""
    if not arguments.rstrip().endswith("}"):
        return False
    try:
        return isinstance(json.loads(arguments), dict)
    except ValueError:
        return False


class _Started:
    """One call running: what it was started with, and its task."""

    def __init__(self, name: str, arguments: str, task: asyncio.Future[Found]) -> None:
        self.name = name
        self.arguments = arguments
        self.task = task


class RoundCalls:
    """See the module docstring."""

    def __init__(self, tools: ToolBox, reporter: Reporter) -> None:
        self._tools = tools
        self._reporter = reporter
        self._parts: dict[int, tuple[str | None, str]] = {}
        """Each call's name and arguments so far, by index."""
        self._started: dict[int, _Started] = {}
        self._accounted: dict[int, Lookup] = {}

    @property
    def started(self) -> int:
        return len(self._started)

    def fragment(self, delta: ToolCallDelta) -> None:
        """One piece of a call from the stream; starts the call once it is complete."""
        name, arguments = self._parts.get(delta.index, (None, ""))
        name = delta.name or name
        arguments += delta.arguments
        self._parts[delta.index] = (name, arguments)
        if delta.index not in self._started and name and _complete(arguments):
            self._start(delta.index, name, arguments)

    def _start(self, index: int, name: str, arguments: str) -> None:
        task = asyncio.ensure_future(asyncio.to_thread(self._tools.answer, name, arguments))
        self._started[index] = _Started(name, arguments, task)
        task.add_done_callback(lambda _: self._account_done())

    def _account_done(self) -> None:
        """Account and show the calls done so far, in call order, up to the first still running."""
        for index in sorted(self._parts):
            if index in self._accounted:
                continue
            started = self._started.get(index)
            if started is None or not started.task.done() or started.task.cancelled():
                return
            lookup = self._tools.account(started.name, started.task.result())
            self._accounted[index] = lookup
            self._reporter.lookup(lookup.line)

    async def messages(self, calls: tuple[ToolCall, ...], text: str) -> list[dict[str, Any]]:
        """The assistant message asking for `calls` (the round's complete calls) and one tool
        message per call, in call order, once every call has run."""
        ids = [call.id or uuid.uuid4().hex[:9] for call in calls]
        for call in calls:
            self._start_as_final(call)
        await asyncio.gather(*(self._started[call.index].task for call in calls))
        self._account_done()
        assistant = {
            "role": "assistant",
            "content": text,
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": call.name or "", "arguments": call.arguments}}
                for call_id, call in zip(ids, calls, strict=True)
            ],
        }
        replies: list[dict[str, Any]] = [assistant]
        for call_id, call in zip(ids, calls, strict=True):
            lookup = self._accounted[call.index]
            replies.append({"role": "tool", "tool_call_id": call_id, "name": call.name or "", "content": lookup.content})
        return replies

    def _start_as_final(self, call: ToolCall) -> None:
        """Start `call` unless it already runs (or ran and was shown) with these arguments."""
        started = self._started.get(call.index)
        if started is not None and started.name == (call.name or "") and started.arguments == call.arguments:
            return
        if call.index in self._accounted:
            return
        if started is not None:
            started.task.cancel()
        self._parts.setdefault(call.index, (call.name, call.arguments))
        self._start(call.index, call.name or "", call.arguments)

    def cancel(self) -> None:
        """The run ended early (cancelled, failed): drop what is still running."""
        for started in self._started.values():
            started.task.cancel()
