"""Workspace tools for `mistral-lsp review`, when `tools.enabled` is true (off by default there).

Serves no LSP method and loads no pygls. With tools on, each file's review runs the same loop as
the editor's actions (`actions.model_call.stream_answer`): the model may look up definitions,
references, lines and text of the repository — confined to the repository root, secrets and
`tools.deny` denied — bounded by `tools.maxRounds`, `tools.maxResultTokens` and
`tools.maxRunTokens` per file. The repository is indexed once per run, on first use, in a
worker thread.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from mistral_lsp.actions.model_call import Answer, stream_answer
from mistral_lsp.lookup import PathGuard, ToolBox, Workspace
from mistral_lsp.mistral import MistralClient
from mistral_lsp.options import Settings
from mistral_lsp.protocol import Hunk
from mistral_lsp.syntax.workspace import WorkspaceIndex


class _Silent:
    """No editor to report to: the CLI's progress is per file (`batch.on_advance`)."""

    def status(self, message: str) -> None: ...
    def thinking(self) -> None: ...
    def delta(self, text: str) -> None: ...
    def lookup(self, line: str) -> None: ...
    def end(
        self, message: str, *, error: str | None = None, cancelled: bool = False, hunks: list[Hunk] | None = None
    ) -> None: ...


class ReviewLookups:
    """The tools of one `mistral-lsp review` run over the repository at `root`."""

    def __init__(self, root: Path, settings: Settings, client: MistralClient) -> None:
        self.root = root.resolve()
        self.settings = settings
        self.key_hint = "set the MISTRAL_API_KEY environment variable"
        self._client = client
        self._index: WorkspaceIndex | None = None
        self._building: asyncio.Lock = asyncio.Lock()
        self.lookups: list[str] = []
        """Every lookup of the run, as `path: label` (what `-v` logs)."""

    def client(self) -> MistralClient:
        return self._client

    async def review(self, path: str, uri: str, messages: list[dict[str, Any]], response_format: dict[str, Any]) -> Answer:
        """The model's review of one file, the tools offered."""
        index = await self._index_built()
        guard = PathGuard([self.root], self.settings.tools.deny, indexed=lambda p: index.get(p) is not None)
        tools = self.settings.tools
        toolbox = ToolBox(
            Workspace(index, guard, origin=(self.root / path).as_posix()), max_rounds=tools.max_rounds,
            max_result_tokens=tools.max_result_tokens, max_run_tokens=tools.max_run_tokens,
            secrets=(self.settings.resolved_api_key(),),
        )
        answer = await stream_answer(self, "review", uri, _Silent(), messages, response_format=response_format,
                                     tools=toolbox)
        self.lookups += [f"{path}: {label}" for label in toolbox.lookups]
        return answer

    async def _index_built(self) -> WorkspaceIndex:
        async with self._building:
            if self._index is None:
                index = WorkspaceIndex([self.root])
                await asyncio.to_thread(index.build, self.settings.workspace_index_max_files)
                self._index = index
            return self._index


def tools_wanted(settings: Settings) -> bool:
    """`tools.enabled` is true: the CLI, a background run, uses tools only when asked to."""
    return settings.tools.enabled_for("review", background=True)
