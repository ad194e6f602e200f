"""Call options (docs/format.md sections 7.4, 10.5, 25.1, 31.2 and 34.2).

Each call kind has ONE table of the option names it accepts (the frozensets below); a name outside
it raises :class:`ParameterValidationError` with a did-you-mean, before any DynamoDB call. The check
is one ``frozenset.issuperset`` per call. An option every call accepts is one line in
:data:`COMMON`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._suggest import did_you_mean, received
from ..errors import ParameterValidationError

__all__ = [
    "COMMAND",
    "COMMAND_METHOD",
    "COMMON",
    "QUERY",
    "QUERY_METHOD",
    "TRANSACTION",
    "check_names",
    "common_options",
    "read_flags",
]

_EMPTY: Mapping[str, Any] = {}

#: Options every call accepts.
COMMON = frozenset(
    {
        "context",  # per-call middleware context (section 37)
        "numbers",  # number representation of results (section 9.4)
        "datetimes",  # datetime / date fields restored or as stored (section 9.6)
    }
)
#: ``execute_query`` and ``explain`` (section 7.4).
QUERY = COMMON | {"cursor", "limit", "order", "consistentRead"}
#: ``execute_command`` (section 10.5).
COMMAND = COMMON | {"returnValues"}
#: ``execute_transaction`` (section 25.1).
TRANSACTION = COMMON | {"idempotencyToken"}
#: ``execute_query_method`` retrieval options, its ``params`` argument (section 31.2).
QUERY_METHOD = COMMON | {"consistentRead", "limit", "after", "order"}
#: ``execute_command_method`` (section 34.2); ``idempotencyToken`` only for transaction modes.
COMMAND_METHOD = COMMON | {"idempotencyToken"}

#: Names callers reach for that difflib cannot relate to ours, by :func:`_folded` spelling; the
#: first candidate the call accepts is suggested.
_ALIASES: Mapping[str, tuple[str, ...]] = {
    "cursor": ("after",),
    "after": ("cursor",),
    "exclusivestartkey": ("cursor", "after"),
    "lastevaluatedkey": ("cursor", "after"),
    "startkey": ("cursor", "after"),
    "nexttoken": ("cursor", "after"),
    "pagesize": ("limit",),
    "scanindexforward": ("order",),
    "sort": ("order",),
    "consistent": ("consistentRead",),
    "returnvalue": ("returnValues",),
    "clientrequesttoken": ("idempotencyToken",),
    "requesttoken": ("idempotencyToken",),
    "idempotencykey": ("idempotencyToken",),
    "token": ("idempotencyToken",),
    "ctx": ("context",),
}


def _folded(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _suggestion(name: object, allowed: frozenset[str]) -> str:
    if isinstance(name, str):
        folded = _folded(name)
        for candidate in _ALIASES.get(folded, ()):
            if candidate in allowed:
                return f"; did you mean {candidate!r}?"
        same = sorted(a for a in allowed if _folded(a) == folded)  # Limit, return_values, ...
        if same:
            return f"; did you mean {same[0]!r}?"
        close = did_you_mean(name, allowed)
        if close:
            return close
    return "; accepted options: " + ", ".join(repr(a) for a in sorted(allowed))


def check_names(op_id: str, options: Mapping[Any, Any], allowed: frozenset[str]) -> None:
    """Raise unless every key of ``options`` is an option name of this call kind."""
    if not allowed.issuperset(options):
        for name in options:
            if name not in allowed:
                raise ParameterValidationError(
                    f"{op_id}: unknown option {name!r}" + _suggestion(name, allowed)
                )


def common_options(
    op_id: str,
    options: object,
    default_numbers: str,
    allowed: frozenset[str],
    default_datetimes: str = "datetime",
) -> tuple[Mapping[str, Any], str, str, Mapping[str, Any] | None]:
    """``(options, numbers, datetimes, context)`` after checking the names (``allowed``: this
    call kind's table) and the keys every call accepts; ``numbers`` (section 9.4) and
    ``datetimes`` (section 9.6) fall back to the runtime defaults."""
    if options is None:
        return _EMPTY, default_numbers, default_datetimes, None
    if not isinstance(options, Mapping):
        raise ParameterValidationError(f"{op_id}: options must be a mapping, {received(options)}")
    check_names(op_id, options, allowed)
    numbers = _choice(op_id, options, "numbers", ("decimal", "native"))
    datetimes = _choice(op_id, options, "datetimes", ("datetime", "text"))
    context = options.get("context")
    if context is not None and not isinstance(context, Mapping):
        raise ParameterValidationError(
            f"{op_id}: option 'context' must be a mapping, {received(context)}"
        )
    return options, numbers or default_numbers, datetimes or default_datetimes, context


def read_flags(op_id: str, options: Mapping[str, Any]) -> tuple[int | None, str | None, bool]:
    """``(limit, order, consistentRead)`` of a read's options, type-checked (sections 7.4, 31.2)."""
    limit = options.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ParameterValidationError(
            f"{op_id}: option 'limit' must be a positive integer, {received(limit)}"
        )
    order = _choice(op_id, options, "order", ("asc", "desc"))
    consistent = options.get("consistentRead")
    if consistent is not None and not isinstance(consistent, bool):
        raise ParameterValidationError(
            f"{op_id}: option 'consistentRead' must be a boolean, {received(consistent)}"
        )
    return limit, order, consistent is True


def _choice(op_id: str, options: Mapping[str, Any], name: str, allowed: tuple[str, str]) -> Any:
    """``options[name]`` (or ``None``) when it is one of the two ``allowed`` values."""
    value = options.get(name)
    if value is not None and value not in allowed:
        raise ParameterValidationError(
            f"{op_id}: option {name!r} must be {allowed[0]!r} or {allowed[1]!r}, {received(value)}"
        )
    return value
