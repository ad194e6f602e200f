"""LD003: fields that no section of docs/format.md recognises (reported under ``strict=True`` only).

Each shape lists its recognised fields (sections 3 to 34 and 2.5, plus ``description``) and how to
descend into its children. Free-form maps (keyConditions, items, filters, params by name, ...)
are not descended into: their keys are data, not fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...errors import SpecIssue
from .._context import Context
from .._shape import pointer
from ._registry import rule

# shape -> (recognised fields, {field: (child shape, how)}); how: "one" | "map" | "list"
Shape = tuple[frozenset[str], dict[str, tuple[str, str]]]


def _shape(recognised: str, **children: tuple[str, str]) -> Shape:
    return frozenset(recognised.split()) | {"description"}, children


SHAPES: dict[str, Shape] = {
    "manifest": _shape("entities tables", entities=("entity", "map")),
    "entity": _shape(
        "table key gsis fields physicalName relations ttlAttribute name",
        key=("key", "one"),
        gsis=("gsi", "list"),
        fields=("field", "map"),
    ),
    "key": _shape("pkTemplate skTemplate"),
    "gsi": _shape("indexName pkTemplate skTemplate inputFields unique"),
    "field": _shape("type format"),
    "operations": _shape(
        "queries commands transactions contracts",
        queries=("query", "map"),
        commands=("command", "map"),
        transactions=("transaction", "map"),
        contracts=("contract", "map"),
    ),
    "param": _shape("type required literals element", element=("param", "map")),
    "query": _shape(
        "params cardinality operations executionPlan",
        params=("param", "map"),
        operations=("op", "list"),
        executionPlan=("plan", "one"),
    ),
    "op": _shape(
        "type tableName indexName entity keyCondition rangeCondition scanIndexForward filter "
        "projection limit resultPath sourceField",
        rangeCondition=("range", "one"),
        filter=("filter", "one"),
    ),
    "range": _shape("operator key value"),
    "filter": _shape("declarative"),
    "plan": _shape("groups concurrency"),
    "command": _shape(
        "type tableName entity params item keyCondition changes condition",
        params=("param", "map"),
        condition=("condition", "one"),
    ),
    "condition": _shape("kind field fields declarative expression names values"),
    "transaction": _shape(
        "params items maxItems", params=("param", "map"), items=("txitem", "list")
    ),
    "txitem": _shape(
        "type tableName entity item literalKey keyCondition changes add maintain condition "
        "forEach when",
        maintain=("maintain", "one"),
        condition=("condition", "one"),
        forEach=("forEach", "one"),
        when=("when", "one"),
    ),
    "forEach": _shape("source"),
    "when": _shape("left op right"),
    "maintain": _shape(
        "kind projection collection counter",
        projection=("projected", "map"),
        collection=("collection", "one"),
        counter=("counter", "one"),
    ),
    "projected": _shape("op args inputField"),
    "collection": _shape("field maxItems orderBy"),
    "counter": _shape("attribute delta"),
    "contract": _shape("kind methods"),
    "qmethod": _shape(
        "operation resolution inputArity compose compositionPlan kind",
        compose=("edge", "list"),
        compositionPlan=("cplan", "one"),
    ),
    "edge": _shape("as contract method resolution bind"),
    "cplan": _shape("stages concurrency batchChunkSize"),
    "cmethod": _shape(
        "single batch returnSelection kind", single=("target", "one"), batch=("target", "one")
    ),
    "target": _shape("mode operation transaction"),
}


def _walk(shape: str, value: Any, ptr: str) -> Iterator[tuple[str, str]]:
    if not isinstance(value, dict):
        return
    if shape == "contract":
        method_shape = "qmethod" if value.get("kind") == "query" else "cmethod"
        for name, method in _dict(value.get("methods")).items():
            yield from _walk(method_shape, method, ptr + pointer(("methods", name)))
    known, children = SHAPES[shape]
    for field, child in value.items():
        here = ptr + pointer((field,))
        if field not in known:
            yield here, field
        elif field in children:
            child_shape, how = children[field]
            if how == "one":
                yield from _walk(child_shape, child, here)
            elif how == "map":
                for key, sub in _dict(child).items():
                    yield from _walk(child_shape, sub, here + pointer((key,)))
            elif isinstance(child, list):
                for i, sub in enumerate(child):
                    yield from _walk(child_shape, sub, f"{here}/{i}")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@rule("LD003", strict_only=True)
def unknown_fields(ctx: Context) -> Iterator[SpecIssue]:
    for ptr, field in _walk("manifest", ctx.manifest, ""):
        yield ctx.issue(ptr, f"unknown field {field!r}", "LD003", advisory=True, manifest=True)
    for ptr, field in _walk("operations", ctx.operations, ""):
        yield ctx.issue(ptr, f"unknown field {field!r}", "LD003", advisory=True)
