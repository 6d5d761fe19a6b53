"""Which lines a `git diff -U0` touched, and which definition units `mistral-lsp review` picks
from them (pure: no git, no API)."""

from __future__ import annotations

from mistral_lsp.ci.batch import SourceFile, selected_units
from mistral_lsp.ci.diff import parse_diff
from mistral_lsp.review.units import snapshot_of
from mistral_lsp.syntax.document import Document

DIFF = """\
diff --git a/app.py b/app.py
index 1111111..2222222 100644
--- a/app.py
+++ b/app.py
@@ -3 +3,2 @@ def a():
-    return 1
+    return 2
+    # more
@@ -9,2 +10,0 @@ def b():
diff --git a/new.py b/new.py
new file mode 100644
--- /dev/null
+++ b/new.py
@@ -0,0 +1,3 @@
+x = 1
+y = 2
+z = 3
diff --git a/gone.py b/gone.py
deleted file mode 100644
--- a/gone.py
+++ /dev/null
@@ -1 +0,0 @@
-x = 1
"""

SOURCE = """\
def a():
    x = 1
    return 2
    # more


def b():
    y = 1
    return y


def c():
    return 3
"""


def test_changed_and_deleted_lines_per_file() -> None:
    app, new = parse_diff(DIFF)  # the deleted file is not reviewed
    assert (app.path, sorted(app.lines), sorted(app.deleted_after)) == ("app.py", [2, 3], [9])
    assert (new.path, sorted(new.lines), new.deleted_after) == ("new.py", [0, 1, 2], frozenset())


def test_units_owning_changed_lines_and_deletion_points_are_selected() -> None:
    doc = Document("file:///w/app.py", SOURCE)
    snap = snapshot_of(doc)
    edited = SourceFile("app.py", SOURCE, frozenset({2}), frozenset())
    assert [u.name for u in selected_units(snap, edited)] == ["a"]
    # Lines removed after line 9 (the end of `b`); a changed blank line selects nothing.
    removed = SourceFile("app.py", SOURCE, frozenset({4}), frozenset({8}))
    assert [u.name for u in selected_units(snap, removed)] == ["b"]
    whole = SourceFile("app.py", SOURCE)
    assert [u.name for u in selected_units(snap, whole)] == ["a", "b", "c"]
