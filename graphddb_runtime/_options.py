"""Call options shared by every public call (FORMAT.md sections 7.4 and 10.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ParameterValidationError

__all__ = ["common_options"]

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
