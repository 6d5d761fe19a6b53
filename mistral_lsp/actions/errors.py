"""How an action fails, and what the LSP edge does with it.

Errors::

    ActionError              the request cannot be served (document not open, no code in the
                             reply…); expected, the message says what to do
     └── BadArguments        the client sent arguments no document can satisfy (a range
                             outside the document): answered InvalidParams, logged, not shown
    RunFailed                raised by `run.perform` after the user was told: the LSP edge
                             answers the command with a RequestFailed error carrying `message`
    mistral.MistralError     (from the client) the API call failed: auth, rate limit, transport…
    asyncio.CancelledError   the run was cancelled: nothing is applied, progress says cancelled

Anything else is a bug of ours: `run.perform` still turns it into a message and a log line,
so one bad request never takes the server down.
"""

from __future__ import annotations


class ActionError(Exception):
    """A request we cannot serve; the message says why and what to do."""


class BadArguments(ActionError):
    """The client's arguments are wrong: its mistake, not the user's."""


class RunFailed(Exception):
    """The run failed and the user has been told; `message` is what the command answers."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
