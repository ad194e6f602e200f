"""AttributeValue encoding and decoding: the only module that knows the DynamoDB wire types.

Contracts (docs/format.md sections 1.4, 9, 10.5, 22.3 and 28.1); every function is pure and never
mutates its arguments:

- ``serialize`` gives exactly what ``boto3.dynamodb.types.TypeSerializer`` gives after one
  normalization pass (``float`` -> ``Decimal(str(x))``, ``datetime`` / ``date`` -> their canonical
  text, tuples -> lists, recursively) for every value DynamoDB can store; anything else raises
  :class:`~.avrules.ValueRejected` (a ``ParameterValidationError``) naming the
  operation and the rule of ``_values.avrules``: numbers beyond DynamoDB's range, text that is not
  UTF-8, empty or mixed sets, non-text map keys, more than 32 levels of nesting, unsupported
  types. No builtin exception escapes. ``str``, ``bool``, ``int``, ``None``, ``dict`` and ``list``
  are encoded directly, without TypeSerializer, with identical results.
- ``serialize_key`` also enforces the key-value rules: a non-empty ``str`` (at most 2048 bytes for
  a partition key, 1024 for a sort key), a number (not a ``bool``), non-empty binary (same
  limits), or a ``datetime`` / ``date`` (its canonical text).
- ``deserialize`` / ``deserialize_item`` match ``TypeDeserializer`` (numbers ``Decimal``, sets
  ``set``, binary ``Binary``) and keep key order.
- ``hydrate`` (section 9.2/9.3) and ``attributes`` (section 10.5) drop internal keys and restore
  ``datetime`` / ``date`` formats; an unparsable stored value raises ``HydrationError`` naming the
  operation, entity, field and item key.
- ``native_numbers`` (section 9.4) and ``to_jsonable`` (section 9.5) return new containers.
- ``item_size`` / ``value_size`` (section 28.1) and the item-size limit live in ``_values.sizes``
and
  are re-exported here.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT, Binary, TypeDeserializer

from ..errors import HydrationError, ParameterValidationError
from .avrules import (
    ValueRejected,
    key_bytes_reason,
    serialize_number,
    serialize_text,
    text_key_reason,
)
from .datetimes import date_text, datetime_text, parse_stored
from .sizes import (
    check_item_size,
    check_key_avs,
    item_size,
    item_too_large,
    raw_bytes,
    request_size,
    value_size,
)

__all__ = [
    "ValueRejected",
    "attributes",
    "check_item_size",
    "check_key_avs",
    "date_text",
    "datetime_text",
    "deserialize",
    "deserialize_item",
    "hydrate",
    "is_internal_key",
    "is_number",
    "item_size",
    "item_too_large",
    "native_numbers",
    "request_size",
    "serialize",
    "serialize_key",
    "to_jsonable",
    "value_size",
]

Formats = Mapping[str, str]

_DESERIALIZER = TypeDeserializer()
# Integers below 10**38 in magnitude are exact in DynamoDB's 38-digit context, so str(i) is what
# TypeSerializer would produce; larger ones go through the number rule of ``_values.avrules``.
_INT_LIMIT = 10**38
_BINARY = (bytes, bytearray, Binary)
_ABSENT = object()
#: DynamoDB stores lists and maps nested at most 32 levels deep.
_MAX_DEPTH = 32


def serialize(value: Any, *, op_id: str) -> dict[str, Any]:
    """Encode one value as an AttributeValue (section 1.4)."""
    kind = type(value)
    if kind is str:
        return {"S": value if value.isascii() else serialize_text(value, op_id)}
    if kind is bool:
        return {"BOOL": value}
    if kind is int and -_INT_LIMIT < value < _INT_LIMIT:
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    return _encode(value, op_id, 1)


def _encode(value: Any, op_id: str, depth: int) -> dict[str, Any]:
    """Any value; ``depth`` is the nesting level a list or map at this place would have."""
    if isinstance(value, str):
        return {"S": value if value.isascii() else serialize_text(value, op_id)}
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, (int, float, Decimal)):
        return serialize_number(value, op_id)
    if isinstance(value, (list, tuple, Mapping)):
        if depth > _MAX_DEPTH:
            raise ValueRejected(
                op_id, f"cannot serialize lists or maps nested more than {_MAX_DEPTH} levels deep"
            )
        if not isinstance(value, Mapping):
            return {"L": [_encode(v, op_id, depth + 1) for v in value]}
        encoded = {k: _encode(v, op_id, depth + 1) for k, v in value.items()}
        for key in encoded:
            if type(key) is not str or not key.isascii():
                _map_key(key, op_id)
        return {"M": encoded}
    if isinstance(value, datetime):
        return {"S": datetime_text(value)}
    if isinstance(value, date):
        return {"S": date_text(value)}
    if isinstance(value, _BINARY):
        return {"B": raw_bytes(value) if isinstance(value, Binary) else value}
    if isinstance(value, AbstractSet):
        return _set(value, op_id)
    raise ValueRejected(op_id, f"cannot serialize a value of type {type(value).__name__}")


def _map_key(key: Any, op_id: str) -> None:
    if not isinstance(key, str):
        raise ValueRejected(
            op_id, f"cannot serialize a map key of type {type(key).__name__}: keys must be strings"
        )
    serialize_text(key, op_id)


def _set(members: AbstractSet[Any], op_id: str) -> dict[str, Any]:
    """``SS``, ``NS`` or ``BS`` in iteration order, as TypeSerializer; never empty or mixed."""
    if not members:
        raise ValueRejected(op_id, "cannot serialize an empty set: DynamoDB has no empty sets")
    if all(isinstance(m, str) for m in members):
        return {"SS": [m if m.isascii() else serialize_text(m, op_id) for m in members]}
    if all(isinstance(m, (int, float, Decimal)) and not isinstance(m, bool) for m in members):
        return {"NS": [serialize_number(m, op_id)["N"] for m in members]}
    if all(isinstance(m, _BINARY) for m in members):
        return {"BS": [raw_bytes(m) if isinstance(m, Binary) else m for m in members]}
    raise ValueRejected(
        op_id,
        "cannot serialize a value of type set: its members must be all strings, all numbers or "
        "all binary",
    )


def serialize_key(value: Any, *, op_id: str, attribute: str) -> dict[str, Any]:
    """Encode a key attribute value; reject what DynamoDB cannot use as a key (section 1.4)."""
    if type(value) is str and value:
        if len(value) > 256 or not value.isascii():  # else at most 1024 bytes of valid UTF-8
            bad = text_key_reason(attribute, value)
            if bad is not None:
                raise ValueRejected(op_id, bad, key=attribute)
        return {"S": value}
    if not _valid_key(value):
        shown = repr(value) if _is_scalar(value) else type(value).__name__
        raise ValueRejected(
            op_id, f"must be a non-empty string, a number or bytes, got {shown}", key=attribute
        )
    if isinstance(value, (datetime, date)):
        value = datetime_text(value) if isinstance(value, datetime) else date_text(value)
    if isinstance(value, str):
        return serialize_key(value, op_id=op_id, attribute=attribute)
    try:
        av = _encode(value, op_id, 1)
    except ValueRejected as exc:
        raise ValueRejected(op_id, exc.reason, key=attribute) from None
    if "B" in av:
        bad = key_bytes_reason(attribute, len(av["B"]))
        if bad is not None:
            raise ValueRejected(op_id, bad, key=attribute)
    return av


def is_number(value: Any) -> bool:
    """An int, float or Decimal that is not a bool and is finite."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, Decimal) and value.is_finite()


