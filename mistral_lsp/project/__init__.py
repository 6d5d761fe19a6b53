"""The team's files in the repository: review rules, custom actions and project instructions.

A leaf layer (no LSP, no network): `.mistral/rules/*.md`, `.mistral/actions/*.md`, and
`AGENTS.md` or `.mistral/instructions.md` at a workspace root are read and checked here; the
review, the actions, the server and `mistral-lsp rules` use what this returns.
"""
