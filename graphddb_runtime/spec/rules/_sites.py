"""Where templates, filter trees and conditions occur, each with the names it may bind.

Rules that apply "wherever the construct occurs" (section 42) iterate these sites instead of
re-walking queries, commands and transactions themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .._context import Context, ParamInfo, as_dict, as_list
from .._shape import pointer

__all__ = [
    "OPERATORS",
    "Scope",
    "TreeReport",
    "condition_sites",
    "filter_sites",
    "template_sites",
    "walk_tree",
]

OPERATORS = frozenset(
    {
        "eq",
        "ne",
        "gt",
        "ge",
        "lt",
        "le",
        "between",
        "in",
        "beginsWith",
        "contains",
        "notContains",
        "attributeExists",
        "attributeType",
        "size",
    }
)
TYPE_CODES = frozenset({"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"})


@dataclass(slots=True)
class Scope:
    """The names a template may bind (section 5.2)."""

    owner: str  # the query, command or transaction id
    params: dict[str, ParamInfo]
    relation: bool = False  # {result.f} binds the parent record
    producer: int | None = None
    producer_projection: tuple[str, ...] | None = None
    for_each: str | None = None  # forEach source: {item.f} binds the element
    element: dict[str, ParamInfo] | None = None  # declared element fields, if any


def _key(ptr: str, *tokens: Any) -> str:
    return ptr + pointer(tokens)


# --- scopes -----------------------------------------------------------------------------------


def _op_scopes(ctx: Context) -> Iterator[tuple[str, dict[str, Any], Scope]]:
    for query in ctx.queries.values():
        for op in query.ops:
            scope = Scope(query.id, query.params)
            if op.index > 0:
                scope.relation = True
                if op.producer is not None:
                    scope.producer = op.producer
                    scope.producer_projection = query.ops[op.producer].projection
            yield op.pointer, op.raw, scope


def _command_scopes(ctx: Context) -> Iterator[tuple[str, dict[str, Any], Scope]]:
    for cid, spec, ptr in ctx.section("commands"):
        yield ptr, spec, Scope(cid, ctx.read_params(spec.get("params")))


def _item_scopes(ctx: Context) -> Iterator[tuple[str, dict[str, Any], Scope]]:
    for tid, spec, tptr in ctx.section("transactions"):
        params = ctx.read_params(spec.get("params"))
        for index, item in enumerate(spec["items"]):
            scope = Scope(tid, params)
            source = as_dict(item.get("forEach")).get("source")
            if isinstance(source, str):
                scope.for_each = source
                param = params.get(source)
                scope.element = param.element if param is not None else None
            yield _key(tptr, "items", index), item, scope


# --- templates --------------------------------------------------------------------------------


def template_sites(ctx: Context) -> Iterator[tuple[str, str, Scope]]:
    """(pointer, template text, scope) of every template string in operations.json."""
    for ptr, op, scope in _op_scopes(ctx):
        for attr, value in as_dict(op.get("keyCondition")).items():
            if isinstance(value, str):
                yield _key(ptr, "keyCondition", attr), value, scope
        rng = as_dict(op.get("rangeCondition"))
        value = rng.get("value")
        if isinstance(value, str):
            yield _key(ptr, "rangeCondition", "value"), value, scope
        for i, bound in enumerate(as_list(value)):
            if isinstance(bound, str):
                yield _key(ptr, "rangeCondition", "value", i), bound, scope
    for ptr, spec, scope in (*_command_scopes(ctx), *_item_scopes(ctx)):
        for section in ("item", "keyCondition", "changes", "add"):
            for name, value in as_dict(spec.get(section)).items():
                if isinstance(value, str):
                    yield _key(ptr, section, name), value, scope
        when = as_dict(spec.get("when"))
        for side in ("left", "right"):
            if isinstance(when.get(side), str):
                yield _key(ptr, "when", side), when[side], scope
        counter = as_dict(as_dict(spec.get("maintain")).get("counter"))
        if isinstance(counter.get("delta"), str):
            yield _key(ptr, "maintain", "counter", "delta"), counter["delta"], scope
        condition = as_dict(spec.get("condition"))
        if condition.get("kind") == "equals":
            for name, value in as_dict(condition.get("fields")).items():
                if isinstance(value, str):
                    yield _key(ptr, "condition", "fields", name), value, scope


# --- filter trees -----------------------------------------------------------------------------


def filter_sites(ctx: Context) -> Iterator[tuple[str, Any, Scope, bool]]:
    """(pointer, tree, scope, is_write) of every declarative tree: read filters, expr conditions."""
    for ptr, op, scope in _op_scopes(ctx):
        flt = op.get("filter")
        if isinstance(flt, dict) and "declarative" in flt and op.get("type") == "Query":
            yield _key(ptr, "filter", "declarative"), flt["declarative"], scope, False
    for ptr, spec, scope in condition_sites(ctx):
        # A non-object declarative of a condition is CD004's, not FT001's.
        if spec.get("kind") == "expr" and isinstance(spec.get("declarative"), dict):
            yield _key(ptr, "declarative"), spec["declarative"], scope, True


def condition_sites(ctx: Context) -> Iterator[tuple[str, dict[str, Any], Scope]]:
    """(pointer, condition, scope) of every write condition."""
    for ptr, spec, scope in (*_command_scopes(ctx), *_item_scopes(ctx)):
        condition = spec.get("condition")
        if isinstance(condition, dict):
            yield _key(ptr, "condition"), condition, scope


@dataclass(slots=True)
class TreeReport:
    issues: list[tuple[str, str, str, bool]]  # (rule, pointer, message, advisory)
    markers: list[tuple[str, str]]  # (pointer, param name)
    clauses: int  # number of clauses the tree compiles to


def walk_tree(tree: Any, ptr: str) -> TreeReport:
    """Check a declarative tree (section 8.1) and collect its ``$param`` markers."""
    report = TreeReport([], [], 0)
    if not isinstance(tree, dict):
        report.issues.append(("FT001", ptr, "a filter node must be an object", False))
        return report
    _node(tree, ptr, report)
    return report


def _node(node: dict[str, Any], ptr: str, report: TreeReport) -> None:
    for key, value in node.items():
        here = _key(ptr, key)
        if value is None:
            continue
        if key in ("and", "or"):
            if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
                report.issues.append(("FT001", here, f"{key!r} must be an array of objects", False))
                continue
            for i, child in enumerate(value):
                _node(child, _key(here, i), report)
        elif key == "not":
            if not isinstance(value, dict):
                report.issues.append(("FT001", here, "'not' must be an object", False))
                continue
            _node(value, here, report)
        else:
            if key == "":
                report.issues.append(("FT005", here, "empty field name", False))
                continue
            _field(value, here, report)


def _is_marker(value: Any) -> bool:
    return isinstance(value, dict) and "$param" in value


def _operand(value: Any, ptr: str, report: TreeReport) -> bool:
    """Record a marker, or report a malformed one. False when the operand is a bad marker."""
    if not _is_marker(value):
        return True
    name = value["$param"]
    if len(value) != 1 or not isinstance(name, str) or not name:
        report.issues.append(
            ("FT004", ptr, '\'$param\' marker must be {"$param": "<name>"}', False)
        )
        return False
    report.markers.append((ptr, name))
    return True


def _field(value: Any, ptr: str, report: TreeReport) -> None:
    if isinstance(value, dict) and value and not _is_marker(value):
        operators = [k for k in value if k in OPERATORS]
        if len(operators) == len(value):
            for op, operand in value.items():
                _operator(op, operand, _key(ptr, op), report)
            return
        if operators:
            report.issues.append(
                (
                    "FT002",
                    ptr,
                    "object mixes operators and other keys; compared as a literal map",
                    True,
                )
            )
    _operand(value, ptr, report)
    report.clauses += 1


def _operator(op: str, operand: Any, ptr: str, report: TreeReport) -> None:
    report.clauses += 1
    problem: str | None = None
    if op == "attributeExists":
        if not isinstance(operand, bool):
            problem = "'attributeExists' needs true or false"
    elif op in ("between", "in"):
        if not isinstance(operand, list):
            problem = f"{op!r} needs an array"
        elif op == "between" and len(operand) != 2:
            problem = "'between' needs exactly 2 operands"
        elif op == "in" and not operand:
            problem = "'in' needs a non-empty array"
        else:
            for i, element in enumerate(operand):
                _operand(element, _key(ptr, i), report)
    elif _is_marker(operand):
        _operand(operand, ptr, report)
    elif op == "attributeType":
        if not (isinstance(operand, str) and operand in TYPE_CODES):
            problem = f"'attributeType' needs a type code, one of {sorted(TYPE_CODES)}"
    elif op == "size":
        if isinstance(operand, bool) or not isinstance(operand, (int, float)):
            problem = "'size' needs a number"
    elif op == "beginsWith" and not isinstance(operand, str):
        problem = "'beginsWith' needs a string"
    if problem is not None:
        report.issues.append(("FT003", ptr, problem, False))
