"""`mistral-lsp review`: the same review as the editor's, for pre-commit hooks and CI.

An entry point beside `cli.py`: `command.py` parses the command line, `config.py` reads the
settings, `diff.py` asks git what changed, `batch.py` reviews the changed definitions through
the review cache the server shares, and `report.py` / `sarif.py` write the result. No pygls.
"""
