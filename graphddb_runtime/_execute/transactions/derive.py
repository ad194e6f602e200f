"""Key AttributeValues inside transaction items (docs/format.md sections 10.2 and 22.3).

Derivation itself is ``_bind.keys`` (one implementation for commands and transactions); a
transaction item serializes a derived key with :func:`key_av`: a non-empty string is sent as
``S`` unchecked, because the key-size pre-flight (section 22.3, :func:`key_names`) measures it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..._values.codec import serialize_key
from ...spec.plans import TableSchema

__all__ = ["AV", "key_av", "key_names"]

AV = dict[str, Any]


def key_av(value: Any, op_id: str, attribute: str) -> AV:
    """A key attribute's AttributeValue (a non-empty string, a number or bytes)."""
    if type(value) is str and value:
        return {"S": value}
    return serialize_key(value, op_id=op_id, attribute=attribute)


def key_names(tables: Iterable[TableSchema | None]) -> frozenset[str]:
    """Every table and index key attribute of ``tables`` (the key-size pre-flight, 22.3)."""
    return frozenset(
        attr
        for table in tables
        if table is not None
        for attrs in (table.key_attributes, *table.indexes.values())
        for attr in attrs
    )
