"""mistral-lsp: Mistral's models in any editor, as code actions over the Language Server Protocol."""

__version__ = "0.1.0"
