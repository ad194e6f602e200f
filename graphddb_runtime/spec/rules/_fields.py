"""LD003: fields that no section of docs/format.md recognises (section 2.5); VR002.

Each shape lists its recognised fields (sections 3 to 34 and 2.5) and how to descend into its
children. Free-form maps (keyConditions, items, filters, params by name, ...) are not descended
into: their keys are data, not fields. ``description``, ``$comment`` and keys starting with
``x-`` are accepted at every position.

An unknown field is an error, or an advisory with ``unknown_fields="warn"``. A field of a later
format version that this runtime does not implement (:data:`LATER`) is an error either way:
ignoring it would read or write something other than the document says.

The walk runs on every load, so it is one iterative pass that builds a pointer only for a
reported field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..._suggest import did_you_mean
from ...errors import SpecIssue
from .._context import Context
from .._gate import declared_version
from .._shape import pointer
from ._registry import rule

__all__ = ["LATER", "SHAPES"]

# shape -> (recognised fields, {field: (child shape, how)}); how: "one" | "map" | "list"
Shape = tuple[frozenset[str], dict[str, tuple[str, str]]]

ALWAYS = frozenset({"description", "$comment"})


#: One entry per shape: ``shape: recognised fields | child:shape`` (a child field holds one
#: object of that shape; ``{}`` a map of them by name, ``[]`` a list of them); an indented
#: line continues the entry above it.
_TABLE = """
manifest: entities tables version | entities:entity{}
entity: fields gsis key name physicalName relations table ttlAttribute | key:key gsis:gsi[]
    fields:field{}
key: pkTemplate skTemplate
gsi: indexName inputFields pkTemplate skTemplate unique
field: format required type
operations: commands contracts queries transactions version | queries:query{} commands:command{}
    transactions:transaction{} contracts:contract{}
param: element literals required type | element:param{}
query: cardinality executionPlan operations params | params:param{} operations:op[]
    executionPlan:plan
op: entity filter indexName keyCondition limit projection rangeCondition resultPath
    scanIndexForward sourceField tableName type | rangeCondition:range filter:filter
range: key operator value
filter: declarative
plan: concurrency groups
command: changes condition entity item keyCondition params tableName type | params:param{}
    condition:condition
condition: declarative expression field fields kind names values
transaction: items maxItems params | params:param{} items:txitem[]
txitem: add changes condition entity forEach item keyCondition literalKey maintain tableName
    type when | maintain:maintain condition:condition forEach:forEach when:when
forEach: source
when: left op right
maintain: collection counter kind projection | projection:projected{} collection:collection
    counter:counter
projected: args inputField op
collection: field maxItems orderBy
counter: attribute delta
contract: kind methods
qmethod: compose compositionPlan inputArity kind operation resolution | compose:edge[]
    compositionPlan:cplan
