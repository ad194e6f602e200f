"""Build immutable plans from a validated context (section 2.6).

Runs only when the rules found no error, so every shape is trusted here. Everything that does not
depend on call-time values is computed now: parsed templates, resolved entities, key-condition
and filter text, projection aliases, cursor attributes, stages and continuation queries.
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

from .._values.templates import Template, normalize, parse_template
from ..limits import RELATION_TRAVERSAL_CONCURRENCY
from ._context import Context, OpInfo, Params, QueryInfo, as_dict
from ._expressions import compile_condition, compile_tree, key_condition_text, range_clause
from ._literals import typed_literal
from .plans import (
    Catalog,
    CommandMethodPlan,
    CommandPlan,
    ComposeEdgePlan,
    ContractPlan,
    EntityPlan,
    GsiPlan,
    Literal,
    MaintainField,
    MaintainPlan,
    QueryMethodPlan,
    QueryPlan,
    RangePlan,
    ReadOpPlan,
    TableSchema,
    TransactionItemPlan,
    TransactionPlan,
    Value,
    WhenPlan,
    freeze,
)

__all__ = ["build_catalog"]


def _value(raw: Any) -> Value:
    return parse_template(raw) if isinstance(raw, str) else Literal(value=freeze(raw))


def _pairs(raw: Any) -> tuple[tuple[str, Value], ...]:
    return tuple((name, _value(v)) for name, v in as_dict(raw).items())


def _written(raw: Any, types: dict[str, str]) -> tuple[tuple[str, Value], ...]:
    """Values written to attributes: a placeholder-free string for a field the manifest types
    ``number`` or ``boolean`` becomes a typed literal (section 3.4; VL001 checked it)."""
    pairs = _pairs(raw)
    if not types or types.keys().isdisjoint(as_dict(raw)):
        return pairs
    return tuple(
        (name, Literal(value=typed_literal(value.text, types[name])[0]))
        if name in types and type(value) is Template and not value.names
        else (name, value)
        for name, value in pairs
    )


def build_catalog(ctx: Context) -> Catalog:
    entities = {name: _entity(ctx, name) for name in ctx.entities}
    tables = {
        name: TableSchema(
            name=name,
            key_attributes=ctx.table_key_attributes(name) or ("PK",),
            indexes=MappingProxyType(
                {index: ctx.index_key_attributes(name, index) or () for index in info.indexes}
            ),
        )
        for name, info in ctx.tables.items()
    }
    continuations = _ContinuationIndex(ctx)
    queries = {
        qid: _query(ctx, query, entities, tables, continuations)
        for qid, query in ctx.queries.items()
    }
    commands = {
        cid: _command(ctx, cid, spec, ctx.params(ptr, spec))
        for cid, spec, ptr in ctx.section("commands")
    }
    transactions = {
        tid: _transaction(ctx, tid, spec, ctx.params(ptr, spec))
        for tid, spec, ptr in ctx.section("transactions")
    }
    contracts = {name: _contract(name, spec) for name, spec, _ in ctx.section("contracts")}
    return Catalog(
        entities=MappingProxyType(entities),
        tables=MappingProxyType(tables),
        queries=MappingProxyType(queries),
        commands=MappingProxyType(commands),
        transactions=MappingProxyType(transactions),
        contracts=MappingProxyType(contracts),
    )


# --- manifest ---------------------------------------------------------------------------------


def _entity(ctx: Context, name: str) -> EntityPlan:
    info = ctx.entities[name]
    formats, types = {}, {}
    for field, meta in info.fields.items():
        fmt, kind = as_dict(meta).get("format"), as_dict(meta).get("type")
        if fmt in ("datetime", "date"):
            formats[field] = fmt
        if isinstance(kind, str):
            types[field] = kind
    return EntityPlan(
        meta=freeze(info.raw),
        name=name,
        table=info.table,
        pk=parse_template(info.pk) if info.pk is not None else None,
        sk=parse_template(info.sk) if info.sk is not None else None,
        gsis=tuple(
            GsiPlan(
                index_name=g.index_name,
                pk=parse_template(g.pk) if g.pk is not None else None,
                sk=parse_template(g.sk) if g.sk is not None else None,
                dependencies=g.dependencies,
            )
            for g in info.gsis
        ),
        formats=MappingProxyType(formats),
        types=MappingProxyType(types),
    )


# --- queries ----------------------------------------------------------------------------------


def _normalized(value: Any) -> Any:
    return normalize(value) if isinstance(value, str) else value


def _filter_signature(flt: Any) -> str:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1 and "$param" in value:
                return "\x00*\x00"
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    declarative = as_dict(flt).get("declarative")
    return json.dumps(strip(declarative), sort_keys=True)


def _signature(op: OpInfo) -> tuple[Any, ...]:
    """What a continuation query's root must share with a hasMany leg (section 23)."""
    rng = op.range
    return (
        op.table,
        op.index_name,
        tuple((attr, _normalized(v)) for attr, v in op.key_condition.items()),
        None
        if rng is None
        else (
            rng.get("operator"),
            rng.get("key"),
            json.dumps(
                [_normalized(v) for v in rng["value"]]
                if isinstance(rng.get("value"), list)
                else _normalized(rng.get("value"))
            ),
        ),
        _filter_signature(op.raw.get("filter")),
        op.raw.get("scanIndexForward", True),
    )


