"""The actions: fix, explain, review, generate tests, and review on save.

Each action is `target -> context -> prompt -> streamed answer -> result`. Actions talk to the
editor only through the small Protocols in `editor.py`, which the LSP layer (`lsp/`)
implements: nothing here imports pygls, so an action can run under any front end.

Rule: imports go down only — to `review/`, `prompting/`, `text/`, `syntax/`, `mistral/` and the
leaves (`protocol`, `options`, `logs`); never up to `lsp/`.
"""
