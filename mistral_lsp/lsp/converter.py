"""Teaches lsprotocol's converter our protocol types (`mistral_lsp.protocol`).

pygls structures command arguments and unstructures results with lsprotocol's cattrs
converter; with these hooks it reads and writes our attrs classes as the protocol spells them:
camelCase keys, and fields that are `None` left out.
"""

from __future__ import annotations

from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from mistral_lsp import protocol


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _protocol_classes() -> list[type]:
    return [
        value for value in vars(protocol).values()
        if isinstance(value, type) and attrs.has(value) and value.__module__ == protocol.__name__
    ]


def teach(converter: cattrs.Converter) -> None:
    """Register structure and unstructure hooks for every attrs class of the protocol."""
    for cls in _protocol_classes():
        converter.register_unstructure_hook(cls, _unstructure_fn(cls, converter))
    # Only what the editor sends is ever structured: command arguments.
    for arguments in {spec.arguments for spec in protocol.COMMANDS if spec.arguments is not None}:
        renames = {field.name: override(rename=camel(field.name)) for field in attrs.fields(arguments)}
        converter.register_structure_hook(arguments, make_dict_structure_fn(arguments, converter, **renames))  # type: ignore[arg-type]


def _unstructure_fn(cls: type, converter: cattrs.Converter) -> Any:
    names = [(field.name, camel(field.name)) for field in attrs.fields(cls)]

    def unstructure(value: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, key in names:
            item = getattr(value, name)
            if item is not None:
                out[key] = converter.unstructure(item)
        return out

    return unstructure
