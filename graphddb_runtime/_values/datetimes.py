"""``datetime`` and ``date`` values (docs/format.md sections 9.3 and 9.5).

- :func:`datetime_text` / :func:`date_text` are the one canonical text form of a ``datetime``
  (UTC, milliseconds, ``Z``; a naive value is taken as UTC) and of a ``date`` (``YYYY-MM-DD``),
  used wherever such an object becomes text: serialization, templates and ``to_jsonable``.
- :func:`parse_stored` is hydration's parser: the ``datetime`` a stored text of a ``datetime`` or
  ``date`` field restores to, or ``None`` when it is not valid ISO 8601 for that format.
- :func:`format_problem` is the write-side check of the same rule: a value written to a field
  with a format must be text that :func:`parse_stored` accepts (or an object rendered to such
  text), so every value the runtime writes can be read back.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ..errors import ParameterValidationError

__all__ = [
    "check_format",
    "date_text",
    "datetime_text",
    "field_subject",
    "format_problem",
    "parse_stored",
    "shown_text",
]


def datetime_text(value: datetime) -> str:
    """UTC ISO text with milliseconds and ``Z`` (section 9.5); a naive value is taken as UTC.

    Digits below the millisecond are truncated (as JavaScript's ``Date`` would).
    """
    if value.utcoffset() is None:
        value = value.replace(tzinfo=timezone.utc)
    elif value.utcoffset():
        try:
            value = value.astimezone(timezone.utc)
        except OverflowError:  # e.g. year 1 at +05:00: before datetime.min in UTC
            raise ParameterValidationError(
                f"cannot render datetime {value.isoformat()}: it is out of range in UTC"
            ) from None
    text = value.isoformat(timespec="milliseconds")
    return text[:-6] + "Z"  # the offset is always "+00:00" here


def date_text(value: date) -> str:
    """``YYYY-MM-DD`` (section 9.5)."""
    return value.isoformat()


def parse_stored(text: str, fmt: str) -> datetime | None:
    """Section 9.3: the ``datetime`` that ``text`` of a ``fmt`` field hydrates to, or ``None``."""
    if fmt == "date":
        text += "T00:00:00.000Z"
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed: datetime | None = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_iso(text)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def shown_text(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, shortened when it is long."""
    if len(text) > limit:
        text = text[: limit - 20] + "..." + text[-10:]
    return f"'{text}'"


def format_problem(value: Any, fmt: str) -> str | None:
    """Why ``value`` cannot be written to a field of format ``fmt`` (section 9.3), or ``None``.

    ``None`` (no value) is accepted; a ``str`` must be valid ISO 8601 for the format; a
    ``datetime`` object is accepted for ``datetime`` fields only (its date would drop the time);
    a ``date`` object for both (a date-only text is a valid ``datetime``, at midnight UTC).
    """
    if value is None:
        return None
    if isinstance(value, str):
        if parse_stored(value, fmt) is not None:
            return None
        return f"is not a valid ISO 8601 {fmt}: {shown_text(value)}"
    if isinstance(value, datetime):
        if fmt == "datetime":
            return None
        return f"is not a valid ISO 8601 date: a datetime ({datetime_text(value)}); pass a date"
    if isinstance(value, date):
        return None
    return f"must be an ISO 8601 {fmt} text, a datetime or a date, got {type(value).__name__}"


def field_subject(
    field: str, param: str | None = None, for_each: str | None = None, index: int | None = None
) -> str:
    """``"parameter 'p' for field 'f'"`` (``p`` as ``members[2].f`` for ``{item.f}`` of a
    ``forEach`` element), or ``"field 'f'"`` when the value is not one parameter."""
    if param is None:
        return f"field '{field}'"
    if for_each is not None and index is not None and param.startswith("item."):
        param = f"{for_each}[{index}].{param[5:]}"
    return f"parameter '{param}' for field '{field}'"


def check_format(  # noqa: PLR0917 - one call site in generated code passes them all
    op_id: str,
    field: str,
    fmt: str,
    value: Any,
    param: str | None = None,
    for_each: str | None = None,
    index: int | None = None,
) -> None:
    """Raise ``ParameterValidationError`` unless ``value`` may be written to ``field``:
    ``"<id>: parameter 'createdAt' for field 'createdAt' (format datetime) is not a valid ISO
    8601 datetime: 'yesterday'"``."""
    problem = format_problem(value, fmt)
    if problem is not None:
        subject = field_subject(field, param, for_each, index)
        raise ParameterValidationError(f"{op_id}: {subject} (format {fmt}) {problem}")


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
