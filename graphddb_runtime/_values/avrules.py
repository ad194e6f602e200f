"""DynamoDB's rules for the values it stores (docs/format.md sections 1.4, 6.2, 22.3 and 28.1).

One implementation of each rule, used by parameter validation (``_bind.params``), the AttributeValue
codec (``_values.codec``) and the pre-flights, so a value is accepted or rejected the same way
everywhere, before any DynamoDB call:

- **numbers**: finite, at most 38 significant digits, magnitude from 1E-130 to
  9.9999999999999999999999999999999999999E+125 (or zero);
- **text**: valid UTF-8, so no lone surrogate (``"x\\udfff"``);
- **key values**: at most 2048 bytes for a partition key (``PK``, ``<I>PK``) and 1024 bytes for
  a sort key (``SK``, ``<I>SK``);
- **items**: at most 400 KB (409,600 bytes) by the estimate of section 28.1.

:class:`ValueRejected` is what the codec raises: a :class:`ParameterValidationError` whose
``reason`` has no location, so a caller that knows where the value came from (a parameter, a
field) can name it with :meth:`ValueRejected.at`.
"""

from __future__ import annotations

import math
from decimal import Context, Decimal, DecimalException
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT

from ..errors import ParameterValidationError

__all__ = [
    "MAX_ITEM_BYTES",
    "ValueRejected",
    "key_bytes_reason",
    "key_limit",
    "number_reason",
    "number_text",
    "serialize_number",
    "serialize_text",
    "text_key_reason",
    "text_reason",
]

#: DynamoDB's item size limit (400 KB).
MAX_ITEM_BYTES = 409_600
_PARTITION_KEY_BYTES = 2048
_SORT_KEY_BYTES = 1024
# Integers below 10**38 in magnitude always have at most 38 digits: their text is str(i). Above
# 2**420 (> 10**126) an integer is beyond DynamoDB's range whatever its digits.
_INT_LIMIT = 10**38
_INT_BITS = 420
_MIN_ADJUSTED, _MAX_ADJUSTED, _MAX_DIGITS = -130, 125, 38
_RANGE = "1E-130 to 9.9999999999999999999999999999999999999E+125"
_EXACT = Context(prec=_MAX_DIGITS)


class ValueRejected(ParameterValidationError):
    """A value DynamoDB cannot store.

    ``str()`` is ``"<op_id>: <reason>"``, or ``"<op_id>: <subject>: <reason>"`` once a caller
    has named the value; for a key value (``key`` is the attribute) it is
    ``"<op_id>: key attribute '<key>' [(<subject>) ]<reason>"``.
    """

    def __init__(
        self, op_id: str, reason: str, subject: str | None = None, key: str | None = None
    ) -> None:
        self.op_id = op_id
        self.reason = reason
        self.subject = subject
        self.key = key
        if key is not None:
            where = f"key attribute '{key}' ({subject}) " if subject else f"key attribute '{key}' "
        else:
            where = f"{subject}: " if subject else ""
        super().__init__(f"{op_id}: {where}{reason}" if op_id else f"{where}{reason}")

    def at(self, subject: str, op_id: str | None = None) -> ValueRejected:
        """The same rejection, naming where the value came from (``"parameter 'x'"``)."""
        return ValueRejected(self.op_id if op_id is None else op_id, self.reason, subject, self.key)


class _Unstorable(ParameterValidationError):
    """Internal: why a number is not a DynamoDB number (always caught in this module)."""


def _shown(number: Decimal) -> str:
    text = str(number)
    return text if len(text) <= 48 else f"{number:.6E}"


