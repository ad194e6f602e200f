"""Manifest rules MF005 and MF007 to MF014 (section 42.2)."""

from __future__ import annotations

from collections.abc import Iterator

from ..._suggest import did_you_mean
from ..._values.templates import parse_template
from ...errors import SpecIssue
from .._context import Context, EntityInfo
from .._literals import COERCED_TYPES
from .._shape import pointer
from ._registry import rule
from ._sites import Where, at

#: The field formats hydration restores (section 9.3).
FORMATS = ("datetime", "date")


def _error(ctx: Context, ptr: str, message: str, rule_id: str) -> SpecIssue:
    return ctx.issue(ptr, message, rule_id, manifest=True)


def _advisory(ctx: Context, ptr: str, message: str, rule_id: str) -> SpecIssue:
    return ctx.issue(ptr, message, rule_id, advisory=True, manifest=True)


def _templates(entity: EntityInfo) -> Iterator[tuple[Where, str]]:
    """(location, template) of the key and GSI templates of ``entity``."""
    base = ("entities", entity.name)
    if entity.pk is not None:
        yield ("", (*base, "key", "pkTemplate")), entity.pk
    if entity.sk is not None:
        yield ("", (*base, "key", "skTemplate")), entity.sk
    for gsi in entity.gsis:
        for name, template in (("pkTemplate", gsi.pk), ("skTemplate", gsi.sk)):
            if template is not None:
                yield ("", (*base, "gsis", gsi.position, name)), template


def _placeholders(ctx: Context) -> Iterator[tuple[EntityInfo, Where, str, str]]:
    """(entity, location, template, placeholder) of every key and GSI template placeholder."""
    for entity in ctx.entities.values():
        for where, template in _templates(entity):
            for name in parse_template(template).names:
                yield entity, where, template, name


@rule("MF005")
def duplicate_index(ctx: Context) -> Iterator[SpecIssue]:
    for entity in ctx.entities.values():
        seen: set[str] = set()
        for gsi in entity.gsis:
            if gsi.index_name in seen:
                yield _error(
                    ctx,
                    pointer(("entities", entity.name, "gsis", gsi.position, "indexName")),
                    f"duplicate index {gsi.index_name!r} on entity {entity.name!r}",
                    "MF005",
                )
            seen.add(gsi.index_name)


@rule("MF007")
def key_namespaces(ctx: Context) -> Iterator[SpecIssue]:
    for _, where, template, name in _placeholders(ctx):
        for namespace in ("result.", "item."):
            if name.startswith(namespace):
                message = f"key template {template!r} may not use the {namespace!r} namespace"
                yield _error(ctx, at(where), message, "MF007")


@rule("MF008")
def input_fields(ctx: Context) -> Iterator[SpecIssue]:
    for entity in ctx.entities.values():
        for gsi, raw in zip(entity.gsis, entity.raw.get("gsis", ()), strict=True):
            if "inputFields" not in raw:
                continue
            placeholders: list[str] = []
            for template in (gsi.pk, gsi.sk):
                if template is not None:
                    for n in parse_template(template).names:
                        if n not in placeholders:
                            placeholders.append(n)
            if set(gsi.input_fields) != set(placeholders):
                yield _advisory(
                    ctx,
                    pointer(("entities", entity.name, "gsis", gsi.position, "inputFields")),
                    f"inputFields {list(gsi.input_fields)!r} do not cover placeholders "
                    f"{placeholders!r}; the runtime uses their union",
                    "MF008",
                )


@rule("MF009")
def placeholders_are_fields(ctx: Context) -> Iterator[SpecIssue]:
    for entity, where, _, name in _placeholders(ctx):
        if name not in entity.fields and not name.startswith(("result.", "item.")):
            message = f"placeholder {name!r} is not a field of {entity.name!r}"
            yield _advisory(ctx, at(where), message, "MF009")


@rule("MF010")
def table_sort_key_agreement(ctx: Context) -> Iterator[SpecIssue]:
    for entity in ctx.entities.values():
        table = ctx.tables[entity.table]
        if entity.pk is not None and entity.sk is None and table.has_sort_key:
            yield _advisory(
                ctx,
                ctx.at(pointer(("entities", entity.name)), entity.raw, "key", "skTemplate"),
                f"table {entity.table!r} has a sort key, but entity {entity.name!r} has no "
                "skTemplate",
                "MF010",
            )


