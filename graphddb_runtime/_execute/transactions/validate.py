"""A transaction's parameter validation compiled to Python, once per runtime (section 6.2).

A ``forEach`` source is an array param whose every element is checked field by field, so a
100-element call runs the element checks 100 times. :func:`compile_validator` generates
``validate(params)``: the checks of ``_bind.params.validate_params`` for this ParamSpec map as
straight-line code (an element loop per array param), each written as a fast test that accepts
only what ``validate_params`` accepts. Anything else, for example a failing value, a ``str``
subclass or a non-``dict`` mapping, calls ``validate_params`` itself, which raises the
contract's error or accepts. So the result is always exactly ``validate_params``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..._bind.params import one_of, validate_params
from ..._values.avrules import number_reason, text_reason
from ..._values.codec import is_number
from ...spec.plans import ParamPlan, TransactionPlan
from .source import Source

__all__ = ["compile_validator"]


#: Integers below this magnitude are DynamoDB numbers (at most 38 digits).
_INT_LIMIT = 10**38


def _number(value: Any) -> bool:
    """A parameter ``validate_params`` accepts as a number (section 6.2)."""
    return is_number(value) and number_reason(value) is None


def compile_validator(plan: TransactionPlan) -> Source:
    """The source of ``validate(params)``; ``Source.build("validate")`` gives the function."""
    op_id, specs = plan.id, plan.params

    def slow(params: object) -> None:
        validate_params(op_id, params, specs)

    src = Source(
        {
            "_Mapping": Mapping,
            "_number": _number,
            "_one_of": one_of,
            "_slow": slow,
            "_text_reason": text_reason,
        }
    )
    with src.block("def validate(params):"):
        with src.block("if type(params) is not dict and not isinstance(params, _Mapping):"):
            src.emit("return _slow(params)")
        for name, spec in specs.items():
            value = src.local("v")
            src.emit(f"{value} = params.get({src.const(name)})")
            _present(src, value, spec)
        declared = src.const(frozenset(specs))
        with src.block("for name in params:"), src.block(f"if name not in {declared}:"):
            src.emit("return _slow(params)")
    return src


def _present(src: Source, value: str, spec: ParamPlan) -> None:
    """A param or element field: absent is fine unless required; present is type-checked."""
    if spec.required:
        with src.block(f"if {value} is None:"):
            src.emit("return _slow(params)")
        _check(src, value, spec)
    else:
        with src.block(f"if {value} is not None:"):
            _check(src, value, spec)


def _check(src: Source, value: str, spec: ParamPlan) -> None:
    kind = spec.type
    if kind == "array":
        _array(src, value, spec)
        return
    if kind == "number":
        failed = (
            f"(type({value}) is not int or not -{_INT_LIMIT} < {value} < {_INT_LIMIT}) "
            f"and not _number({value})"
        )
    elif kind == "boolean":
        failed = f"{value} is not True and {value} is not False"
    elif kind == "literal":
        failed = f"not _one_of({value}, {src.const(tuple(spec.literals))})"
    else:  # string, and params without a type (advisory PA002)
        failed = f"type({value}) is not str or (not {value}.isascii() and _text_reason({value}))"
    with src.block(f"if {failed}:"):
        src.emit("return _slow(params)")


#: Arrays nested deeper than this are left to ``validate_params`` (CPython limits how deeply
#: generated blocks may nest).
_NESTED_ARRAYS = 8


def _array(src: Source, value: str, spec: ParamPlan) -> None:
    if src.depth > 3 * _NESTED_ARRAYS:
        src.emit("return _slow(params)")
        return
    with src.block(f"if type({value}) is not list and type({value}) is not tuple:"):
        src.emit("return _slow(params)")
    element = src.local("element")
    with src.block(f"for {element} in {value}:"):
        with src.block(f"if type({element}) is not dict:"):
            src.emit("return _slow(params)")
        for field, field_spec in (spec.element or {}).items():
            local = src.local("f")
            src.emit(f"{local} = {element}.get({src.const(field)})")
            _present(src, local, field_spec)
