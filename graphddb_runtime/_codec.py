"""AttributeValue encoding and decoding: the only module that knows the DynamoDB wire types.

Contracts (docs/format.md sections 1.4, 9, 10.5 and 28.1); every function is pure and never
mutates its arguments:

- ``serialize`` gives exactly what ``boto3.dynamodb.types.TypeSerializer`` gives after one
  normalization pass (``float`` -> ``Decimal(str(x))``, ``datetime`` -> ``datetime_text``, tuples ->
  lists, recursively). Non-finite numbers and unsupported values raise ``ParameterValidationError``
  naming the operation; no ``TypeError`` escapes. ``str``, ``bool``, ``int``, ``None``, ``dict`` and
  ``list`` are encoded directly, without TypeSerializer, with identical results.
- ``serialize_key`` also enforces the key-value rule: a non-empty ``str``, a finite number (not a
  ``bool``) or non-empty binary.
- ``deserialize`` / ``deserialize_item`` match ``TypeDeserializer`` (numbers ``Decimal``, sets
  ``set``, binary ``Binary``) and keep key order.
- ``hydrate`` (section 9.2/9.3) and ``attributes`` (section 10.5) drop internal keys and restore
  ``datetime`` / ``date`` formats; an unparsable stored value raises ``HydrationError``.
- ``native_numbers`` (section 9.4) and ``to_jsonable`` (section 9.5) return new containers.
- ``item_size`` / ``value_size`` are the request-size estimate of section 28.1.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, DecimalException
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT, Binary, TypeDeserializer, TypeSerializer

from .errors import HydrationError, ParameterValidationError

__all__ = [
    "attributes",
    "datetime_text",
    "deserialize",
    "deserialize_item",
    "hydrate",
    "is_internal_key",
    "is_number",
    "item_size",
    "native_numbers",
    "serialize",
    "serialize_key",
    "to_jsonable",
    "value_size",
]

Formats = Mapping[str, str]

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()
# Integers below 10**38 in magnitude are exact in DynamoDB's 38-digit context, so str(i) is what
# TypeSerializer would produce; larger ones go through it (and are rejected there).
_INT_LIMIT = 10**38
_BINARY = (bytes, bytearray, Binary)
_ABSENT = object()


def serialize(value: Any, *, op_id: str) -> dict[str, Any]:
    """Encode one value as an AttributeValue (section 1.4)."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int and -_INT_LIMIT < value < _INT_LIMIT:
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, (list, tuple)):
        return {"L": [serialize(v, op_id=op_id) for v in value]}
    if kind is dict or isinstance(value, Mapping):
        return {"M": {k: serialize(v, op_id=op_id) for k, v in value.items()}}
    if isinstance(value, datetime):
        return {"S": datetime_text(value)}
    return _typeserialize(_normalize_leaf(value, op_id), value, op_id)


def serialize_key(value: Any, *, op_id: str, attribute: str) -> dict[str, Any]:
    """Encode a key attribute value; reject what DynamoDB cannot use as a key (section 1.4)."""
    if not _valid_key(value):
        shown = repr(value) if _is_scalar(value) else type(value).__name__
        raise ParameterValidationError(
            f"{op_id}: key attribute '{attribute}' must be a non-empty string, a number or bytes, "
            f"got {shown}"
        )
    return serialize(value, op_id=op_id)


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
        return len(_raw_bytes(value)) > 0
    return False


def datetime_text(value: datetime) -> str:
    """UTC ISO text with milliseconds and ``Z`` (section 9.5); a naive value is taken as UTC."""
    if value.utcoffset() is None:
        value = value.replace(tzinfo=timezone.utc)
    elif value.utcoffset():
        value = value.astimezone(timezone.utc)
    text = value.isoformat(timespec="milliseconds")
    return text[:-6] + "Z"  # the offset is always "+00:00" here


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, Decimal, *_BINARY))


def _raw_bytes(value: bytes | bytearray | Binary) -> bytes | bytearray:
    return value.value if isinstance(value, Binary) else value


def _non_finite(op_id: str) -> ParameterValidationError:
    return ParameterValidationError(f"{op_id}: cannot serialize a non-finite number")


