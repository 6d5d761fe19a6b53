"""Text: minimal edits, rebasing, re-indenting, test-file placement and file URIs.

Rule: pure functions over strings and paths, stdlib and lsprotocol types only; no I/O beyond
reading a project's test conventions, nothing of ours imported.
"""