edge: as bind contract method resolution
cplan: batchChunkSize concurrency stages
cmethod: batch kind returnSelection single | single:target batch:target
target: mode operation transaction
"""
_HOW = {"{}": "map", "[]": "list"}


def _shapes(table: str) -> dict[str, Shape]:
    shapes: dict[str, Shape] = {}
    for line in table.replace("\n    ", " ").strip().splitlines():
        name, _, rest = line.partition(": ")
        recognised, _, children = rest.partition(" | ")
        links: dict[str, tuple[str, str]] = {}
        for link in children.split():
            field, _, child = link.partition(":")
            how = _HOW.get(child[-2:], "one")
            links[field] = (child[:-2] if how != "one" else child, how)
        shapes[name] = frozenset(recognised.split()) | ALWAYS, links
    return shapes


SHAPES: dict[str, Shape] = _shapes(_TABLE)

#: Fields of the 1.x format family (docs/FORMAT-1.2 supplement) this runtime does not implement:
#: shape -> field -> the format version that introduced it.
LATER: dict[str, dict[str, str]] = {
    "op": {"sourceList": "1.1", "serverProjection": "1.2"},
    "command": {"add": "1.2"},
    "transaction": {"batchWrite": "1.2"},
    "txitem": {"guard": "1.2"},
}

#: Fields whose declared version gates them (VR002): field -> (major, minor).
_VERSIONED = {"sourceList": (1, 1), "guard": (1, 2)}

#: Well-known names from other DynamoDB tools that a did-you-mean cannot find (lower-cased).
ALIASES: dict[str, dict[str, str]] = {
    "entity": {
        "tablename": "table",
        "partitionkey": "key",
        "primarykey": "key",
        "indexes": "gsis",
        "attributes": "fields",
    },
    "key": {"pk": "pkTemplate", "sk": "skTemplate", "partitionkey": "pkTemplate"},
    "gsi": {"name": "indexName", "index": "indexName", "pk": "pkTemplate", "sk": "skTemplate"},
    "param": {"optional": "required", "enum": "literals", "values": "literals"},
    "query": {"ops": "operations", "plan": "executionPlan"},
    "op": {
        "order": "scanIndexForward",
        "sortorder": "scanIndexForward",
        "ascending": "scanIndexForward",
        "index": "indexName",
        "table": "tableName",
        "key": "keyCondition",
        "filterexpression": "filter",
        "projectionexpression": "projection",
        "pagesize": "limit",
    },
    "command": {
        "table": "tableName",
        "key": "keyCondition",
        "updates": "changes",
        "set": "changes",
        "conditionexpression": "condition",
    },
    "txitem": {
        "table": "tableName",
        "key": "keyCondition",
        "updates": "changes",
        "set": "changes",
        "conditionexpression": "condition",
    },
}

Found = tuple[tuple[Any, ...], Any, str]  # (path of the object, field, shape)


def _bad(value: dict[str, Any], known: frozenset[str]) -> bool:
    """True when ``value`` has a field outside ``known`` (and not an ``x-`` key)."""
    return not known.issuperset(value) and any(
        field not in known and not (isinstance(field, str) and field.startswith("x-"))
        for field in value
    )


#: shape -> ((field, child shape, how, child's recognised fields, child's own child fields), ...)
_PLANS: dict[str, tuple[tuple[str, str, str, frozenset[str], frozenset[str]], ...]] = {
    name: tuple(
        (field, child, how, SHAPES[child][0], frozenset(SHAPES[child][1]))
        for field, (child, how) in children.items()
    )
    for name, (_, children) in SHAPES.items()
}
_PLANS["operations"] = tuple(
    (field, child, how, known, frozenset({"methods"}) if child == "contract" else deeper)
    for field, child, how, known, deeper in _PLANS["operations"]
)


def _clean(name: str, value: dict[str, Any]) -> bool:
    """True when no object below ``value`` (whose own fields were checked) is unrecognised.

    The common case on every load: no pointer and no path is built, each object costs one set
    test, and the recursion (bounded by the shapes, except nested array params) only enters
    objects that hold child objects. :func:`unknown` runs only when this fails.
    """
    if name == "contract":
        kind = value.get("kind")
        methods = value.get("methods")
        if kind in ("query", "command") and type(methods) is dict:
            method_shape = "qmethod" if kind == "query" else "cmethod"
            known = SHAPES[method_shape][0]
            for spec in methods.values():
                if type(spec) is dict and (_bad(spec, known) or not _clean(method_shape, spec)):
                    return False
        return True
    for field, child_shape, how, known, deeper in _PLANS[name]:
        child = value.get(field)
        if child is None:
            continue
        if how == "one":
            subs: Any = (child,)
        elif how == "map":
            subs = child.values() if type(child) is dict else ()
        else:
            subs = child if type(child) is list else ()
        for sub in subs:
            if type(sub) is not dict:
                continue
            if not known.issuperset(sub) and _bad(sub, known):
                return False
            if deeper and not deeper.isdisjoint(sub) and not _clean(child_shape, sub):
                return False
    return True


def _extra(found: list[Found], path: tuple[Any, ...], value: dict[str, Any], shape: str) -> None:
    known = SHAPES[shape][0]
    found.extend(
        (path, field, shape)
        for field in value
        if field not in known and not (isinstance(field, str) and field.startswith("x-"))
    )


def unknown(shape: str, document: dict[str, Any]) -> list[Found]:
    """Every unrecognised field of ``document`` (read as ``shape``); the caller sorts them.

    Only called when :func:`_clean` found one, so the paths are built only then.

    Objects of a map (params, fields, ...) are checked in place, and only pushed when they hold
    children of their own, so that the common leaf objects cost one set test each.
    """
    found: list[Found] = []
    # (shape, object, path, already checked)
    stack: list[tuple[str, dict[str, Any], tuple[Any, ...], bool]] = [(shape, document, (), False)]
    while stack:
        name, value, path, checked = stack.pop()
        known, children = SHAPES[name]
        if not checked and not known.issuperset(value):
            _extra(found, path, value, name)
        if name == "contract":
            kind = value.get("kind")
            methods = value.get("methods")
            if kind in ("query", "command") and type(methods) is dict:
                method_shape = "qmethod" if kind == "query" else "cmethod"
                for method, spec in methods.items():
                    if type(spec) is dict:
                        stack.append((method_shape, spec, (*path, "methods", method), False))
            continue
        for field, (child_shape, how) in children.items():
            child = value.get(field)
            if child is None:
                continue
            if how == "one":
                if type(child) is dict:
                    stack.append((child_shape, child, (*path, field), False))
            elif how == "map":
                if type(child) is not dict:
                    continue
                child_known, grandchildren = SHAPES[child_shape]
                for key, sub in child.items():
                    if type(sub) is not dict:
                        continue
                    if not child_known.issuperset(sub):
                        _extra(found, (*path, field, key), sub, child_shape)
                    if child_shape == "contract" or not grandchildren.keys().isdisjoint(sub):
                        stack.append((child_shape, sub, (*path, field, key), True))
            elif type(child) is list:
                here = (*path, field)
                stack.extend(
                    (child_shape, sub, (*here, i), False)
                    for i, sub in enumerate(child)
                    if type(sub) is dict
                )
    return found


def _message(shape: str, field: Any) -> str:
    known = SHAPES[shape][0] - ALWAYS
    alias = ALIASES.get(shape, {}).get(field.lower()) if isinstance(field, str) else None
    hint = f"; did you mean {alias!r}?" if alias is not None else did_you_mean(field, known)
    return f"unknown field {field!r}" + hint


def _issues(ctx: Context, manifest: bool) -> Iterator[SpecIssue]:
    document = ctx.manifest if manifest else ctx.operations
    version = declared_version(document)
    warn = ctx.unknown_fields == "warn"
    root = "manifest" if manifest else "operations"
    if not _bad(document, SHAPES[root][0]) and _clean(root, document):
        return
    for path, field, shape in unknown(root, document):
        ptr = pointer((*path, field))
        later = LATER.get(shape, {}).get(field)
        if later is None:
            message = _message(shape, field)
            yield ctx.issue(ptr, message, "LD003", advisory=warn, manifest=manifest)
            continue
        yield ctx.issue(
            ptr,
            f"{field!r} is a format {later} field that this runtime does not support",
            "LD003",
            manifest=manifest,
        )
        introduced = _VERSIONED.get(field)
        if introduced is not None and (version is None or version < introduced):
            newer = (
                "this unversioned (0.5.x) document"
                if version is None
                else f"the document's version '{version[0]}.{version[1]}'"
            )
            yield ctx.issue(
                ptr,
                f"{field!r} is a format {later} field, newer than {newer}",
                "VR002",
                advisory=True,
                manifest=manifest,
            )


@rule("LD003", "VR002")
def unknown_fields(ctx: Context) -> Iterator[SpecIssue]:
    yield from _issues(ctx, manifest=True)
    yield from _issues(ctx, manifest=False)