def _normalize_leaf(value: Any, op_id: str) -> Any:
    """The normalization pass for everything ``serialize`` does not encode itself."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _non_finite(op_id)
        return Decimal(str(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _non_finite(op_id)
        return value
    if isinstance(value, datetime):
        return datetime_text(value)
    if isinstance(value, AbstractSet):
        members = [_normalize_leaf(m, op_id) for m in value]
        changed = any(a is not b for a, b in zip(members, value, strict=True))
        return set(members) if changed else value
    if isinstance(value, (str, int, *_BINARY)):
        return value
    raise ParameterValidationError(
        f"{op_id}: cannot serialize a value of type {type(value).__name__}"
    )


def _typeserialize(normalized: Any, original: Any, op_id: str) -> dict[str, Any]:
    try:
        return _SERIALIZER.serialize(normalized)  # type: ignore[no-any-return]
    except (TypeError, ValueError, DecimalException) as exc:
        reason = str(exc)
        if isinstance(exc, DecimalException):
            reason = "the number exceeds DynamoDB's 38-digit precision or exponent range"
        name = type(original).__name__
        raise ParameterValidationError(
            f"{op_id}: cannot serialize a value of type {name}: {reason}"
        ) from exc


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
    raw: Mapping[str, Any], projection: tuple[str, ...], formats: Formats
) -> dict[str, Any]:
    """Project one deserialized item: projection order, internal keys and absent fields omitted."""
    fmt = formats
    result: dict[str, Any] = {}
    for name in projection:
        value = raw.get(name, _ABSENT)
        if value is not _ABSENT and not is_internal_key(name):
            result[name] = _restore(value, fmt.get(name))
    return result


def attributes(raw: Mapping[str, Any], formats: Formats) -> dict[str, Any]:
    """Section 10.5 returned ``Attributes``: response order, no internal keys, formats restored."""
    fmt = formats
    return {k: _restore(v, fmt.get(k)) for k, v in raw.items() if not is_internal_key(k)}


def _restore(value: Any, fmt: str | None) -> Any:
    if fmt is None or not isinstance(value, str):
        return value
    if fmt == "datetime":
        return _parse_datetime(value, value)
    if fmt == "date":
        return _parse_datetime(value + "T00:00:00.000Z", value)
    return value


def _parse_datetime(text: str, stored: str) -> datetime:
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed: datetime | None = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_iso(text)
    if parsed is None:
        raise HydrationError(f"invalid ISO 8601 datetime: '{stored}'")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


# The extended ISO 8601 forms that Python 3.11's fromisoformat accepts but 3.10's rejects (fractions
# of other than 3 or 6 digits, a comma separator, "+HHMM" and "+HH" offsets). Tried only after
# fromisoformat fails, so both versions accept the same extended-format texts.
_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2})(?::([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?)?)?"
    r"(?:([+-])([0-9]{2})(?::?([0-9]{2})(?::?([0-9]{2}))?)?)?"
)


def _parse_iso(text: str) -> datetime | None:
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    *fields, fraction, sign, off_h, off_m, off_s = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        tz = None
        if sign is not None:
            minutes, seconds = int(off_m or 0), int(off_s or 0)
            if minutes > 59 or seconds > 59:
                return None
            offset = timedelta(hours=int(off_h), minutes=minutes, seconds=seconds)
            tz = timezone(-offset if sign == "-" else offset)  # ValueError beyond 24 hours
        year, month, day, hour, minute, second = (int(f or 0) for f in fields)
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None


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
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return [_jsonable(v, f"{path}[{i}]") for i, v in enumerate(_sorted_members(value))]
    if isinstance(value, _BINARY):
        return base64.b64encode(_raw_bytes(value)).decode("ascii")
    raise ParameterValidationError(
        f"to_jsonable: unsupported value of type {type(value).__name__} at {path}"
    )


def _sorted_members(members: AbstractSet[Any]) -> list[Any]:
    key: Callable[[Any], Any] = lambda m: _raw_bytes(m) if isinstance(m, _BINARY) else m  # noqa: E731
    try:
        return sorted(members, key=key)
    except TypeError:  # mixed, incomparable members: any deterministic order will do
        return sorted(members, key=lambda m: (type(m).__name__, repr(m)))


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Section 28.1: the sum over attributes of UTF-8 name length plus value size."""
    total = 0
    for name, av in item.items():
        total += len(name) if name.isascii() else len(name.encode())
        s = av.get("S")
        if type(s) is str:  # the common case, inline
            total += len(s) if s.isascii() else len(s.encode())
        else:
            total += value_size(av)
    return total


def value_size(av: Mapping[str, Any]) -> int:
    """Section 28.1 size of one AttributeValue."""
    ((tag, value),) = av.items()
    if tag == "S":
        return len(value.encode())
    if tag == "N":
        return len(value)
    if tag == "B":
        return len(_raw_bytes(value))
    if tag in ("BOOL", "NULL"):
        return 1
    if tag == "SS":
        return sum(len(s.encode()) for s in value)
    if tag == "NS":
        return sum(len(n) for n in value)
    if tag == "BS":
        return sum(len(_raw_bytes(b)) for b in value)
    if tag == "L":
        return 3 + sum(1 + value_size(v) for v in value)
    if tag == "M":
        return 3 + sum(len(k) + 1 + value_size(v) for k, v in value.items())
    raise ValueError(f"not an AttributeValue type: {tag!r}")
