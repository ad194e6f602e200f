"""Command rules CM003 to CM010 and condition rules CD002 to CD008 (section 42.5)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..._suggest import did_you_mean
from ..._values.templates import parse_template
from ...errors import SpecIssue
from .._context import Context, EntityInfo, as_dict
from .._shape import pointer
from ._registry import rule
from ._sites import Scope, Where, at, condition_sites, tree_report

_NAME_TOKEN = re.compile(r"#[A-Za-z0-9_]+")
_VALUE_TOKEN = re.compile(r":[A-Za-z0-9_]+")
# Aliases the runtime generates (Appendix A); a raw condition must not reuse them.
_RUNTIME_NAMES = re.compile(r"#(k\d+|kr|f\d+|p\d+|c\d*|gsi\d+(pk|sk)|a\d+|m\d+|pk|ce|e\d+)")
_RUNTIME_VALUES = re.compile(r":(k\d+|kr\d*|vf\d+|c\d+|gsi\d+(pk|sk)|a\d+|m\d+|empty|item|e\d+)")


def key_attribute_names(ctx: Context, table: str | None) -> set[str]:
    """PK, SK and the key attributes of every index of ``table``."""
    return ctx.key_attribute_names(table)


def base_key_names(entity: EntityInfo) -> list[str]:
    names: list[str] = []
    for template in (entity.pk, entity.sk):
        if template is not None:
            names.extend(n for n in parse_template(template).names if n not in names)
    return names


@rule("CM003", "CM004", "CM005", "CM006", "CM007")
def command_shape(ctx: Context) -> Iterator[SpecIssue]:
    for _, spec, ptr in ctx.section("commands"):
        kind, table = spec["type"], spec["tableName"]
        entity: EntityInfo | None = None
        name = spec.get("entity")
        if ctx.broken(name):
            pass
        elif "entity" not in spec:
            if kind == "PutItem":
                yield ctx.issue(ptr, "PutItem needs 'entity'", "CM003")
        elif not isinstance(name, str) or name not in ctx.entities:
            yield ctx.issue(
                f"{ptr}/entity",
                f"unknown entity {name!r}" + did_you_mean(name, ctx.entities),
                "CM003",
            )
        elif ctx.entities[name].table != table:
            yield ctx.issue(
                f"{ptr}/entity",
                f"entity {name!r} is on table {ctx.entities[name].table!r}, not {table!r}",
                "CM003",
            )
        else:
            entity = ctx.entities[name]
        if kind == "PutItem":
            item = spec.get("item")
            if not isinstance(item, dict):
                yield ctx.issue(ptr, "PutItem needs 'item' (an object)", "CM004")
            if entity is not None and entity.pk is None:
                yield ctx.issue(
                    f"{ptr}/entity",
                    f"entity {entity.name!r} has no key; it cannot be written",
                    "CM006",
                )
            elif entity is not None and isinstance(item, dict):
                params = as_dict(spec.get("params"))
                missing = [n for n in base_key_names(entity) if n not in item and n not in params]
                for n in missing:
                    yield ctx.issue(
                        f"{ptr}/item",
                        f"key placeholder {n!r} of {entity.name!r} is neither an item field nor "
                        "a parameter",
                        "CM007",
                    )
            continue
        key = spec.get("keyCondition")
        if not isinstance(key, dict):
            yield ctx.issue(ptr, f"{kind} needs 'keyCondition' (an object)", "CM004")
        else:
            expected = ctx.table_key_attributes(table)
            if expected is not None and sorted(key) != sorted(expected):
                yield ctx.issue(
                    f"{ptr}/keyCondition",
                    f"keyCondition must be exactly {list(expected)}, got {list(key)}",
                    "CM005",
                )
        if "changes" in spec and not isinstance(spec["changes"], dict):
            yield ctx.issue(ptr, "'changes' must be an object", "CM004")


@rule("CM008", "CM009", "CM010")
def command_changes(ctx: Context) -> Iterator[SpecIssue]:
    for _, spec, ptr in ctx.section("commands"):
        changes = spec.get("changes")
        keys = key_attribute_names(ctx, spec["tableName"])
        name = spec.get("entity")
        entity = ctx.entities.get(name) if isinstance(name, str) else None
        if isinstance(changes, dict):
            key_fields = base_key_names(entity) if entity is not None else []
            for field in changes:
                here = f"{ptr}{pointer(('changes', field))}"
                if field in keys:
                    yield ctx.issue(
                        here, f"{field!r} is a key attribute and cannot be changed", "CM008"
                    )
                elif field in key_fields:
                    yield ctx.issue(
                        here,
                        f"changing {field!r} does not move the item's primary key",
                        "CM010",
                        advisory=True,
                    )
        if spec["type"] != "UpdateItem":
            continue
        if "entity" not in spec:
            yield ctx.issue(
                ptr,
                "UpdateItem without 'entity': index keys are not re-derived",
                "CM009",
                advisory=True,
            )
        if not changes:
            yield ctx.issue(
                ptr,
                "UpdateItem has no 'changes': it only upserts the key",
                "CM009",
                advisory=True,
            )


@rule("CD002", "CD003", "CD004", "CD005", "CD006", "CD008")
def condition_shape(ctx: Context) -> Iterator[SpecIssue]:
    for ptr, cond, _ in condition_sites(ctx):
        kind = cond.get("kind")
        if kind in ("attributeExists", "attributeNotExists"):
            field = cond.get("field")
            if not (isinstance(field, str) and field):
                yield ctx.issue(ptr, f"'{kind}' needs a non-empty 'field'", "CD002")
        elif kind == "equals":
            fields = cond.get("fields")
            if not (isinstance(fields, dict) and fields):
                yield ctx.issue(
                    ctx.at(ptr, cond, "fields"), "'equals' needs at least one field", "CD003"
                )
        elif kind == "expr":
            tree = cond.get("declarative")
            if not isinstance(tree, dict):
                yield ctx.issue(ptr, "'expr' needs 'declarative' (an object)", "CD004")
            elif tree_report(ctx, tree, f"{ptr}/declarative").clauses == 0:
                yield ctx.issue(
                    f"{ptr}/declarative",
                    "condition compiles to nothing; no ConditionExpression is sent",
                    "CD008",
                    advisory=True,
                )
        elif kind == "raw":
            yield from _raw(ctx, ptr, cond)


def _raw(ctx: Context, ptr: str, cond: dict[str, Any]) -> Iterator[SpecIssue]:
    expression, names, values = (
        cond.get("expression"),
        cond.get("names", {}),
        cond.get("values", {}),
    )
    if not isinstance(expression, str):
        yield ctx.issue(ptr, "'raw' needs an 'expression' string", "CD005")
        return
    if not isinstance(names, dict) or not isinstance(values, dict):
        yield ctx.issue(ptr, "'raw' names and values must be objects", "CD005")
        return
    for used, defined, pattern in (
        (set(_NAME_TOKEN.findall(expression)), names, "names"),
        (set(_VALUE_TOKEN.findall(expression)), values, "values"),
    ):
        for alias in sorted(used - set(defined)):
            yield ctx.issue(ptr, f"{alias!r} is used in the expression but not defined", "CD005")
        for alias in defined:
            if alias not in used:
                yield ctx.issue(
                    ptr,
                    f"{alias!r} is defined in {pattern} but not used in the expression",
                    "CD005",
                )
    for section, defined, runtime, prefix in (
        ("names", names, _RUNTIME_NAMES, "#cr_"),
        ("values", values, _RUNTIME_VALUES, ":cr"),
    ):
        for alias in defined:
            here = f"{ptr}{pointer((section, alias))}"
            if runtime.fullmatch(alias):
                yield ctx.issue(
                    here, f"alias {alias!r} collides with an alias the runtime generates", "CD006"
                )
            elif not alias.startswith(prefix):
                yield ctx.issue(
                    here,
                    f"alias {alias!r} should use the {prefix!r} prefix",
                    "CD006",
                    advisory=True,
                )


def _marker_issue(ctx: Context, ptr: str, name: str, scope: Scope) -> SpecIssue | None:
    if name.startswith("result."):
        return ctx.issue(ptr, f"condition marker {name!r}: 'result.' is not allowed", "CD007")
    if scope.for_each is not None and name.startswith("item."):
        field = name[len("item.") :]
        if scope.element is not None and field not in scope.element:
            return ctx.issue(
                ptr,
                f"condition references 'item.{field}', which is not an element field",
                "CD007",
            )
        return None
    if name not in scope.params:
        return ctx.issue(
            ptr,
            f"condition references undeclared parameter {name!r}"
            + did_you_mean(name, scope.params),
            "CD007",
        )
    return None


@rule("CD007")
def condition_markers(ctx: Context) -> Iterator[SpecIssue]:
    for ptr, cond, scope in condition_sites(ctx):
        markers: list[tuple[Where, str]] = []
        if cond.get("kind") == "expr" and isinstance(cond.get("declarative"), dict):
            markers = tree_report(ctx, cond["declarative"], f"{ptr}/declarative").markers
        elif cond.get("kind") == "raw":
            for alias, value in as_dict(cond.get("values")).items():
                if isinstance(value, dict) and isinstance(value.get("$param"), str):
                    markers.append(((ptr, ("values", alias)), value["$param"]))
        for where, name in markers:
            issue = _marker_issue(ctx, at(where), name, scope)
            if issue is not None:
                yield issue
