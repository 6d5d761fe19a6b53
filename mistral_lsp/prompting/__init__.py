"""Prompting: the budgeted context around a target, the prompt templates, reading replies,
and the token estimate.

Rule: pure functions over documents and strings; imports only `syntax/` and the leaves.
"""
