"""Inline completion: one fill-in-the-middle suggestion at the cursor, as fast and cheap as it
can be made. Served to `textDocument/inlineCompletion` by `lsp/inline_completion.py`.

Speed and cost are the feature, so a request goes through, in order:
1. typing through: when the text typed since the last suggestion is the start of it (and
   nothing else in the document changed), the rest of it is the answer — no request;
2. the LRU cache, keyed by the context (model, prompt, suffix, single/multi-line);
3. the debounce (`completion.debounceMs`): a newer request arriving meanwhile supersedes this
   one, which then answers nothing without calling the API;
4. the streamed FIM call. A newer request cancels it at once, which closes its HTTP stream;
   the stream is also closed early at the end of the line (single-line) or as soon as
   tree-sitter shows the completion has closed its block (multi-line);
5. the clean-up (`prompting/fim.finish`): nothing empty, whitespace or only repeating the text
   after the cursor.

A failure of the API is logged every time and shown once (until the next success), since
completions are asked for at every pause in typing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from typing import TYPE_CHECKING, Literal

from lsprotocol import types

from mistral_lsp.actions.state import CompletionState, ShownCompletion
from mistral_lsp.mistral import FimRequest, MistralError, TextDelta
from mistral_lsp.prompting.fim import FimContext, build_fim_context, finish
from mistral_lsp.prompting.tokens import estimate_tokens
from mistral_lsp.syntax.blocks import closed_block

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor
    from mistral_lsp.syntax.document import Document

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Completion:
    """A suggestion to insert at the cursor."""

    text: str
    source: Literal["model", "cache", "typed"]


class CompletionEngine(CompletionState):
    """One per session, acting on its state (`state.py`); see the module docstring."""

    def enabled(self, editor: Editor, language_id: str) -> bool:
        return editor.settings.completion.enabled_for(language_id)

    def cancel(self) -> None:
        """Cancel the request in flight (a newer one came, or completion was turned off)."""
        self._generation += 1
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
        self._inflight = None

    async def complete(self, editor: Editor, uri: str, position: types.Position) -> Completion | None:
        """The suggestion at `position` in `uri`, or None (nothing worth showing, superseded,
        completion off for this language, or the API failed)."""
        self.cancel()
        generation = self._generation
        doc = editor.documents.get(uri)
        if doc is None or not self.enabled(editor, doc.language_id):
            return None
        offset = doc.offset_at(position)
        typed = self._typed_through(doc, offset)
        if typed is not None:
            self.stats.typed_through += 1
            return Completion(typed, "typed")
        settings = editor.settings.completion
        # Memoized until the text changes: a repeated request at the same place costs nothing.
        ctx = doc.cached(f"fim:{offset}", lambda: build_fim_context(doc, offset, workspace=editor.workspace_index))
        key = (settings.model, *ctx.cache_key)
        if key in self._cache:
            self._cache.move_to_end(key)
            self.stats.cache_hits += 1
            return self._remember(doc, offset, self._cache[key], "cache")
        if settings.debounce_ms:
            await asyncio.sleep(settings.debounce_ms / 1000)
        if generation != self._generation:
            self.stats.superseded += 1
            return None
        task = asyncio.ensure_future(self._fetch(editor, ctx, doc))
        self._inflight = task
        try:
            text = await task
        except asyncio.CancelledError:
            if generation != self._generation and not _cancelling():
                self.stats.superseded += 1
                return None
            raise
        finally:
            if self._inflight is task:
                self._inflight = None
        self._cache[key] = text
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return self._remember(doc, offset, text, "model")

    # -- steps ------------------------------------------------------------------------------------

    def _typed_through(self, doc: Document, offset: int) -> str | None:
        last = self._last
        if last is None or last.uri != doc.uri or offset <= last.anchor:
            return None
        text = doc.text
        typed = text[last.anchor:offset]
        if not last.text.startswith(typed) or len(typed) >= len(last.text):
            return None
        if not text.startswith(last.before) or text[offset:] != last.after:
            return None
        rest = last.text[len(typed):]
        return rest if rest.strip() else None

    def _remember(self, doc: Document, offset: int, text: str | None, source: Literal["model", "cache"]) -> Completion | None:
        if text is None:
            return None
        whole = doc.text
        self._last = ShownCompletion(doc.uri, offset, whole[:offset], whole[offset:], text)
        return Completion(text, source)

    async def _fetch(self, editor: Editor, ctx: FimContext, doc: Document) -> str | None:
        settings = editor.settings.completion
        request = FimRequest(
            settings.model, ctx.prompt, ctx.suffix,
            max_tokens=settings.max_tokens, stop=ctx.stop, temperature=0.0,
        )
        received: list[str] = []
        text = ""
        started = time.monotonic()
        self.stats.requests += 1
        try:
            async with contextlib.aclosing(editor.client().fim_stream(request)) as events:
                async for event in events:
                    if not isinstance(event, TextDelta):
                        continue
                    received.append(event.text)
                    text = "".join(received)
                    if "\n" not in event.text:
                        continue
                    keep: int | None
                    if not ctx.multiline:
                        keep = text.index("\n")
                    else:
                        keep = closed_block(doc.language, ctx.prefix_text, text,
                                            block_start=ctx.block_start, base_indent=ctx.base_indent)
                    if keep is not None:
                        # Leaving the loop closes the stream: the server stops generating.
                        self.stats.early_stops += 1
                        text = text[:keep]
                        break
        except asyncio.CancelledError:
            self.stats.cancelled_streams += 1
            self.stats.discarded_tokens += estimate_tokens("".join(received))
            log.debug("completion cancelled; completion stats %s", json.dumps(dataclasses.asdict(self.stats)))
            raise
        except MistralError as exc:
            self._failed(editor, str(exc))
            return None
        self._shown_error = None
        log.debug("completion: %d characters in %.0f ms; completion stats %s", len(text),
                  (time.monotonic() - started) * 1000, json.dumps(dataclasses.asdict(self.stats)))
        return finish(ctx, text)

    def _failed(self, editor: Editor, message: str) -> None:
        log.warning("inline completion failed: %s", message)
        if message != self._shown_error:
            self._shown_error = message
            editor.show_message(f"mistral-lsp: inline completion failed — {message}", types.MessageType.Warning)


def _cancelling() -> bool:
    """Whether the current task itself is being cancelled (not just a task it awaited)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return bool(cancelling()) if cancelling is not None else False