def _valid_key(value: Any) -> bool:
    if isinstance(value, str):
        return value != ""
    if isinstance(value, (bool, int, float, Decimal)):
        return is_number(value)
    if isinstance(value, _BINARY):
        return len(raw_bytes(value)) > 0
    return isinstance(value, date)  # datetime or date: canonical text


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, Decimal, *_BINARY))


def deserialize(av: Mapping[str, Any]) -> Any:
    """Decode one AttributeValue like ``TypeDeserializer``."""
    if len(av) == 1:
        ((tag, value),) = av.items()
        if tag in ("S", "BOOL"):
            return value
        if tag == "N":
            return DYNAMODB_CONTEXT.create_decimal(value)
        if tag == "M":
            return {k: deserialize(v) for k, v in value.items()}
        if tag == "L":
            return [deserialize(v) for v in value]
        if tag == "NULL":
            return None
    return _DESERIALIZER.deserialize(av)


def deserialize_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Decode a whole item, keeping attribute order."""
    return {name: deserialize(av) for name, av in item.items()}


def is_internal_key(name: str) -> bool:
    """``PK``, ``SK`` and ``GSI*PK`` / ``GSI*SK`` (section 9.2)."""
    return name in ("PK", "SK") or (name.startswith("GSI") and name.endswith(("PK", "SK")))


def hydrate(
    raw: Mapping[str, Any],
    projection: tuple[str, ...],
    formats: Formats,
    *,
    op_id: str | None = None,
    entity: str | None = None,
) -> dict[str, Any]:
    """Project one deserialized item: projection order, internal keys and absent fields omitted.

    ``op_id`` and ``entity`` only name the item in a ``HydrationError``.
    """
    result: dict[str, Any] = {}
    for name in projection:
        value = raw.get(name, _ABSENT)
        if value is not _ABSENT and not is_internal_key(name):
            fmt = formats.get(name)
            if fmt is not None and isinstance(value, str):
                value = _restore(value, fmt, name, raw, op_id, entity, None)
            result[name] = value
    return result


def attributes(
    raw: Mapping[str, Any],
    formats: Formats,
    *,
    op_id: str | None = None,
    entity: str | None = None,
    key: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Section 10.5 returned ``Attributes``: response order, no internal keys, formats restored.

    ``key`` (the request's ``Key`` AVs) names the item in a ``HydrationError`` when ``raw`` has
    no key attributes (``UPDATED_OLD``).
    """
    result: dict[str, Any] = {}
    for name, stored in raw.items():
        if not is_internal_key(name):
            fmt = formats.get(name)
            if fmt is not None and isinstance(stored, str):
                result[name] = _restore(stored, fmt, name, raw, op_id, entity, key)
            else:
                result[name] = stored
    return result


