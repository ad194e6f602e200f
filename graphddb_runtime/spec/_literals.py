"""Literal values typed by the manifest (docs/format.md sections 3.4 and 42.8).

A placeholder-free string written to a field that the entity's manifest types ``number`` or
``boolean`` is sent as that type: ``"0"`` as ``{"N": "0"}``, ``"true"`` as ``{"BOOL": true}``.
:func:`typed_literal` is the one conversion: the rule VL001 reports what it rejects, and the
builder (``_build.py``) stores what it returns, so executors see typed constants.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .._suggest import short
from ..errors import ParameterValidationError

__all__ = ["COERCED_TYPES", "literal_problem", "typed_literal"]

#: The FieldMeta types that type a literal; every other type is informative.
COERCED_TYPES = ("number", "boolean")

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BOOLEANS = {"true": True, "false": False}


def typed_literal(value: Any, field_type: Any) -> tuple[Any, str | None]:
    """``(value to write, problem)``: a string converted for a number or boolean field."""
    if field_type == "number":
        if isinstance(value, str):
            if _INTEGER.fullmatch(value):
                return int(value), None
            if _NUMBER.fullmatch(value):
                return Decimal(value), None
            return value, f"{value!r} is not a number"
        if isinstance(value, bool) or not (value is None or isinstance(value, (int, float))):
            return value, f"{_json_type(value)} {short(value, 40)} is not a number"
    elif field_type == "boolean":
        if isinstance(value, str):
            if value in _BOOLEANS:
                return _BOOLEANS[value], None
            return value, f"{value!r} is not 'true' or 'false'"
        if not (value is None or isinstance(value, bool)):
            return value, f"{_json_type(value)} {short(value, 40)} is not a boolean"
    return value, None


def literal_problem(value: Any) -> str | None:
    """Why DynamoDB cannot store this literal (non-finite, too precise, too deep), if so."""
    from .._values.codec import serialize  # noqa: PLC0415 - keep the spec package free of boto3 at import

    try:
        serialize(value, op_id="literal")
    except ParameterValidationError as exc:
        return str(exc).removeprefix("literal: ")
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__
