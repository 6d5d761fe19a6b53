"""`python -m mistral_lsp` runs the same CLI as the `mistral-lsp` executable."""

from mistral_lsp.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
