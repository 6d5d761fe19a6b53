"""What users are shown: one short line, the key hint in the editor's own words, decode errors
naming the field as it is spelled on the wire."""

from __future__ import annotations

import pytest
from lsprotocol import types

from mistral_lsp.logs import one_line
from mistral_lsp.lsp.server import key_hint_for
from mistral_lsp.lsp.wire import describe


def test_one_line_joins_lines_and_cuts_long_text() -> None:
    assert one_line("the fix failed:\n  RebaseError\n") == "the fix failed: RebaseError"
    long = one_line("x" * 1_000_000, 300)
    assert len(long) == 300 and long.endswith("…")


@pytest.mark.parametrize(("client", "words"), [
    ("Neovim", "api_key_cmd"),
    ("Visual Studio Code", '"Mistral: Set API Key"'),
    ("code-server", '"Mistral: Set API Key"'),
    ("helix", "mistral.apiKey"),
    (None, "MISTRAL_API_KEY"),
])
def test_the_key_hint_fits_the_client(client: str | None, words: str) -> None:
    assert words in key_hint_for(client)


def test_a_decode_error_names_the_wire_field() -> None:
    from cattrs.errors import ClassValidationError
    from lsprotocol.converters import get_converter

    with pytest.raises(ClassValidationError) as failed:
        get_converter().structure({"textDocument": 5}, types.DocumentDiagnosticParams)
    assert describe(failed.value) == "textDocument.uri: expected str"
