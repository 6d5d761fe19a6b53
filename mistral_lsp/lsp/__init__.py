"""The LSP layer: the only package that sees pygls.

`server.py` holds the session's shared state and implements the actions' `Editor` protocol;
`features.py` is the one registration table; each other module serves the LSP methods its
docstring names. Requests are turned into action calls here, and every failure is caught
here, at the edge, and turned into a message and a JSON-RPC error.
"""
