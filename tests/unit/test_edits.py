"""Re-indentation, minimal diffs and rebasing: the pieces that keep fixes on the right lines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mistral_lsp.text.edits import (
    RebaseError,
    apply_offset_edits,
    minimal_edits,
    rebase_target,
    reindent,
)


def test_reindent_dedented_method_to_target_indent() -> None:
    code = "def f(self):\n    if x:\n        return 1\n\n    return 2"
    assert reindent(code, "    ") == "    def f(self):\n        if x:\n            return 1\n\n        return 2"


def test_reindent_over_indented_reply() -> None:
    assert reindent("        a = 1\n        b = 2", "    ") == "    a = 1\n    b = 2"


def test_reindent_keeps_already_right_code() -> None:
    code = "    x = 1\n    y = 2"
    assert reindent(code, "    ") == code


def test_reindent_line_less_indented_than_first() -> None:
    # A closing brace dedented below the body's first line keeps the target's indentation.
    assert reindent("    foo();\n}", "\t") == "\tfoo();\n\t}"


def test_minimal_edit_narrows_within_a_line() -> None:
    old = "a = 1\nb = total / 10\nc = 3\n"
    new = "a = 1\nb = total / 100\nc = 3\n"
    (edit,) = minimal_edits(old, new)
    assert edit.new_text == "0"
    assert old[edit.start : edit.end] == ""
    assert apply_offset_edits(old, [edit]) == new


def test_minimal_edits_with_base_offset() -> None:
    prefix = "header\n"
    old, new = "x = 1\ny = 2\n", "x = 1\ny = 3\nz = 4\n"
    edits = minimal_edits(old, new, base=len(prefix))
    assert apply_offset_edits(prefix + old, edits) == prefix + new


@given(st.lists(st.sampled_from(["a", "b", "c", "dd", "", "e f"]), max_size=8),
       st.lists(st.sampled_from(["a", "b", "c", "dd", "", "x y"]), max_size=8))
def test_minimal_edits_always_reproduce_the_new_text(old_lines: list[str], new_lines: list[str]) -> None:
    old, new = "\n".join(old_lines), "\n".join(new_lines)
    assert apply_offset_edits(old, minimal_edits(old, new)) == new


def test_rebase_unchanged_position() -> None:
    assert rebase_target("abc TARGET def", 4, "TARGET") == 4


def test_rebase_after_edit_above() -> None:
    assert rebase_target("new line\nabc TARGET def", 4, "TARGET") == 13


def test_rebase_refuses_when_target_edited() -> None:
    with pytest.raises(RebaseError, match="edited while it answered"):
        rebase_target("abc TARGXT def", 4, "TARGET")


def test_rebase_refuses_ambiguous_copies() -> None:
    with pytest.raises(RebaseError, match="more than once"):
        rebase_target("TARGET xx TARGET", 5, "TARGET")


def test_rebase_picks_nearest_copy() -> None:
    text = "TARGET\n" + "filler\n" * 20 + "moved TARGET"
    assert rebase_target(text, len(text) - 6 - 3, "TARGET") == len(text) - 6
