"""What review on save shows the model: the changed units as blocks, and the file's outline
trimmed to a budget on a big file (`review/prompt.py`)."""

from __future__ import annotations

from mistral_lsp.review.prompt import MODULE_KIND, MODULE_NAME, blocks, outline_for
from mistral_lsp.review.units import Snapshot, Unit, snapshot_of
from mistral_lsp.syntax.document import Document

SOURCE = '''import os

LIMIT = 3


class Cart:
    """A cart."""

    def add(self, item):
        return item

    def total(self):
        return helper(LIMIT) + filler_29(1)


def helper(n):
    return n * 2
''' + "".join(f"\n\ndef filler_{i}(x):\n    return x + {i}\n" for i in range(30))


def snapshot() -> Snapshot:
    return snapshot_of(Document("file:///w/cart.py", SOURCE, 1, "python"))


def units(snap: Snapshot, *names: str) -> list[Unit]:
    return [unit for unit in snap.units if unit.name in names]


def shown(snap: Snapshot, *names: str) -> list[tuple[str, str, int, int]]:
    return [(d.name, d.kind, d.start_line, d.end_line) for d in blocks(snap, units(snap, *names))]


def test_a_class_changed_whole_is_one_block_shown_as_the_class() -> None:
    snap = snapshot()
    assert shown(snap, "Cart", "add", "total") == [("Cart", "class", 5, 12)]


def test_units_separated_by_blank_lines_only_are_one_block_named_after_them() -> None:
    snap = snapshot()
    assert shown(snap, "add", "total") == [("add, total", "code", 8, 12)]
    assert shown(snap, "total", "helper") == [("total, helper", "code", 11, 16)]
    assert shown(snap, "add", "filler_0") == [("add", "method", 8, 9), ("filler_0", "function", 19, 20)]
    assert shown(snap, "(module level)") == [(MODULE_NAME, MODULE_KIND, 0, 2)]


def test_a_trimmed_outline_keeps_the_class_around_and_the_names_used_and_counts_the_rest() -> None:
    snap = snapshot()
    outline = outline_for(snap, units(snap, "total"), 40).split("\n")
    assert outline[0].endswith("class Cart:")  # the class around the changed method
    assert any(row.endswith("def filler_29(x):") for row in outline)  # a name it uses, however far
    assert not any("def total" in row for row in outline)  # shown whole anyway
    assert not any("filler_28" in row for row in outline)  # far and unused
    listed = [row for row in outline if row.lstrip()[:1].isdigit()]
    assert "…" in outline
    assert outline[-1] == f"({len(snap.definitions) - 1 - len(listed)} other definitions not listed)"
    # The class around the changed method is kept even past the budget.
    assert outline_for(snap, units(snap, "total"), 1).split("\n")[:2] == ["  6: class Cart:", "…"]
    # Within budget, the whole outline, untouched.
    assert outline_for(snap, units(snap, "total"), 10_000) == snap.outline
