"""Call options shared by every public call (docs/format.md sections 7.4 and 10.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ParameterValidationError

__all__ = ["common_options", "read_flags"]

_EMPTY: Mapping[str, Any] = {}


def common_options(
    op_id: str, options: object, default_numbers: str
) -> tuple[Mapping[str, Any], str, Mapping[str, Any] | None]:
    """``(options, numbers, context)`` after checking the keys every call accepts."""
    if options is None:
        options = _EMPTY
    if not isinstance(options, Mapping):
        raise ParameterValidationError(f"{op_id}: options must be a mapping")
    numbers = options.get("numbers")
    if numbers is not None and numbers not in ("decimal", "native"):
        raise ParameterValidationError(f"{op_id}: option 'numbers' must be 'decimal' or 'native'")
    context = options.get("context")
    if context is not None and not isinstance(context, Mapping):
        raise ParameterValidationError(f"{op_id}: option 'context' must be a mapping")
    return options, numbers or default_numbers, context


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