def _bucket(op: OpInfo) -> tuple[Any, ...]:
    return (op.table, op.index_name, tuple(op.key_condition))


class _ContinuationIndex:
    """Query roots by a cheap key; full signatures are computed only for candidate buckets."""

    def __init__(self, ctx: Context) -> None:
        self._buckets: dict[tuple[Any, ...], list[tuple[str, OpInfo]]] = {}
        for qid, query in ctx.queries.items():
            root = query.ops[0]
            if root.type == "Query":
                self._buckets.setdefault(_bucket(root), []).append((qid, root))

    def find(self, op: OpInfo) -> str | None:
        candidates = self._buckets.get(_bucket(op), ())
        if not candidates:
            return None
        signature = _signature(op)
        matches = [qid for qid, root in candidates if _signature(root) == signature]
        return matches[0] if len(matches) == 1 else None


def _result_fields(op: OpInfo) -> tuple[str, ...]:
    """Parent fields that {result.f} templates and markers of a relation op bind."""
    names: list[str] = []
    texts = [v for v in op.key_condition.values() if isinstance(v, str)]
    if op.range is not None:
        value = op.range.get("value")
        bounds = value if isinstance(value, list) else [value]
        texts.extend(v for v in bounds if isinstance(v, str))
    for text in texts:
        names.extend(parse_template(text).names)
    names.extend(_marker_names(as_dict(op.raw.get("filter")).get("declarative")))
    out: list[str] = []
    for name in names:
        if name.startswith("result.") and name[7:] not in out:
            out.append(name[7:])
    return tuple(out)


def _marker_names(tree: Any) -> list[str]:
    if isinstance(tree, dict):
        if len(tree) == 1 and isinstance(tree.get("$param"), str):
            return [tree["$param"]]
        return [n for v in tree.values() for n in _marker_names(v)]
    if isinstance(tree, list):
        return [n for v in tree for n in _marker_names(v)]
    return []


