"""Hunks: a fix's change split where unchanged lines separate it, each found again in a changed
document alone, and the tolerant reading of a fix answer's `path :: name` blocks."""

from __future__ import annotations

import pytest

from mistral_lsp.prompting.replies import fix_blocks
from mistral_lsp.text.edits import RebaseError
from mistral_lsp.text.hunks import LineHunk, locate, split_hunks, surrounding_lines

OLD = """\
def total(items, discount):
    subtotal = 0
    for item in items:
        subtotal += item.price
    tax = subtotal * 0.2
    rate = discount / 10
    return subtotal - subtotal * rate + tax
"""
# Three changes, separated by unchanged lines: line 1, lines 3-4 (adjacent: one hunk), line 6.
NEW = """\
def total(items, discount):
    subtotal = 0.0
    for item in items:
        subtotal += item.price * item.quantity
    tax = subtotal * 0.25
    rate = discount / 10
    return round(subtotal - subtotal * rate + tax, 2)
"""


def accept(text: str, hunks: list[LineHunk]) -> tuple[str, list[LineHunk]]:
    """Apply each hunk found in `text` (as acceptFix does); the refused ones."""
    placed, refused = [], []
    for hunk in hunks:
        try:
            placed.append((locate(text, hunk), hunk))
        except RebaseError:
            refused.append(hunk)
    for start, hunk in sorted(placed, key=lambda p: p[0], reverse=True):
        text = text[:start] + hunk.new + text[start + len(hunk.old):]
    return text, refused


def test_changes_separated_by_unchanged_lines_are_separate_whole_line_hunks() -> None:
    hunks = split_hunks(OLD, NEW)
    assert [(h.old, h.new) for h in hunks] == [
        ("    subtotal = 0\n", "    subtotal = 0.0\n"),
        ("        subtotal += item.price\n    tax = subtotal * 0.2\n",
         "        subtotal += item.price * item.quantity\n    tax = subtotal * 0.25\n"),
        ("    return subtotal - subtotal * rate + tax\n", "    return round(subtotal - subtotal * rate + tax, 2)\n"),
    ]
    # Each starts at the beginning of its line in the old text.
    assert [OLD[h.start:h.end] for h in hunks] == [h.old for h in hunks]
    assert all(h.start == 0 or OLD[h.start - 1] == "\n" for h in hunks)
    # All of them together make the new text.
    assert accept(OLD, hunks) == (NEW, [])


def test_an_inserted_line_is_a_hunk_anchored_by_its_neighbours() -> None:
    old = "a = 1\nb = 2\n"
    new = "a = 1\nassert a\nb = 2\n"
    (hunk,) = split_hunks(old, new)
    assert (hunk.start, hunk.old, hunk.new, hunk.before, hunk.after) == (6, "", "assert a\n", "a = 1\n", "b = 2\n")
    assert accept("# header\n" + old, [hunk]) == ("# header\n" + new, [])


def test_accepting_one_hunk_after_the_document_moved_lands_on_its_lines() -> None:
    hunks = split_hunks(OLD, NEW, base=0)
    moved_text = "import math\n\n" + OLD  # lines added above: every hunk shifts
    text, refused = accept(moved_text, [hunks[1]])
    assert refused == []
    assert text == "import math\n\n" + OLD.replace(
        "        subtotal += item.price\n    tax = subtotal * 0.2\n",
        "        subtotal += item.price * item.quantity\n    tax = subtotal * 0.25\n",
    )
    # The others are still found in the result, where they are now.
    assert locate(text, hunks[2]) == text.index("    return subtotal")


def test_a_hunk_whose_line_was_edited_is_refused_alone_and_the_others_apply() -> None:
    hunks = split_hunks(OLD, NEW)
    edited = OLD.replace("    subtotal = 0\n", "    subtotal = 0  # start\n")  # the user edits hunk 1's line
    text, refused = accept(edited, hunks)
    assert refused == [hunks[0]]
    assert text == NEW.replace("    subtotal = 0.0\n", "    subtotal = 0  # start\n")


def test_text_typed_on_the_unchanged_line_next_to_a_hunk_refuses_it() -> None:
    # Its context line moved under it: the hunk can no longer be placed for sure.
    (hunk,) = split_hunks("x = 1\ny = 2\nz = 3\n", "x = 1\ny = 20\nz = 3\n")
    with pytest.raises(RebaseError):
        locate("x = 1  # typed\ny = 2\nz = 3\n", hunk)


def test_surrounding_lines_are_the_whole_lines_around_a_span() -> None:
    text = "one\ntwo\nthree\nfour"
    start, end = text.index("two"), text.index("four")
    assert surrounding_lines(text, start, end) == ("one\n", "four")
    assert surrounding_lines(text, 0, 4) == ("", "two\n")


ANSWER = """\
The discount is a percentage; its caller passes it as one.

```python
def total(self, discount):
    return self.subtotal() * (1 - discount / 100)
```

**shop/checkout.py :: checkout**

```python
def checkout(cart):
    return cart.total(15)
```
`shop/views.py :: CartView.render`
```python
def render(self):
    return str(self.cart.total(15))
```
"""


def test_fix_blocks_reads_the_target_and_each_labelled_block() -> None:
    target, extra = fix_blocks(ANSWER)
    assert target == "def total(self, discount):\n    return self.subtotal() * (1 - discount / 100)"
    assert [(b.path, b.name, b.code.splitlines()[0]) for b in extra] == [
        ("shop/checkout.py", "checkout", "def checkout(cart):"),
        ("shop/views.py", "CartView.render", "def render(self):"),
    ]
    assert extra[1].label == "shop/views.py :: CartView.render"


def test_a_header_separated_from_its_block_by_prose_labels_nothing() -> None:
    target, extra = fix_blocks("calc.py :: add\nand then I thought about it\n```python\nx = 1\n```\n")
    assert (target, extra) == ("x = 1", [])
