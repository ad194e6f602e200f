"""Param rules PA002/PA003/PA004/PA006 and template rules TP001 to TP005 (section 42.3).

A param without ``type`` is validated as a string (advisory PA002); a type this runtime does
not know is an error, since validating it as a string would accept values it does not mean.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..._suggest import did_you_mean
from ..._values.templates import parse_template
from ...errors import SpecIssue
from .._context import PARAM_TYPES, Context, as_dict
from .._shape import pointer
from ._registry import rule
from ._sites import Scope, Where, at, filter_sites, template_sites, tree_report


def _param_maps(ctx: Context) -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, params object) of every params map, nested element maps included."""
    for section in ("queries", "commands", "transactions"):
        for _, spec, ptr in ctx.section(section):
            params = spec.get("params")
            if isinstance(params, dict):
                yield from _nested(f"{ptr}/params", params)


def _nested(ptr: str, params: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield ptr, params
    for name, spec in params.items():
        element = as_dict(spec).get("element")
        if isinstance(element, dict):
            yield from _nested(ptr + pointer((name, "element")), element)


def _fine(name: str, kind: Any, spec: dict[str, Any]) -> bool:
    return (
        kind in PARAM_TYPES
        and (kind != "literal" or (isinstance(spec.get("literals"), list) and spec["literals"]))
        and (kind == "array" or "element" not in spec)
        and (kind == "literal" or "literals" not in spec)
        and bool(name)
        and "{" not in name
        and "}" not in name
    )


@rule("PA002", "PA003", "PA004", "PA006")
def param_specs(ctx: Context) -> Iterator[SpecIssue]:
    for ptr, params in _param_maps(ctx):
        for name, spec in params.items():
            kind = spec.get("type")
            if _fine(name, kind, spec):
                continue  # the common case: no pointer to build
            here = ptr + pointer((name,))
            if kind is None:
                message = f"param {name!r} has no type; validated as string"
                yield ctx.issue(here, message, "PA002", advisory=True)
            elif kind not in PARAM_TYPES:
                yield ctx.issue(f"{here}/type", _type_problem(kind), "PA002")
            literals = spec.get("literals")
            if kind == "literal" and not (isinstance(literals, list) and literals):
                yield ctx.issue(
                    here, f"literal param {name!r} needs a non-empty 'literals' array", "PA003"
                )
            if "literals" in spec and kind != "literal" and kind is not None:
                yield ctx.issue(  # validating without them would accept values not listed
                    f"{here}/literals",
                    f"'literals' cannot be honoured on {kind!r} param {name!r}; declare "
                    '"type": "literal" to restrict its values',
                    "PA003",
                )
            if "element" in spec and kind != "array":
                yield ctx.issue(
                    f"{here}/element",
                    f"'element' is ignored on non-array param {name!r}",
                    "PA004",
                    advisory=True,
                )
            if not name or "{" in name or "}" in name:
                yield ctx.issue(
                    here, f"param name {name!r} cannot be referenced by a template", "PA006"
                )


def _type_problem(kind: Any) -> str:
    if kind == "map":
        return "'map' is a format 1.2 param type that this runtime does not support"
    return (
        f"unknown param type {kind!r}; expected one of {', '.join(map(repr, PARAM_TYPES))}"
        + did_you_mean(kind, PARAM_TYPES)
    )


_NAMESPACES = ("result.", "item.")


def _pointer(where: Where | str) -> str:
    return where if isinstance(where, str) else at(where)


def _check_name(
    ctx: Context, where: Where | str, name: str, scope: Scope, describe: str
) -> SpecIssue | None:
    """The TP issue for one placeholder or read-filter marker ``name``, if any."""
    if scope.relation and name.startswith("result."):
        field = name[len("result.") :]
        projection = scope.producer_projection
        if projection is not None and field not in projection:
            return ctx.issue(
                _pointer(where),
                f"'result.{field}' is not projected by the parent operation {scope.producer}"
                + did_you_mean(field, projection),
                "TP005",
            )
        return None
    if scope.for_each is not None and name.startswith("item."):
        field = name[len("item.") :]
        if scope.element is not None and field not in scope.element:
            return ctx.issue(
                _pointer(where),
                f"'item.{field}' is not a field of the elements of {scope.for_each!r}"
                + did_you_mean(field, scope.element),
                "TP004",
            )
        return None
    if name in scope.params:
        return None
    if name.startswith("result."):
        return ctx.issue(
            _pointer(where), f"'{{{name}}}' is only allowed in relation operations", "TP002"
        )
    if name.startswith("item."):
        return ctx.issue(_pointer(where), f"'{{{name}}}' requires a forEach on this item", "TP003")
    return ctx.issue(
        _pointer(where),
        f"{describe} references {name!r}, which is not a declared parameter of {scope.owner!r}"
        + did_you_mean(name, scope.params),
        "TP001",
    )


@rule("TP001", "TP002", "TP003", "TP004", "TP005")
def template_names(ctx: Context) -> Iterator[SpecIssue]:
    for where, text, scope in template_sites(ctx):
        for name in parse_template(text).names:
            if name in scope.params and (
                not name.startswith(_NAMESPACES) or not (scope.relation or scope.for_each)
            ):
                continue  # a declared param: the common case
            issue = _check_name(ctx, where, name, scope, f"template {text!r}")
            if issue is not None:
                yield issue
    for ptr, tree, scope, is_write in filter_sites(ctx):
        if is_write:
            continue  # markers of write conditions are CD007's
        for where, name in tree_report(ctx, tree, ptr).markers:
            issue = _check_name(ctx, where, name, scope, "'$param'")
            if issue is not None:
                yield issue
