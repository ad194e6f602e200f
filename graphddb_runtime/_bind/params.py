"""Caller parameter validation (docs/format.md section 6.2), always before any DynamoDB call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from .._suggest import did_you_mean, received
from .._values.avrules import number_reason, text_reason
from .._values.codec import is_number
from ..errors import ParameterValidationError
from ..spec.plans import ParamPlan

__all__ = ["check_element", "check_param", "one_of", "validate_params"]


def validate_params(op_id: str, params: object, specs: Mapping[str, ParamPlan]) -> None:
    """Raise :class:`ParameterValidationError` unless ``params`` satisfy ``specs``.

    Undeclared names first (a misspelt required param is reported as the typo it is), then the
    declared params in declaration order.
    """
    if not isinstance(params, Mapping):
        raise ParameterValidationError(f"{op_id}: params must be a mapping, {received(params)}")
    for name in params:
        if name not in specs:
            raise ParameterValidationError(
                f"{op_id}: unknown parameter {name!r}" + did_you_mean(name, specs)
            )
    for name, spec in specs.items():
        value = params.get(name)
        if value is None:
            if spec.required:
                raise ParameterValidationError(_missing(op_id, name, params, specs))
            continue
        _check(op_id, name, value, spec)


def _missing(
    op_id: str, first: str, params: Mapping[str, Any], specs: Mapping[str, ParamPlan]
) -> str:
    """The message naming the first missing required param, and every other one after it."""
    names = list(specs)
    others = [
        repr(name)
        for name in names[names.index(first) + 1 :]
        if specs[name].required and params.get(name) is None
    ]
    also = f" (also missing: {', '.join(others)})" if others else ""
    return f"{op_id}: missing required parameter '{first}'{also}"


def _check(op_id: str, name: str, value: Any, spec: ParamPlan) -> None:
    kind = spec.type
    if kind == "string":
        if type(value) is not str or not value.isascii():
            _check_string(op_id, name, value)
    elif kind == "number":
        if not is_number(value):
            raise ParameterValidationError(_wrong(op_id, name, "a number", value))
        reason = number_reason(value)
        if reason is not None:
            raise ParameterValidationError(
                f"{op_id}: parameter '{name}' must be a number DynamoDB can store: {reason}"
            )
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise ParameterValidationError(_wrong(op_id, name, "a boolean", value))
    elif kind == "literal":
        if not one_of(value, spec.literals):
            allowed = ", ".join(repr(v) for v in spec.literals)
            raise ParameterValidationError(
                f"{op_id}: parameter '{name}' must be one of [{allowed}], {received(value)}"
            )
    elif kind == "array":
        _check_array(op_id, name, value, spec)
    else:  # string, and unknown types (advisory PA002)
        _check_string(op_id, name, value)


def _check_string(op_id: str, name: str, value: Any) -> None:
    """A ``str`` of valid UTF-8, or a ``datetime`` / ``date`` (written as its canonical text)."""
    if isinstance(value, str):
        bad = text_reason(value)
        if bad is not None:
            raise ParameterValidationError(
                f"{op_id}: parameter '{name}' must be valid UTF-8 text: {bad}"
            )
    elif not isinstance(value, date):  # a datetime is a date
        raise ParameterValidationError(_wrong(op_id, name, "a string", value))


def _wrong(op_id: str, name: str, expected: str, value: object) -> str:
    return f"{op_id}: parameter '{name}' must be {expected}, {received(value)}"


def one_of(value: Any, literals: tuple[Any, ...]) -> bool:
    """``value in literals``, JSON-wise: a bool never matches a number literal (``True == 1``
    in Python, not in JSON), and a NaN matches nothing (a signalling one would raise)."""
    if isinstance(value, Decimal) and value.is_nan():
        return False
    return any(
        value == literal and isinstance(value, bool) == isinstance(literal, bool)
        for literal in literals
    )


def _check_array(op_id: str, name: str, value: Any, spec: ParamPlan) -> None:
    if not isinstance(value, (list, tuple)):
        raise ParameterValidationError(_wrong(op_id, name, "an array", value))
    for index, element in enumerate(value):
        check_element(op_id, f"{name}[{index}]", element, spec.element or {})


def check_element(op_id: str, where: str, element: object, fields: Mapping[str, ParamPlan]) -> None:
    """One array element (``where`` is e.g. ``members[2]``) against its declared fields."""
    if not isinstance(element, Mapping):
        raise ParameterValidationError(_wrong(op_id, where, "an object", element))
    for field, field_spec in fields.items():
        field_value = element.get(field)
        if field_value is None:
            if field_spec.required:
                raise ParameterValidationError(
                    f"{op_id}: parameter '{where}' missing required field '{field}'"
                )
            continue
        _check(op_id, f"{where}.{field}", field_value, field_spec)


def check_param(op_id: str, name: str, value: Any, spec: ParamPlan) -> None:
    """Type and literals of one present value (a W1 rewrite, section 40 step 4)."""
    if value is not None:
        _check(op_id, name, value, spec)
