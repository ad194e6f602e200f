"""Transaction rules TX003 to TX017 (section 42.6)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from ..._suggest import did_you_mean
from ..._values.templates import parse_template
from ...errors import SpecIssue
from .._context import Context, EntityInfo, Params, as_dict, as_list, is_int
from .._shape import pointer
from ._commands import base_key_names, key_attribute_names
from ._registry import rule

_INTEGER = re.compile(r"^[+-]?\d+$")


def _items(ctx: Context) -> Iterator[tuple[str, Params, dict[str, Any], str]]:
    """(transaction id, params, item, item pointer) of every untainted transaction item."""
    for tid, spec, ptr in ctx.section("transactions"):
        params = ctx.params(ptr, spec)
        for index, item in enumerate(spec["items"]):
            yield tid, params, item, f"{ptr}/items/{index}"


def _entity(ctx: Context, item: dict[str, Any]) -> EntityInfo | None:
    name = item.get("entity")
    entity = ctx.entities.get(name) if isinstance(name, str) else None
    return entity if entity is not None and entity.table == item["tableName"] else None


def _element(params: Params, item: dict[str, Any]) -> Params | None:
    source = as_dict(item.get("forEach")).get("source")
    param = params.get(source) if isinstance(source, str) else None
    return param.element if param is not None else None


@rule("TX003", "TX004", "TX005", "TX006", "TX016", "TX017")
def item_shape(ctx: Context) -> Iterator[SpecIssue]:
    for _, params, item, ptr in _items(ctx):
        kind, table = item["type"], item["tableName"]
        literal = item.get("literalKey") is True
        if "literalKey" in item and not isinstance(item["literalKey"], bool):
            yield ctx.issue(f"{ptr}/literalKey", "literalKey must be true or false", "TX005")
            continue
        name = item.get("entity")
        entity = _entity(ctx, item)
        if not literal and not ctx.broken(name) and entity is None:
            if isinstance(name, str) and name in ctx.entities:
                message = f"entity {name!r} is on table {ctx.entities[name].table!r}, not {table!r}"
            else:
                message = f"unknown entity {name!r} (set literalKey for marker rows)"
                message += did_you_mean(name, ctx.entities)
            yield ctx.issue(ctx.at(ptr, item, "entity"), message, "TX003")
        key_attrs = ctx.table_key_attributes(table)
        if kind == "Put":
            record = item.get("item")
            if not isinstance(record, dict):
                yield ctx.issue(ptr, "Put needs 'item' (an object)", "TX004")
            elif literal:
                for attr in key_attrs or ("PK",):
                    if attr not in record:
                        yield ctx.issue(
                            f"{ptr}/item", f"literalKey item must contain {attr!r}", "TX005"
                        )
            elif entity is not None and entity.pk is None:
                yield ctx.issue(f"{ptr}/entity", f"entity {entity.name!r} has no key", "TX016")
            elif entity is not None:
                element = _element(params, item)
                for n in base_key_names(entity):
                    bare_ok = element is None and "forEach" in item
                    if n in record or n in params or bare_ok or (element and n in element):
                        continue
                    yield ctx.issue(
                        f"{ptr}/item", f"key placeholder {n!r} cannot be bound", "TX017"
                    )
        else:
            key = item.get("keyCondition")
            if not isinstance(key, dict):
                yield ctx.issue(ptr, f"{kind} needs 'keyCondition'", "TX004")
            elif key_attrs is not None and sorted(key) != sorted(key_attrs):
                yield ctx.issue(
                    ptr,
                    f"keyCondition must be exactly {list(key_attrs)}, got {list(key)}",
                    "TX004",
                )
        if kind == "ConditionCheck" and not isinstance(item.get("condition"), dict):
            yield ctx.issue(ptr, "ConditionCheck needs a condition", "TX006")


@rule("TX007", "TX008")
def expansion(ctx: Context) -> Iterator[SpecIssue]:
    for _, params, item, ptr in _items(ctx):
        if "forEach" in item:
            source = as_dict(item["forEach"]).get("source")
            param = params.get(source) if isinstance(source, str) else None
            if param is None or param.type != "array":
                arrays = [p.name for p in params.values() if p.type == "array"]
                yield ctx.issue(
                    ctx.at(ptr, item, "forEach", "source"),
                    f"forEach source {source!r} is not an array parameter"
                    + did_you_mean(source, arrays),
                    "TX007",
                )
        if "when" in item:
            when = item["when"]
            if not isinstance(when, dict):
                yield ctx.issue(f"{ptr}/when", "when must be an object", "TX008")
                continue
            if not (isinstance(when.get("left"), str) and isinstance(when.get("right"), str)):
                yield ctx.issue(f"{ptr}/when", "when.left and when.right must be strings", "TX008")
            if when.get("op") not in ("eq", "ne"):
                yield ctx.issue(
                    f"{ptr}/when", f"when.op must be 'eq' or 'ne', got {when.get('op')!r}", "TX008"
                )


@rule("TX009", "TX015")
def update_targets(ctx: Context) -> Iterator[SpecIssue]:
    for _, _, item, ptr in _items(ctx):
        keys = key_attribute_names(ctx, item["tableName"])
        entity = _entity(ctx, item)
        for section in ("changes", "add"):
            for field, value in as_dict(item.get(section)).items():
                here = f"{ptr}{pointer((section, field))}"
                if field in keys:
                    yield ctx.issue(
                        here, f"{field!r} is a key attribute and cannot be changed", "TX015"
                    )
                    continue
                if section != "add":
                    continue
                if not _valid_delta(value):
                    yield ctx.issue(
                        here,
                        f"ADD value must be a finite number, an integer string or a template, "
                        f"got {value!r}",
                        "TX009",
                    )
                for gsi in entity.gsis if entity is not None else ():
                    if field in gsi.dependencies:
                        yield ctx.issue(
                            here,
                            f"cannot ADD to {field!r}: it is an input of index {gsi.index_name!r}",
                            "TX009",
                        )
                        break


def _valid_delta(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    if isinstance(value, str):
        return bool(parse_template(value).names) or bool(_INTEGER.match(value))
    return False


@rule("TX010", "TX011", "TX012")
def maintain(ctx: Context) -> Iterator[SpecIssue]:
    for _, params, item, ptr in _items(ctx):
        if "maintain" not in item:
            continue
        here = f"{ptr}/maintain"
        if item["type"] != "Update":
            yield ctx.issue(here, "maintain is only allowed on Update items", "TX011")
            continue
        for field in ("changes", "add", "condition"):
            if field in item:  # a maintenance write always upserts: it could not honour them
                yield ctx.issue(
                    ptr,
                    f"{field!r} cannot be honoured on a maintenance write, which always upserts "
                    "its owner row; move it to an item of its own",
                    "TX012",
                )
        for message in _maintain_problems(item["maintain"], params, item):
            yield ctx.issue(here, message, "TX010")


def _maintain_problems(spec: Any, params: Params, item: dict[str, Any]) -> Iterator[str]:
    if not isinstance(spec, dict):
        yield "maintain must be an object"
        return
    kind = spec.get("kind")
    if kind not in ("collection", "snapshot", "counter"):
        yield f"unknown maintain kind {kind!r}"
        return
    if kind == "counter":
        counter = as_dict(spec.get("counter"))
        if not isinstance(counter.get("attribute"), str) or not counter.get("attribute"):
            yield "counter needs an 'attribute'"
        if not _valid_delta(counter.get("delta")):
            yield f"counter needs a numeric 'delta', got {counter.get('delta')!r}"
        return
    projection = spec.get("projection")
    if not isinstance(projection, dict) or (kind == "snapshot" and not projection):
        yield f"{kind} needs a non-empty 'projection' object"
        projection = {}
    if kind == "collection":
        field = as_dict(spec.get("collection")).get("field")
        if not (isinstance(field, str) and field):
            yield "collection needs 'collection.field'"
    element = _element(params, item)
    for attr, raw_entry in projection.items():
        entry = as_dict(raw_entry)
        op = entry.get("op")
        if op not in ("identity", "preview"):
            yield f"projection {attr!r}: unknown op {op!r}"
        elif op == "preview":
            args = as_list(entry.get("args"))
            length = args[0] if args else None
            if not (isinstance(length, int) and not isinstance(length, bool) and length > 0):
                yield f"preview needs a positive integer length, got {length!r}"
        source = entry.get("inputField")
        if not isinstance(source, str):
            yield f"projection {attr!r} needs an 'inputField'"
        elif source.startswith("item.") and "forEach" in item:
            if element is not None and source[5:] not in element:
                yield f"inputField {source!r} is not an element field"
        elif source not in params:
            yield f"inputField {source!r} is not a declared parameter"


@rule("TX013", "TX014")
def transaction_level(ctx: Context) -> Iterator[SpecIssue]:
    for _, spec, ptr in ctx.section("transactions"):
        if "maxItems" in spec:
            value = spec["maxItems"]
            if not (is_int(value) and value >= 1):
                yield ctx.issue(f"{ptr}/maxItems", "maxItems must be a positive integer", "TX013")
            elif value > 100:
                yield ctx.issue(
                    f"{ptr}/maxItems",
                    f"maxItems {value} exceeds DynamoDB's 100 actions per transaction",
                    "TX013",
                    advisory=True,
                )
        if not spec["items"]:
            yield ctx.issue(f"{ptr}/items", "transaction has no items", "TX014", advisory=True)
