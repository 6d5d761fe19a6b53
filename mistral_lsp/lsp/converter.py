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
from mistral_lsp.casing import camel_case


def _protocol_classes() -> list[type]:
    return [
        value for value in vars(protocol).values()
        if isinstance(value, type) and attrs.has(value) and value.__module__ == protocol.__name__
    ]


def teach(converter: cattrs.Converter) -> None:
    """Register hook factories for every attrs class of the protocol: each hook is built on the
    class's first use, so start-up pays for none of them (cold start is measured in bench/)."""
    classes = frozenset(_protocol_classes())
    # Only what the editor sends is ever structured: command arguments.
    arguments = frozenset(spec.arguments for spec in protocol.COMMANDS if spec.arguments is not None)
    converter.register_unstructure_hook_factory(lambda cls: cls in classes, lambda cls: _unstructure_fn(cls, converter))
    converter.register_structure_hook_factory(lambda cls: cls in arguments, lambda cls: _structure_fn(cls, converter))


def _structure_fn(cls: type, converter: cattrs.Converter) -> Any:
    renames = {field.name: override(rename=camel_case(field.name)) for field in attrs.fields(cls)}
    return make_dict_structure_fn(cls, converter, **renames)  # type: ignore[arg-type]


def _unstructure_fn(cls: type, converter: cattrs.Converter) -> Any:
    names = [(field.name, camel_case(field.name)) for field in attrs.fields(cls)]

    def unstructure(value: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, key in names:
            item = getattr(value, name)
            if item is not None:
                out[key] = converter.unstructure(item)
        return out

    return unstructure
