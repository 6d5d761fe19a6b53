"""How a Python field name is spelled on the wire: `show_result` is `showResult`.

The one camelCase helper, for the protocol's attrs classes (`lsp/converter.py`), the settings
(`options/`), error messages that name a field, and the schema generator (`tools/`). A
trailing underscore, which only keeps a name off a Python keyword (`from_`), is dropped, as
lsprotocol's converter does. A leaf: it imports nothing of the package.
"""

from __future__ import annotations


def camel_case(name: str) -> str:
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part.title() for part in rest)


def camel_path(path: str) -> str:
    """A dotted path of field names, each part on the wire: `text_document.uri` → `textDocument.uri`."""
    return ".".join(camel_case(part) for part in path.split("."))