def _restore(  # noqa: PLR0917 - private, the context of one error
    value: str,
    fmt: str,
    name: str,
    raw: Mapping[str, Any],
    op_id: str | None,
    entity: str | None,
    key: Mapping[str, Mapping[str, Any]] | None,
) -> Any:
    if fmt not in {"datetime", "date"}:
        return value
    parsed = parse_stored(value, fmt)
    if parsed is not None:
        return parsed
    reason = f"invalid ISO 8601 {fmt}: '{value}'"
    plain = {attr: raw[attr] for attr in ("PK", "SK") if attr in raw}
    if not plain and key:
        plain = {attr: deserialize(av) for attr, av in key.items()}
    if op_id is not None:
        shown = ", ".join(f"{attr}: {v!r}" for attr, v in plain.items())
        owner = f"entity '{entity}' " if entity is not None else ""
        reason = f"{op_id}: {owner}field '{name}' of item {{{shown}}}: {reason}"
    raise HydrationError(
        reason, operation_id=op_id, entity=entity, field=name, key=plain, value=value
    )


def native_numbers(value: Any) -> Any:
    """Every ``Decimal`` (also nested) -> ``int`` if integral, else ``float`` (section 9.4).

    A dict or list reached twice (a belongsTo child shared by several parents) is converted
    once, so the converted tree shares it the same way.
    """
    return _natives(value, {})


def _natives(value: Any, seen: dict[int, Any]) -> Any:
    if isinstance(value, Decimal):
        return _native(value)
    if isinstance(value, (dict, list)):
        done = seen.get(id(value))
        if done is not None:
            return done
        if isinstance(value, dict):
            mapping: dict[Any, Any] = {}
            seen[id(value)] = mapping
            for k, v in value.items():
                mapping[k] = _natives(v, seen)
            return mapping
        sequence: list[Any] = []
        seen[id(value)] = sequence
        sequence.extend(_natives(v, seen) for v in value)
        return sequence
    if isinstance(value, tuple):
        return tuple(_natives(v, seen) for v in value)
    if isinstance(value, frozenset):
        return frozenset(_natives(v, seen) for v in value)
    if isinstance(value, set):
        return {_natives(v, seen) for v in value}
    return value


def _native(value: Decimal) -> int | float:
    if value.is_finite() and value == value.to_integral_value():
        return int(value)
    return float(value)


def to_jsonable(value: Any) -> Any:
    """JSON-safe copy of a result (section 9.5)."""
    return _jsonable(value, "$")


def _jsonable(value: Any, path: str) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, Decimal):
        return _native(value)
    if isinstance(value, Mapping):
        return {k: _jsonable(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, datetime):
        return datetime_text(value)
    if isinstance(value, date):
        return date_text(value)
    if isinstance(value, (set, frozenset)):
        return [_jsonable(v, f"{path}[{i}]") for i, v in enumerate(_sorted_members(value))]
    if isinstance(value, _BINARY):
        return base64.b64encode(raw_bytes(value)).decode("ascii")
    raise ParameterValidationError(
        f"to_jsonable: unsupported value of type {type(value).__name__} at {path}"
    )


def _sorted_members(members: AbstractSet[Any]) -> list[Any]:
    key: Callable[[Any], Any] = lambda m: raw_bytes(m) if isinstance(m, _BINARY) else m  # noqa: E731
    try:
        return sorted(members, key=key)
    except TypeError:  # mixed, incomparable members: any deterministic order will do
        return sorted(members, key=lambda m: (type(m).__name__, repr(m)))
