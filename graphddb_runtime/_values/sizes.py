"""The request-size estimate of docs/format.md section 28.1, and the limits built on it.

- ``item_size`` / ``value_size``: the size of an attribute map / of one AttributeValue. Text that
  is not UTF-8 raises :class:`~graphddb_runtime._values.avrules.ValueRejected` naming the attribute.
- ``request_size``: one write's ``Item`` (or ``Key``) plus its ``ExpressionAttributeValues``;
  ``check_item_size`` / ``item_too_large``: DynamoDB's 400 KB item limit (section 22.3), for
  single-op writes and each transaction item alike.
- ``check_key_avs``: the key-size limits for already encoded key values (a transaction item's).

``_values.codec`` re-exports ``item_size`` and ``value_size``.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from boto3.dynamodb.types import Binary

from .avrules import MAX_ITEM_BYTES, ValueRejected, key_bytes_reason, text_key_reason, text_reason

__all__ = [
    "check_item_size",
    "check_key_avs",
    "item_size",
    "item_too_large",
    "raw_bytes",
    "request_size",
    "value_size",
]


def raw_bytes(value: bytes | bytearray | Binary) -> bytes | bytearray:
    """The bytes of a ``B`` value (``Binary`` wraps them)."""
    return value.value if isinstance(value, Binary) else value


def item_size(item: Mapping[str, Mapping[str, Any]], *, op_id: str = "") -> int:
    """Section 28.1: the sum over attributes of UTF-8 name length plus value size.

    Text that is not UTF-8 raises :class:`ValueRejected` naming the attribute.
    """
    total = 0
    texts = [*item]  # the names and the S values (the common case), measured joined
    try:
        for av in item.values():
            text = av.get("S")
            if text is not None:
                texts.append(text)
            else:
                number = av.get("N")  # ASCII: its length is its size
                total += len(number) if number is not None else value_size(av)
        joined = "".join(texts)
        return total + (len(joined) if joined.isascii() else len(joined.encode()))
    except UnicodeEncodeError:
        raise _not_utf8(item, op_id) from None


def _not_utf8(item: Mapping[str, Mapping[str, Any]], op_id: str) -> ValueRejected:
    """The rejection of the first attribute (name or value) that holds text that is not UTF-8."""
    for name, av in item.items():
        bad = text_reason(name) or _bad_text(av)
        if bad is not None:
            return ValueRejected(
                op_id,
                f"cannot serialize a string that is not valid UTF-8 ({bad}); DynamoDB stores "
                "UTF-8 text only",
                f"attribute '{name}'",
            )
    return ValueRejected(op_id, "cannot serialize a string that is not valid UTF-8")


def _bad_text(value: Any) -> str | None:
    if isinstance(value, str):
        return text_reason(value)
    if isinstance(value, Mapping):
        values: Any = [*value, *value.values()]
    elif isinstance(value, (list, tuple)):
        values = value
    else:
        return None
    for v in values:
        bad = _bad_text(v)
        if bad is not None:
            return bad
    return None


def request_size(body: Mapping[str, Any], *, op_id: str = "") -> int:
    """Section 28.1 estimate of one write: its ``Item`` (or ``Key``) plus every
    ``ExpressionAttributeValues`` entry."""
    size = item_size(body["Item"] if "Item" in body else body["Key"], op_id=op_id)
    values = body.get("ExpressionAttributeValues")
    return size + item_size(values, op_id=op_id) if values else size


def check_item_size(op_id: str, body: Mapping[str, Any], what: str = "the item") -> int:
    """:func:`request_size`, or :class:`ValueRejected` above DynamoDB's 400 KB item limit."""
    size = request_size(body, op_id=op_id)
    if size > MAX_ITEM_BYTES:
        raise item_too_large(op_id, size, what)
    return size


def item_too_large(op_id: str, size: int, what: str) -> ValueRejected:
    return ValueRejected(
        op_id,
        f"{what} is about {size} bytes, more than DynamoDB's item limit of 400 KB "
        f"({MAX_ITEM_BYTES} bytes)",
    )


def check_key_avs(op_id: str, avs: Mapping[str, Mapping[str, Any]], keys: AbstractSet[str]) -> None:
    """The key-size rule of :func:`serialize_key` for already encoded values: every ``S`` or
    ``B`` value of an attribute named in ``keys``."""
    for attribute, av in avs.items():
        if attribute in keys:
            text, raw = av.get("S"), av.get("B")
            if isinstance(text, str) and text:
                bad = text_key_reason(attribute, text)
            elif raw is not None:
                bad = key_bytes_reason(attribute, len(raw_bytes(raw)))
            else:
                continue
            if bad is not None:
                raise ValueRejected(op_id, bad, key=attribute)


def value_size(av: Mapping[str, Any]) -> int:
    """Section 28.1 size of one AttributeValue."""
    ((tag, value),) = av.items()
    if tag == "S":
        return len(value.encode())
    if tag == "N":
        return len(value)
    if tag == "B":
        return len(raw_bytes(value))
    if tag in ("BOOL", "NULL"):
        return 1
    if tag == "SS":
        return sum(len(s.encode()) for s in value)
    if tag == "NS":
        return sum(len(n) for n in value)
    if tag == "BS":
        return sum(len(raw_bytes(b)) for b in value)
    if tag == "L":
        return 3 + sum(1 + value_size(v) for v in value)
    if tag == "M":
        return 3 + sum(len(k) + 1 + value_size(v) for k, v in value.items())
    raise ValueError(f"not an AttributeValue type: {tag!r}")
