"""Workspace tools the model calls during an action (function calling), read-only and bounded.

Serves no LSP method (pure of pygls): `actions/model_call.py` offers `TOOL_SCHEMAS` and runs the
model's calls through a `ToolBox`. `guard` confines paths and denies secrets, `catalog` ranks and
reads the indexed files, `tools` answers `definition`, `references`, `read` and `search`.
"""

from mistral_lsp.lookup.guard import SECRET_GLOBS, PathGuard, ToolError
from mistral_lsp.lookup.toolbox import TOOL_SCHEMAS, Lookup, ToolBox
from mistral_lsp.lookup.tools import Workspace

__all__ = [
    "SECRET_GLOBS",
    "TOOL_SCHEMAS",
    "Lookup",
    "PathGuard",
    "ToolBox",
    "ToolError",
    "Workspace",
]
