"""Syntax: documents with incremental tree-sitter trees, targets, definitions, languages.

Importing this package loads neither `tree_sitter` nor any grammar: the server starts fast and
a grammar is imported the first time a document in its language is parsed.
"""

from __future__ import annotations

from mistral_lsp.syntax.document import Document, DocumentStore
from mistral_lsp.syntax.languages import LANGUAGES, LanguageSpec, language_for
from mistral_lsp.syntax.targets import Definition, Target, definitions, file_target, select_target

__all__ = [
    "LANGUAGES",
    "Definition",
    "Document",
    "DocumentStore",
    "LanguageSpec",
    "Target",
    "definitions",
    "file_target",
    "language_for",
    "select_target",
]
