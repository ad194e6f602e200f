"""Where templates, filter trees and conditions occur, each with the names it may bind.

Rules that apply "wherever the construct occurs" (section 42) iterate these sites instead of
re-walking queries, commands and transactions themselves.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from ..._dataclass import dataclass
from ..._suggest import did_you_mean
from .._context import Context, Params, as_dict, as_list
from .._literals import literal_problem
from .._shape import pointer

__all__ = [
    "OPERATORS",
    "Scope",
    "TreeReport",
    "Where",
    "at",
    "condition_sites",
    "filter_sites",
    "template_sites",
    "tree_report",
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
#: How deeply ``and`` / ``or`` / ``not`` nodes may nest (far beyond any real filter; the
#: compilers that follow are recursive).
MAX_TREE_DEPTH = 100


@dataclass(slots=True)
class Scope:
    """The names a template may bind (section 5.2)."""

    owner: str  # the query, command or transaction id
    params: Params
    relation: bool = False  # {result.f} binds the parent record
    producer: int | None = None
    producer_projection: tuple[str, ...] | None = None
    for_each: str | None = None  # forEach source ("" if malformed): {item.f} binds the element
    element: Params | None = None  # declared element fields, if any


# --- scopes -----------------------------------------------------------------------------------


Scoped = list[tuple[str, dict[str, Any], Scope]]


def _op_scopes(ctx: Context) -> Scoped:
    scoped: Scoped = ctx.memo("#op-scopes", lambda: list(_read_op_scopes(ctx)))
    return scoped


def _command_scopes(ctx: Context) -> Scoped:
    scoped: Scoped = ctx.memo("#command-scopes", lambda: list(_read_command_scopes(ctx)))
    return scoped


def _item_scopes(ctx: Context) -> Scoped:
    scoped: Scoped = ctx.memo("#item-scopes", lambda: list(_read_item_scopes(ctx)))
    return scoped


def _read_op_scopes(ctx: Context) -> Iterator[tuple[str, dict[str, Any], Scope]]:
    for query in ctx.queries.values():
        for op in query.ops:
            scope = Scope(query.id, query.params)
            if op.index > 0:
                scope.relation = True
                if op.producer is not None:
                    scope.producer = op.producer
                    scope.producer_projection = query.ops[op.producer].projection
            yield op.pointer, op.raw, scope


def _read_command_scopes(ctx: Context) -> Iterator[tuple[str, dict[str, Any], Scope]]:
    for cid, spec, ptr in ctx.section("commands"):
        yield ptr, spec, Scope(cid, ctx.params(ptr, spec))


def _read_item_scopes(ctx: Context) -> Iterator[tuple[str, dict[str, Any], Scope]]:
    for tid, spec, tptr in ctx.section("transactions"):
        params = ctx.params(tptr, spec)
        for index, item in enumerate(spec["items"]):
            scope = Scope(tid, params)
            if "forEach" in item:
                # {item.f} binds the element even when the source itself is bad (TX007's issue).
                source = as_dict(item["forEach"]).get("source")
                scope.for_each = source if isinstance(source, str) else ""
                param = params.get(source) if isinstance(source, str) else None
                scope.element = param.element if param is not None else None
            yield f"{tptr}/items/{index}", item, scope


# --- templates --------------------------------------------------------------------------------


Where = tuple[str, tuple[Any, ...]]  # a base pointer and the tokens below it, joined lazily


def at(where: Where) -> str:
    """The JSON pointer of a lazily joined location."""
    return where[0] + pointer(where[1])


def template_sites(ctx: Context) -> Iterator[tuple[Where, str, Scope]]:
    """(location, template text, scope) of every template string in operations.json."""
    for ptr, op, scope in _op_scopes(ctx):
        for attr, value in as_dict(op.get("keyCondition")).items():
            if isinstance(value, str):
                yield (ptr, ("keyCondition", attr)), value, scope
        rng = as_dict(op.get("rangeCondition"))
        value = rng.get("value")
        if isinstance(value, str):
            yield (ptr, ("rangeCondition", "value")), value, scope
        for i, bound in enumerate(as_list(value)):
            if isinstance(bound, str):
                yield (ptr, ("rangeCondition", "value", i)), bound, scope
    for ptr, spec, scope in (*_command_scopes(ctx), *_item_scopes(ctx)):
        for section in ("item", "keyCondition", "changes", "add"):
            for name, value in as_dict(spec.get(section)).items():
                if isinstance(value, str):
                    yield (ptr, (section, name)), value, scope
        when = as_dict(spec.get("when"))
        for side in ("left", "right"):
            if isinstance(when.get(side), str):
                yield (ptr, ("when", side)), when[side], scope
        counter = as_dict(as_dict(spec.get("maintain")).get("counter"))
        if isinstance(counter.get("delta"), str):
            yield (ptr, ("maintain", "counter", "delta")), counter["delta"], scope
        condition = as_dict(spec.get("condition"))
        if condition.get("kind") == "equals":
            for name, value in as_dict(condition.get("fields")).items():
                if isinstance(value, str):
                    yield (ptr, ("condition", "fields", name)), value, scope


# --- filter trees -----------------------------------------------------------------------------


def filter_sites(ctx: Context) -> Iterator[tuple[str, Any, Scope, bool]]:
    """(pointer, tree, scope, is_write) of every declarative tree: read filters, expr conditions."""
    for ptr, op, scope in _op_scopes(ctx):
        flt = op.get("filter")
        if isinstance(flt, dict) and "declarative" in flt and op.get("type") == "Query":
            yield f"{ptr}/filter/declarative", flt["declarative"], scope, False
    for ptr, spec, scope in condition_sites(ctx):
        # A non-object declarative of a condition is CD004's, not FT001's.
        if spec.get("kind") == "expr" and isinstance(spec.get("declarative"), dict):
            yield f"{ptr}/declarative", spec["declarative"], scope, True


def condition_sites(ctx: Context) -> Iterator[tuple[str, dict[str, Any], Scope]]:
    """(pointer, condition, scope) of every write condition."""
    for ptr, spec, scope in (*_command_scopes(ctx), *_item_scopes(ctx)):
        condition = spec.get("condition")
        if isinstance(condition, dict):
            yield f"{ptr}/condition", condition, scope


@dataclass(slots=True)
class TreeReport:
    issues: list[tuple[str, str, str, bool]]  # (rule, pointer, message, advisory)
    markers: list[tuple[Where, str]]  # (location, param name)
    clauses: int  # number of clauses the tree compiles to


def tree_report(ctx: Context, tree: Any, ptr: str) -> TreeReport:
    """:func:`walk_tree`, computed once per tree and load."""
    report: TreeReport = ctx.memo(ptr, lambda: walk_tree(tree, ptr))
    return report


def walk_tree(tree: Any, ptr: str) -> TreeReport:
    """Check a declarative tree (section 8.1) and collect its ``$param`` markers."""
    report = TreeReport([], [], 0)
    walker = _Walker(ptr, report)
    if not isinstance(tree, dict):
        walker.issue("FT001", (), "a filter node must be an object")
    else:
        walker.node(tree, ())
    return report


class _Walker:
    """Walks one tree; locations are token tuples joined into pointers only when reported."""

    def __init__(self, base: str, report: TreeReport) -> None:
        self.base = base
        self.report = report

    def issue(self, rule: str, path: tuple[Any, ...], message: str, advisory: bool = False) -> None:
        self.report.issues.append((rule, self.base + pointer(path), message, advisory))

    def node(self, node: dict[str, Any], path: tuple[Any, ...], depth: int = 1) -> None:
        if depth > MAX_TREE_DEPTH:
            self.issue("FT001", path, f"a tree may nest at most {MAX_TREE_DEPTH} nodes deep")
            return
        for key, value in node.items():
            if value is None:
                continue
            here = (*path, key)
            if key in ("and", "or"):
                if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
                    self.issue("FT001", here, f"{key!r} must be an array of objects")
                    continue
                for i, child in enumerate(value):
                    self.node(child, (*here, i), depth + 1)
            elif key == "not":
                if not isinstance(value, dict):
                    self.issue("FT001", here, "'not' must be an object")
                    continue
                self.node(value, here, depth + 1)
            elif key == "":
                self.issue("FT005", here, "empty field name")
            else:
                self.field(value, here)

    def operand(self, value: Any, path: tuple[Any, ...]) -> None:
        """Record a ``$param`` marker, or report a malformed one (or a non-finite number)."""
        if not _is_marker(value):
            if isinstance(value, float) and not math.isfinite(value):
                self.issue("FT003", path, "a number operand must be finite")
            elif isinstance(value, (list, dict)):
                problem = literal_problem(value)
                if problem is not None:
                    self.issue("FT003", path, f"operand cannot be sent: {problem}")
            return
        name = value["$param"]
        if len(value) != 1 or not isinstance(name, str) or not name:
            self.issue("FT004", path, '\'$param\' marker must be {"$param": "<name>"}')
            return
        self.report.markers.append(((self.base, path), name))

    def field(self, value: Any, path: tuple[Any, ...]) -> None:
        if isinstance(value, dict) and value and not _is_marker(value):
            operators = [k for k in value if k in OPERATORS]
            if len(operators) == len(value):
                for op, operand in value.items():
                    self.operator(op, operand, (*path, op))
                return
            if operators:
                others = [k for k in value if k not in OPERATORS]
                hint = "".join(did_you_mean(k, OPERATORS) for k in others[:1])
                self.issue(
                    "FT002",
                    path,
                    f"object mixes operators and other keys ({', '.join(map(repr, others))}"
                    f"{hint}); a literal map to compare with has no operator keys",
                )
        self.operand(value, path)
        self.report.clauses += 1

    def operator(self, op: str, operand: Any, path: tuple[Any, ...]) -> None:
        self.report.clauses += 1
        problem = _operand_problem(op, operand)
        if problem is not None:
            self.issue("FT003", path, problem)
        elif op in ("between", "in"):
            for i, element in enumerate(operand):
                self.operand(element, (*path, i))
        elif op != "attributeExists":
            self.operand(operand, path)


def _is_marker(value: Any) -> bool:
    return isinstance(value, dict) and "$param" in value


def _operand_problem(op: str, operand: Any) -> str | None:
    if op == "attributeExists":
        return None if isinstance(operand, bool) else "'attributeExists' needs true or false"
    if op in ("between", "in"):
        if not isinstance(operand, list):
            return f"{op!r} needs an array"
        if op == "between" and len(operand) != 2:
            return "'between' needs exactly 2 operands"
        if op == "in" and not operand:
            return "'in' needs a non-empty array"
        return None
    if _is_marker(operand):
        return None
    if op == "attributeType" and not (isinstance(operand, str) and operand in TYPE_CODES):
        return f"'attributeType' needs a type code, one of {sorted(TYPE_CODES)}"
    if op == "size" and (isinstance(operand, bool) or not isinstance(operand, (int, float))):
        return "'size' needs a number"
    if op == "beginsWith" and not isinstance(operand, str):
        return "'beginsWith' needs a string"
    return None
