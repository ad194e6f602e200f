"""Call options shared by every public call (docs/format.md sections 7.4 and 10.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ParameterValidationError

__all__ = ["common_options", "read_flags"]

_EMPTY: Mapping[str, Any] = {}


def common_options(
    op_id: str, options: object, default_numbers: str, default_datetimes: str = "datetime"
) -> tuple[Mapping[str, Any], str, str, Mapping[str, Any] | None]:
    """``(options, numbers, datetimes, context)`` after checking the keys every call accepts.

    ``numbers`` (section 9.4) and ``datetimes`` (section 9.6) fall back to the runtime defaults.
    """
    if options is None:
        options = _EMPTY
    if not isinstance(options, Mapping):
        raise ParameterValidationError(f"{op_id}: options must be a mapping")
    numbers = options.get("numbers")
    if numbers is not None and numbers not in ("decimal", "native"):
        raise ParameterValidationError(f"{op_id}: option 'numbers' must be 'decimal' or 'native'")
    datetimes = options.get("datetimes")
    if datetimes is not None and datetimes not in ("datetime", "text"):
        raise ParameterValidationError(f"{op_id}: option 'datetimes' must be 'datetime' or 'text'")
    context = options.get("context")
    if context is not None and not isinstance(context, Mapping):
        raise ParameterValidationError(f"{op_id}: option 'context' must be a mapping")
    return options, numbers or default_numbers, datetimes or default_datetimes, context


def read_flags(op_id: str, options: Mapping[str, Any]) -> tuple[int | None, str | None, bool]:
    """``(limit, order, consistentRead)`` of a read's options, type-checked (sections 7.4, 31.2)."""
    limit = options.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ParameterValidationError(f"{op_id}: option 'limit' must be a positive integer")
    order = options.get("order")
    if order is not None and order not in ("asc", "desc"):
        raise ParameterValidationError(f"{op_id}: option 'order' must be 'asc' or 'desc'")
    consistent = options.get("consistentRead")
    if consistent is not None and not isinstance(consistent, bool):
        raise ParameterValidationError(f"{op_id}: option 'consistentRead' must be a boolean")
    return limit, order, consistent is True