@rule("MF011")
def index_sort_key_agreement(ctx: Context) -> Iterator[SpecIssue]:
    for entity in ctx.entities.values():
        indexes = ctx.tables[entity.table].indexes
        for gsi in entity.gsis:
            if gsi.sk is None and indexes.get(gsi.index_name):
                yield _advisory(
                    ctx,
                    ctx.at(
                        pointer(("entities", entity.name)),
                        entity.raw,
                        "gsis",
                        gsi.position,
                        "skTemplate",
                    ),
                    f"index {gsi.index_name!r} has a sort key on other entities",
                    "MF011",
                )


@rule("MF012")
def field_formats(ctx: Context) -> Iterator[SpecIssue]:
    for entity in ctx.entities.values():
        for name, meta in entity.fields.items():
            fmt = meta.get("format") if isinstance(meta, dict) else None
            if isinstance(fmt, str) and fmt not in FORMATS:
                yield _error(
                    ctx,
                    pointer(("entities", entity.name, "fields", name, "format")),
                    f"unsupported format {fmt!r}: this runtime restores 'datetime' and 'date' "
                    "values only" + did_you_mean(fmt, FORMATS),
                    "MF012",
                )


#: Case-folded spellings of the typing FieldMeta types that difflib does not relate to them.
_TYPE_ALIASES = {"bool": "boolean", "int": "number", "integer": "number", "float": "number"}


@rule("MF015")
def field_types(ctx: Context) -> Iterator[SpecIssue]:
    """A field ``type`` that looks like a misspelt ``number`` or ``boolean``: its literals would
    be written as text (section 3.4)."""
    hints: dict[str, str] = {}  # a spec repeats few distinct types: one look-up each
    for entity in ctx.entities.values():
        for name, meta in entity.fields.items():
            kind = meta.get("type") if isinstance(meta, dict) else None
            if not isinstance(kind, str) or kind in COERCED_TYPES:
                continue
            hint = hints.get(kind)
            if hint is None:
                hint = hints[kind] = _type_hint(kind)
            if hint:
                yield _advisory(
                    ctx,
                    pointer(("entities", entity.name, "fields", name, "type")),
                    f"field type {kind!r} is informative, so literals written to {name!r} are "
                    f"not typed{hint}",
                    "MF015",
                )


def _type_hint(kind: str) -> str:
    folded = kind.lower()
    meant = _TYPE_ALIASES.get(folded) or (folded if folded in COERCED_TYPES else None)
    return f"; did you mean {meant!r}?" if meant else did_you_mean(kind, COERCED_TYPES)


@rule("MF013")
def ttl_attribute(ctx: Context) -> Iterator[SpecIssue]:
    for entity in ctx.entities.values():
        ttl = entity.raw.get("ttlAttribute")
        if isinstance(ttl, str) and ttl not in entity.fields:
            yield _advisory(
                ctx,
                pointer(("entities", entity.name, "ttlAttribute")),
                f"ttlAttribute {ttl!r} is not a field of {entity.name!r}",
                "MF013",
            )


@rule("MF014")
def physical_names(ctx: Context) -> Iterator[SpecIssue]:
    """One physical name per logical table: the runtime sends it (sections 3.2 and 15.6)."""
    first: dict[str, tuple[str, str]] = {}  # logical table -> (physicalName, entity)
    for entity in ctx.entities.values():
        name = entity.raw.get("physicalName")
        if not isinstance(name, str):
            continue
        ptr = pointer(("entities", entity.name, "physicalName"))
        if not name:
            yield _error(ctx, ptr, "physicalName must not be empty", "MF014")
            continue
        seen, owner = first.setdefault(entity.table, (name, entity.name))
        if seen != name:
            yield _error(
                ctx,
                ptr,
                f"physicalName {name!r} of {entity.name!r} differs from {seen!r} of {owner!r}: "
                f"logical table {entity.table!r} can have only one physical name",
                "MF014",
            )
