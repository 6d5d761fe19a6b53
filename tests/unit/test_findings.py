"""Findings never point at the wrong line: validated, clamped, moved with their code, or dropped."""

from __future__ import annotations

import pytest
from lsprotocol import types

from mistral_lsp.review.findings import (
    SNIPPET_SEARCH_LINES,
    Finding,
    FindingsStore,
    findings_from_reply,
    revalidate,
    shift_for_change,
)

LINES = ["def f(x):", "    y = x / 0", "    return y", "", "def g():", "    pass"]


def finding(start: int, end: int | None = None, snippet: str = "y = x / 0") -> Finding:
    return Finding(start, start if end is None else end, "error", "bug", "Division by zero", "x / 0 raises.", snippet)


def reply(**overrides: object) -> dict[str, object]:
    item = {"startLine": 2, "endLine": 2, "severity": "error", "category": "bug", "title": "Division by zero",
            "message": "x / 0 raises.", "snippet": "y = x / 0", "replacement": "    y = x / 1"}
    item.update(overrides)
    return {"findings": [item]}


def test_valid_finding_is_kept_zero_based() -> None:
    (f,) = findings_from_reply(reply(), LINES)
    assert (f.start_line, f.end_line, f.replacement) == (1, 1, "    y = x / 1")


def test_out_of_range_is_clamped_or_dropped() -> None:
    assert findings_from_reply(reply(startLine=40, endLine=50), LINES) == []  # its snippet is not at the clamped line
    (f,) = findings_from_reply(reply(startLine=2, endLine=99), LINES)
    assert f.end_line == len(LINES) - 1


def test_snippet_off_by_one_is_reanchored() -> None:
    (f,) = findings_from_reply(reply(startLine=3, endLine=3), LINES)
    assert f.start_line == 1


def test_snippet_nowhere_near_is_dropped() -> None:
    assert findings_from_reply(reply(snippet="not in the file"), LINES) == []


def test_garbage_items_are_skipped() -> None:
    payload = {"findings": ["x", {"startLine": "two"}, {"startLine": 1}, *reply()["findings"]]}  # type: ignore[list-item]
    assert len(findings_from_reply(payload, LINES)) == 1
    assert findings_from_reply({"nope": 1}, LINES) == []
    assert findings_from_reply(None, LINES) == []


def change(start: tuple[int, int], end: tuple[int, int], text: str) -> types.TextDocumentContentChangePartial:
    return types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=start[0], character=start[1]), end=types.Position(line=end[0], character=end[1])),
        text=text,
    )


def test_lines_inserted_above_move_the_finding() -> None:
    (moved,) = shift_for_change([finding(1)], change((0, 0), (0, 0), "# a\n# b\n"))
    assert moved.start_line == 3


def test_edit_inside_the_finding_removes_it() -> None:
    assert shift_for_change([finding(1)], change((1, 8), (1, 9), "z")) == []


def test_edit_below_leaves_it() -> None:
    kept = finding(1)
    assert shift_for_change([kept], change((4, 0), (5, 0), "")) == [kept]


def test_revalidate_drops_when_snippet_gone() -> None:
    kept = finding(1)
    assert revalidate([kept], ["def f(x):", "    y = 2", "    return y"]) == []
    assert revalidate([kept], LINES) == [kept]


def test_store_applies_changes_per_origin() -> None:
    store = FindingsStore()
    store.set("u", "review", [finding(1)])
    store.set("u", "save", [finding(1)])
    new_lines = ["# new", *LINES]
    assert store.apply_changes("u", [change((0, 0), (0, 0), "# new\n")], new_lines)
    assert [f.start_line for f in store.get("u", "review")] == [2]
    assert [f.start_line for f in store.get("u", "save")] == [2]
    # The same finding from two origins (review on save restoring what the Review command
    # seeded) is published once.
    assert [f.start_line for f in store.get("u")] == [2]
    store.clear("u")
    assert not store.has("u")


# -- re-anchoring: the model counts lines from sparse anchors ---------------------------------

BODY = [
    "def parse(items):",      # 0
    "    out = []",            # 1
    "    for item in items:",  # 2
    "        if not item:",    # 3
    "            return None",  # 4  (file line 5: an anchor)
    "        out.append(item)",  # 5
    "    if not out:",         # 6
    "        return None",     # 7
    "    total = sum(out)",    # 8
    "    return total",        # 9  (file line 10: an anchor)
    "",                         # 10
    "def other():",            # 11
    "    return None  # unused",  # 12
]


def placed(line: int, snippet: str, lines: list[str] = BODY, **kwargs: object) -> int | None:
    found = findings_from_reply(reply(startLine=line + 1, endLine=line + 1, snippet=snippet), lines, **kwargs)  # type: ignore[arg-type]
    return found[0].start_line if found else None


@pytest.mark.parametrize("off", [-4, -3, -2, -1, 1, 2, 3, 4])
def test_a_finding_counted_up_to_four_lines_off_lands_on_its_snippet(off: int) -> None:
    assert placed(8 + off, "total = sum(out)") == 8
    assert placed(5 + off, "out.append(item)") == 5


def test_an_ambiguous_snippet_goes_to_the_copy_nearest_the_model_s_line() -> None:
    assert placed(5, "return None") == 4  # lines 4 and 7 hold it: 4 is one away, 7 two
    assert placed(6, "return None") == 7
    # Equally far from both copies: the upper one, always.
    equal = ["x = 1", "return None", "y = 2", "return None"]
    assert placed(2, "return None", equal) == 1
    # A line that *is* the snippet beats one that only contains it, at the same distance.
    assert placed(10, "return None") == 7  # 12 holds `return None  # unused`, 7 is exactly it


def test_a_snippet_with_no_holder_in_the_window_is_dropped() -> None:
    far = ["    total = sum(out)", *[f"    x{i} = {i}" for i in range(SNIPPET_SEARCH_LINES + 1)]]
    assert placed(len(far) - 1, "total = sum(out)", far) is None
    assert placed(SNIPPET_SEARCH_LINES, "total = sum(out)", far) == 0


def test_a_finding_is_only_moved_onto_lines_the_prompt_showed() -> None:
    assert placed(6, "return None", shown={6, 7, 8}) == 7
    assert placed(5, "return None", shown={5, 6}) is None
    assert placed(5, "return None", within=(6, 9)) == 7


def test_a_far_out_line_number_is_not_clamped_onto_a_snippet() -> None:
    assert placed(40, "return total") is None


def test_revalidate_moves_a_finding_to_the_nearest_copy_of_its_line() -> None:
    moved = revalidate([finding(5, snippet="return None")], BODY)
    assert [f.start_line for f in moved] == [4]