def _read_op(
    op: OpInfo,
    entities: dict[str, EntityPlan],
    tables: dict[str, TableSchema],
    continuations: _ContinuationIndex,
) -> ReadOpPlan:
    assert op.table is not None and op.type is not None
    table = tables[op.table]
    entity = entities.get(op.entity) if op.entity is not None else None
    key_attrs = list(op.key_condition)
    rng = None
    if op.range is not None:
        clause, aliases = range_clause(op.range["operator"])
        raw = op.range["value"]
        rng = RangePlan(
            operator=op.range["operator"],
            key=op.range["key"],
            values=tuple(_value(v) for v in raw) if isinstance(raw, list) else (_value(raw),),
            clause=clause,
            aliases=aliases,
        )
    is_query = op.type == "Query"
    key_names: tuple[tuple[str, str], ...] = ()
    key_text = ""
    if is_query:
        key_names = tuple((f"#k{i}", a) for i, a in enumerate(key_attrs))
        if rng is not None:
            key_names += (("#kr", rng.key),)
        key_text = key_condition_text(key_attrs, rng.operator if rng else None)
    flt = as_dict(op.raw.get("filter")).get("declarative") if is_query else None
    projection_expression = None
    projection_names: tuple[tuple[str, str], ...] = ()
    if op.type == "BatchGetItem":
        fields = list(op.projection) + [a for a in key_attrs if a not in op.projection]
        projection_names = tuple((f"#p{i}", f) for i, f in enumerate(fields))
        if fields:
            projection_expression = ", ".join(alias for alias, _ in projection_names)
    if op.index_name is not None:
        cursor = table.indexes[op.index_name] + table.key_attributes
        partition = f"{op.index_name}PK"
    else:
        cursor, partition = table.key_attributes, "PK"
    formats = entity.formats if entity is not None else {}
    source = op.raw.get("sourceField")
    return ReadOpPlan(
        index=op.index,
        type=op.type,
        table=op.table,
        index_name=op.index_name,
        entity=op.entity,
        key=_pairs(op.key_condition),
        range=rng,
        scan_forward=op.raw.get("scanIndexForward", True),
        filter=compile_tree(flt) if isinstance(flt, dict) else None,
        projection=op.projection,
        formats=MappingProxyType({f: formats[f] for f in op.projection if f in formats}),
        limit=op.raw.get("limit"),
        key_condition_expression=key_text,
        key_names=key_names,
        projection_expression=projection_expression,
        projection_names=projection_names,
        cursor_attributes=tuple(dict.fromkeys(cursor)),
        partition_attribute=partition,
        result_path=op.result_path or "$",
        tokens=op.tokens,
        parent_tokens=op.parent_tokens,
        property=op.property,
        connection=op.connection,
        producer=op.producer,
        depth=op.depth,
        relation_path=tuple(t for t in op.tokens if t != "items"),
        source_field=source if isinstance(source, str) else None,
        result_fields=_result_fields(op) if op.index > 0 else (),
        continuation=continuations.find(op) if op.connection and op.index > 0 else None,
        filter_spec=freeze(op.raw["filter"]) if "filter" in op.raw else None,
    )


def _query(
    ctx: Context,
    query: QueryInfo,
    entities: dict[str, EntityPlan],
    tables: dict[str, TableSchema],
    continuations: _ContinuationIndex,
) -> QueryPlan:
    ops = tuple(_read_op(op, entities, tables, continuations) for op in query.ops)
    plan = query.raw.get("executionPlan")
    count = len(ops)
    if isinstance(plan, dict):
        groups = tuple(tuple(int(i) for i in g) for g in plan["groups"])
        stages = tuple(s for s in (tuple(i for i in g if i != 0) for g in groups) if s)
        concurrency = plan.get("concurrency", RELATION_TRAVERSAL_CONCURRENCY)
    else:
        groups = tuple((i,) for i in range(count))
        stages = groups[1:]
        concurrency = RELATION_TRAVERSAL_CONCURRENCY
    limits = [op.limit for op in ops if op.limit is not None]
    return QueryPlan(
        id=query.id,
        params=query.params,
        cardinality=query.raw.get("cardinality"),
        operations=ops,
        stages=stages,
        concurrency=concurrency,
        explain_groups=groups,
        depth=max(op.depth for op in ops),
        max_static_limit=max(limits) if limits else None,
        indexed_ops=tuple((op.index, op.index_name) for op in ops if op.index_name is not None),
    )


# --- writes -----------------------------------------------------------------------------------


def _command(ctx: Context, cid: str, spec: dict[str, Any], params: Params) -> CommandPlan:
    condition = spec.get("condition")
    types = ctx.field_types(spec.get("entity"), spec["tableName"])
    return CommandPlan(
        id=cid,
        type=spec["type"],
        table=spec["tableName"],
        entity=spec.get("entity"),
        params=params,
        item=_written(spec.get("item"), types),
        key=_pairs(spec.get("keyCondition")),
        changes=_written(spec.get("changes"), types),
        condition=compile_condition(condition) if isinstance(condition, dict) else None,
    )


