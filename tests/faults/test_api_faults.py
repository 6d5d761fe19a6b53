"""The fault matrix, API side: every way the API or the network can fail, and every answer that
must not be applied. One server for the module; each case checks the four promises (see
conftest.py): alive, the cause named, nothing applied, the next action works.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from lsprotocol import types

from mistral_lsp.testing.fake_api import Reply

from .conftest import (
    API_KEY,
    CART,
    FIXED_CART,
    GOOD_FIX,
    IN_TOTAL,
    FaultEditor,
    assert_no_key,
    expect_refused,
    rng,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIX_LINES = ["Here is the fix:\n\n", "```python\n", "def total(self, discount):\n",
             "    subtotal = sum(item.price for item in self.items)\n",
             "    return subtotal - subtotal * discount / 100\n", "```\n"]
UNCLOSED = "Here is the fix:\n\n```python\ndef total(self, discount):\n    subtotal = sum("
VLLM_NO_MODEL = {"error": {"message": "The model `codestral-latest` does not exist.", "type": "NotFoundError",
                           "code": 404}}

# (case, the replies, what the message must say)
HTTP_STATUS = [
    ("401", [Reply(status=401)], r"rejected the key.*api_key_cmd"),
    ("401-body-echoes-key", [Reply(status=401, body={"detail": f"Invalid key {API_KEY}"})], r"rejected the key"),
    ("403", [Reply(status=403)], r"rejected the key \(HTTP 403"),
    ("404-model", [Reply(status=404, body=VLLM_NO_MODEL)], r"does not know this model.*mistral\.model"),
    ("404-url", [Reply(status=404)], r"not found.*mistral\.baseUrl"),
    ("422", [Reply(status=422)], r"refused the request \(HTTP 422.*Extra inputs"),
    ("429-retry-after", [Reply(status=429, retry_after=1)] * 3, r"rate limited.*retry after 1 s"),
    ("429-no-retry-after", [Reply(status=429)] * 3, r"rate limited .*HTTP 429"),
    ("502-repeatedly", [Reply(status=502)] * 3, r"the API failed \(HTTP 502.*try again"),
    ("503-repeatedly", [Reply(status=503)] * 3, r"the API failed \(HTTP 503.*try again"),
]
CONNECTION = [
    ("timeout-before-first-byte", [Reply(chunks=FIX_LINES, delay_before_first_byte=4)],
     r"no answer from .* within 2 s.*timeoutSeconds"),
    ("stall-mid-stream", [Reply(chunks=FIX_LINES, delay_per_chunk=4)], r"stalled for 2 s"),
    ("cut-aborted", [Reply(chunks=FIX_LINES, cut_after_chunks=3)], r"cut mid-answer"),
    ("cut-chunked-no-done", [Reply(chunks=FIX_LINES, cut_after_chunks=3, cut_style="chunked")], r"cut off"),
    ("cut-close-delimited", [Reply(chunks=FIX_LINES, cut_after_chunks=3, cut_style="close")], r"cut off"),
    # The cut falls where the code so far is a closed block: still refused.
    ("cut-close-delimited-after-fence", [Reply(chunks=FIX_LINES, cut_after_chunks=6, cut_style="close")], r"cut off"),
    ("proxy-reset", [Reply(chunks=FIX_LINES, cut_after_chunks=3, cut_style="reset")], r"cut mid-answer"),
]
CONTENT = [
    ("malformed-sse", [Reply(chunks=FIX_LINES, malformed_at=2)], r"malformed"),
    ("empty-reply", [Reply(text="")], r"answer was empty"),
    ("no-fence", [Reply(text="I looked at this function carefully and it seems fine to me.")], r"without a code block"),
    ("unclosed-fence", [Reply(text=UNCLOSED)], r"never closed"),
    ("finish-length", [Reply(text=UNCLOSED, finish_reason="length")], r"maxTokens.*actions\.fix\.maxTokens"),
    ("thinking-only", [Reply(text="", thinking="Let me think about the discount. " * 20)], r"only thought"),
    ("one-megabyte-reply", [Reply(text="This function looks fine. " * 40_000)], r"without a code block"),
]


@pytest.mark.parametrize(("name", "replies", "cause"), HTTP_STATUS + CONNECTION + CONTENT,
                         ids=[c[0] for c in HTTP_STATUS + CONNECTION + CONTENT])
async def test_fault_is_refused_and_named(ed: FaultEditor, name: str, replies: list[Reply], cause: str) -> None:
    await expect_refused(ed, name, replies, cause)


async def test_500_then_success_applies_the_fix_without_a_message(ed: FaultEditor) -> None:
    uri = await ed.open("500-then-success.py", CART)
    ed.fake.reset()
    ed.fake.enqueue(Reply(status=500), GOOD_FIX)
    shown = len(ed.shown())
    result, error = await ed.attempt("mistral.fix", {"uri": uri, "range": IN_TOTAL})
    assert error is None and result["applied"] is True
    assert ed.texts[uri] == FIXED_CART
    assert len(ed.fake.requests) >= 2  # it was retried
    assert ed.shown()[shown:] == []


async def test_refused_connection_names_the_url_and_the_next_action_works(ed: FaultEditor) -> None:
    base_url = ed.fake.base_url
    ed.fake.stop()  # nothing listens on the port now
    try:
        uri = await ed.open("refused.py", CART)
        shown, edits = len(ed.shown()), len(ed.applied_edits)
        _, error = await ed.attempt("mistral.fix", {"uri": uri, "range": IN_TOTAL})
        assert error is not None
        assert f"cannot reach {base_url}" in error.message and "mistral.baseUrl" in error.message
        assert len(ed.shown()[shown:]) == 1
        assert ed.texts[uri] == CART and len(ed.applied_edits) == edits
    finally:
        ed.fake.start()  # the same port again
    ed.fake.reset()
    ed.fake.enqueue(GOOD_FIX)
    result, error = await ed.attempt("mistral.fix", {"uri": uri, "range": IN_TOTAL})
    assert error is None and result["applied"] is True and ed.texts[uri] == FIXED_CART


async def test_explain_with_no_text_says_so_and_opens_nothing(ed: FaultEditor) -> None:
    uri = await ed.open("explain-empty.py", CART)
    ed.fake.reset()
    ed.fake.enqueue(Reply(text="", thinking="Hmm. " * 10))
    _, error = await ed.attempt("mistral.explain", {"uri": uri, "range": IN_TOTAL, "showResult": True})
    assert error is not None and re.search(r"answer was empty|only thought", error.message)
    ed.fake.enqueue(Reply(text="It adds up the prices."))
    result, error = await ed.attempt("mistral.explain", {"uri": uri, "range": IN_TOTAL, "showResult": False})
    assert error is None and result["text"] == "It adds up the prices."


@pytest.mark.parametrize(("name", "reply", "cause"), [
    ("tests-no-fence", Reply(text="You should test the total with a discount."), r"without a code block"),
    ("tests-unclosed", Reply(text="```python\ndef test_total():\n    assert"), r"never closed"),
])
async def test_generated_tests_only_from_a_closed_block(ed: FaultEditor, name: str, reply: Reply, cause: str) -> None:
    uri = await ed.open(f"{name}.py", CART)
    files_before, edits_before = set(ed.workspace.rglob("*")), len(ed.applied_edits)
    ed.fake.reset()
    ed.fake.enqueue(reply)
    _, error = await ed.attempt("mistral.generateTests", {"uri": uri, "range": IN_TOTAL, "showResult": False})
    assert error is not None and re.search(cause, error.message)
    assert len(ed.applied_edits) == edits_before and set(ed.workspace.rglob("*")) == files_before


async def test_the_key_never_appears_in_any_output(ed: FaultEditor) -> None:
    assert ed.command_errors, "the cases above ran first"
    assert_no_key(ed)



@pytest.mark.parametrize("preview", [False, True], ids=["apply", "preview"])
async def test_the_target_edited_while_the_fix_streams_is_refused_in_one_line(ed: FaultEditor, preview: bool) -> None:
    uri = await ed.open(f"edited-while-streaming-{preview}.py", CART)
    ed.fake.reset()
    ed.fake.enqueue(Reply(chunks=FIX_LINES, delay_per_chunk=0.2))
    shown, edits = len(ed.shown()), len(ed.applied_edits)
    running = asyncio.ensure_future(ed.attempt("mistral.fix", {"uri": uri, "range": IN_TOTAL, "preview": preview}))
    await ed.wait_until(lambda: any(s.get("uri") == uri and s.get("delta") for s in ed.streams), what="the first text")
    ed.edit(uri, [types.TextEdit(range=rng(9, 43, 9, 45), new_text="/ 1000")])  # the user types in the target
    typed = ed.texts[uri]
    result, error = await running
    message = error.message if error else result["message"]
    assert "edited while it answered" in message and "run Fix again" in message
    new_shown = ed.shown()[shown:]
    assert len(new_shown) == 1 and "edited while it answered" in new_shown[0], new_shown
    assert "internal error" not in new_shown[0] and "\n" not in new_shown[0] and "Error" not in new_shown[0]
    assert len(ed.applied_edits) == edits and ed.texts[uri] == typed
    ed.fake.enqueue(GOOD_FIX)
    result, error = await ed.attempt("mistral.fix", {"uri": uri, "range": IN_TOTAL})
    assert error is None and result["applied"] is True and ed.texts[uri] == FIXED_CART