def number_text(value: int | float | Decimal) -> str:
    """The ``N`` text of a number (section 1.4), exactly ``TypeSerializer``'s when it accepts
    the value; raises :class:`_Unstorable` for a value DynamoDB cannot store.

    DynamoDB also stores what ``TypeSerializer`` rejects only for trailing zeros beyond 38
    digits (``10**40``) or an out-of-context zero exponent; those are sent normalized
    (``"1E+40"``, ``"0"``).
    """
    if isinstance(value, int):
        if -_INT_LIMIT < value < _INT_LIMIT:
            return str(value)
        if value.bit_length() > _INT_BITS:
            about = int(value.bit_length() * math.log10(2)) + 1
            raise _Unstorable(
                f"an integer of about {about} digits is outside DynamoDB's number range "
                f"(magnitude {_RANGE})"
            )
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _Unstorable("non-finite")
        number = Decimal(repr(value))
    else:
        if not value.is_finite():
            raise _Unstorable("non-finite")
        number = value
    if not number:
        try:
            return str(DYNAMODB_CONTEXT.create_decimal(number))
        except DecimalException:
            return "0"
    adjusted = number.adjusted()
    if not _MIN_ADJUSTED <= adjusted <= _MAX_ADJUSTED:
        raise _Unstorable(
            f"{_shown(number)} is outside DynamoDB's number range (magnitude {_RANGE})"
        )
    try:
        return str(DYNAMODB_CONTEXT.create_decimal(number))
    except DecimalException:
        pass
    digits = number.as_tuple().digits
    significant = len(digits)
    while significant and digits[significant - 1] == 0:
        significant -= 1
    if significant > _MAX_DIGITS:
        raise _Unstorable(
            f"{_shown(number)} has {significant} significant digits, more than DynamoDB's "
            f"{_MAX_DIGITS}"
        )
    return str(number.normalize(_EXACT))


def number_reason(value: Any) -> str | None:
    """Why a finite number (``is_number``) is not a DynamoDB number, or ``None``."""
    kind = type(value)
    if kind is int and -_INT_LIMIT < value < _INT_LIMIT:
        return None
    # For a float, x < 1e126 exactly when its shortest repr is below 1E+126 (and likewise for
    # 1e-130): rounding to the nearest double is monotonic.
    if kind is float and (value == 0 or 1e-130 <= abs(value) < 1e126):
        return None
    try:
        number_text(value)
    except _Unstorable as exc:
        return str(exc)
    return None


def serialize_number(value: int | float | Decimal, op_id: str) -> dict[str, str]:
    """``{"N": number_text(value)}`` or :class:`ValueRejected`."""
    try:
        return {"N": number_text(value)}
    except _Unstorable as exc:
        reason = str(exc)
    if reason == "non-finite":
        raise ValueRejected(op_id, "cannot serialize a non-finite number")
    raise ValueRejected(op_id, f"cannot serialize a value of type {type(value).__name__}: {reason}")


def text_reason(text: str) -> str | None:
    """Why ``text`` is not valid UTF-8 (``"lone surrogate '\\udfff' at index 1"``), or ``None``."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"lone surrogate {text[exc.start]!r} at index {exc.start}"
    return None


def serialize_text(text: str, op_id: str) -> str:
    """``text`` itself when it is valid UTF-8, else :class:`ValueRejected`."""
    bad = text_reason(text)
    if bad is not None:
        raise ValueRejected(
            op_id,
            f"cannot serialize a string that is not valid UTF-8 ({bad}); DynamoDB stores UTF-8 "
            "text only",
        )
    return text


def key_limit(attribute: str) -> tuple[int, str]:
    """``(bytes, "partition" | "sort")``: DynamoDB's size limit for a key attribute's value."""
    if attribute.endswith("SK"):
        return _SORT_KEY_BYTES, "sort"
    return _PARTITION_KEY_BYTES, "partition"


def key_bytes_reason(attribute: str, size: int) -> str | None:
    """Why a key value of ``size`` bytes is too large for ``attribute`` (a predicate such as
    ``"is 2100 bytes, more than ..."``), or ``None``."""
    limit, kind = key_limit(attribute)
    if size <= limit:
        return None
    return f"is {size} bytes, more than DynamoDB's {kind} key limit of {limit} bytes"


def text_key_reason(attribute: str, text: str) -> str | None:
    """Why a non-empty ``str`` cannot be the value of key ``attribute`` (a predicate), or
    ``None``."""
    if len(text) <= 256 and text.isascii():  # at most 1024 bytes of valid UTF-8
        return None
    bad = text_reason(text)
    if bad is not None:
        return f"is not valid UTF-8 ({bad})"
    return key_bytes_reason(attribute, len(text) if text.isascii() else len(text.encode()))