def _maintain(spec: dict[str, Any]) -> MaintainPlan:
    fields = []
    for attribute, entry in as_dict(spec.get("projection")).items():
        args = entry.get("args") or []
        fields.append(
            MaintainField(
                attribute=attribute,
                op=entry["op"],
                length=args[0] if entry["op"] == "preview" else None,
                input_field=entry["inputField"],
            )
        )
    counter = as_dict(spec.get("counter"))
    return MaintainPlan(
        kind=spec["kind"],
        projection=tuple(fields),
        collection_field=as_dict(spec.get("collection")).get("field"),
        counter_attribute=counter.get("attribute"),
        counter_delta=_value(counter["delta"]) if "delta" in counter else None,
    )


def _transaction(ctx: Context, tid: str, spec: dict[str, Any], params: Params) -> TransactionPlan:
    items = []
    for index, item in enumerate(spec["items"]):
        literal = item.get("literalKey") is True
        types = ctx.field_types(item.get("entity"), item["tableName"])
        when = item.get("when")
        maintain = item.get("maintain")
        condition = item.get("condition")
        items.append(
            TransactionItemPlan(
                index=index,
                type=item["type"],
                table=item["tableName"],
                entity=None if literal else item.get("entity"),
                literal_key=literal,
                item=_written(item.get("item"), types),
                key=_pairs(item.get("keyCondition")),
                changes=_written(item.get("changes"), types) if maintain is None else (),
                add=_pairs(item.get("add")) if maintain is None else (),
                maintain=_maintain(maintain) if isinstance(maintain, dict) else None,
                condition=compile_condition(condition)
                if isinstance(condition, dict) and maintain is None
                else None,
                for_each=as_dict(item.get("forEach")).get("source"),
                when=WhenPlan(
                    left=parse_template(when["left"]),
                    op=when["op"],
                    right=parse_template(when["right"]),
                )
                if isinstance(when, dict)
                else None,
            )
        )
    return TransactionPlan(
        id=tid,
        params=params,
        items=tuple(items),
        max_items=spec.get("maxItems"),
    )


# --- contracts --------------------------------------------------------------------------------


def _path(path: str) -> tuple[str, ...]:
    return () if path == "$" else tuple(path[2:].split("."))


def _contract(name: str, spec: dict[str, Any]) -> ContractPlan:
    methods: dict[str, QueryMethodPlan | CommandMethodPlan] = {}
    for method, m in spec["methods"].items():
        if spec["kind"] == "query":
            compose = tuple(
                ComposeEdgePlan(
                    as_=e["as"],
                    contract=e["contract"],
                    method=e["method"],
                    bind=tuple((f, _path(p)) for f, p in e["bind"].items()),
                )
                for e in m.get("compose", [])
            )
            plan = as_dict(m.get("compositionPlan"))
            stages = (
                tuple(tuple(s) for s in plan["stages"])
                if "stages" in plan
                else ((tuple(range(len(compose))),) if compose else ())
            )
            methods[method] = QueryMethodPlan(
                contract=name,
                name=method,
                operation=m["operation"],
                resolution=m["resolution"],
                input_arity=m.get("inputArity"),
                compose=compose,
                stages=stages,
                concurrency=plan.get("concurrency", 16) if plan else 1,
            )
        else:
            single = m["single"]
            batch = m.get("batch")
            single_mode = single.get("mode", "op")
            single_field = "transaction" if single_mode == "transaction" else "operation"
            methods[method] = CommandMethodPlan(
                contract=name,
                name=method,
                single_mode=single_mode,
                single_target=single[single_field],
                batch_mode=batch["mode"] if batch else None,
                batch_target=(
                    batch["transaction" if batch["mode"] == "transaction" else "operation"]
                    if batch
                    else None
                ),
                readback=f"{name}__{method}__readback" if m.get("returnSelection") else None,
            )
    return ContractPlan(name=name, kind=spec["kind"], methods=MappingProxyType(methods))
