"""Query, read-op, relation, plan and filter rules (section 42.4)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from ..._suggest import did_you_mean
from ...errors import SpecIssue
from .._context import Context, OpInfo, QueryInfo, is_int
from ._registry import rule
from ._sites import filter_sites, tree_report

RANGE_OPERATORS = ("begins_with", "=", "<", "<=", ">", ">=", "between")


def _ops(ctx: Context) -> Iterator[tuple[QueryInfo, OpInfo]]:
    for query in ctx.queries.values():
        for op in query.ops:
            yield query, op


def _target(ctx: Context, op: OpInfo) -> tuple[str, ...] | None:
    """Key attributes of the op's target (table or index), when both are known."""
    if op.table is None:
        return None
    if op.index_name is None:
        return ctx.table_key_attributes(op.table)
    return ctx.index_key_attributes(op.table, op.index_name)


@rule("QY003", "QY004")
def root_op(ctx: Context) -> Iterator[SpecIssue]:
    for query in ctx.queries.values():
        root = query.ops[0]
        if root.type not in ("GetItem", "Query"):
            yield ctx.issue(
                ctx.at(root.pointer, root.raw, "type"),
                f"unsupported root read operation {root.type!r}",
                "QY003",
            )
        if "resultPath" in root.raw and root.raw["resultPath"] != "$":
            yield ctx.issue(f"{root.pointer}/resultPath", "root resultPath must be '$'", "QY004")


@rule("QY005", "QY006")
def table_and_index(ctx: Context) -> Iterator[SpecIssue]:
    tables = ctx.table_names()
    for _, op in _ops(ctx):
        if op.table is None or op.table not in tables:
            message = (
                "operation needs a 'tableName' string"
                if op.table is None
                else f"no entity lives on table {op.table!r}" + did_you_mean(op.table, tables)
            )
            yield ctx.issue(ctx.at(op.pointer, op.raw, "tableName"), message, "QY005")
            continue
        if "indexName" not in op.raw:
            continue
        ptr = f"{op.pointer}/indexName"
        if op.type != "Query":
            yield ctx.issue(ptr, f"indexName is only allowed on Query, not {op.type}", "QY006")
        elif op.index_name is None:
            yield ctx.issue(ptr, "indexName must be a string", "QY006")
        elif op.table in ctx.tables and op.index_name not in ctx.tables[op.table].indexes:
            yield ctx.issue(
                ptr,
                f"index {op.index_name!r} does not exist on table {op.table!r}"
                + did_you_mean(op.index_name, ctx.tables[op.table].indexes),
                "QY006",
            )


@rule("QY007")
def key_condition(ctx: Context) -> Iterator[SpecIssue]:
    for _, op in _ops(ctx):
        raw = op.raw.get("keyCondition")
        if not isinstance(raw, dict):
            yield ctx.issue(
                ctx.at(op.pointer, op.raw, "keyCondition"),
                "keyCondition must be an object",
                "QY007",
            )
            continue
        ptr = f"{op.pointer}/keyCondition"
        bad = [a for a, v in raw.items() if not isinstance(v, str)]
        if bad:
            yield ctx.issue(ptr, f"keyCondition values must be template strings: {bad}", "QY007")
        target = _target(ctx, op)
        if target is None or op.type not in ("GetItem", "Query", "BatchGetItem"):
            continue
        attrs = list(raw)
        if op.type != "Query":
            if op.index_name is None and sorted(attrs) != sorted(target):
                yield ctx.issue(
                    ptr,
                    f"{op.type} keyCondition must be exactly {list(target)}, got {attrs}",
                    "QY007",
                )
            continue
        partition = target[0]
        others = [a for a in attrs if a not in target]
        if partition not in raw:
            yield ctx.issue(ptr, f"Query keyCondition needs {partition!r}, got {attrs}", "QY007")
        elif others:
            yield ctx.issue(
                ptr, f"keyCondition may only name {list(target)}, got {others}", "QY007"
            )


@rule("QY008")
def range_condition(ctx: Context) -> Iterator[SpecIssue]:
    for _, op in _ops(ctx):
        if "rangeCondition" not in op.raw:
            continue
        ptr = f"{op.pointer}/rangeCondition"
        message = _range_problem(ctx, op)
        if message is not None:
            yield ctx.issue(ptr, message, "QY008")


def _range_problem(ctx: Context, op: OpInfo) -> str | None:
    rng = op.range
    if rng is None:
        return "rangeCondition must be an object"
    if op.type != "Query":
        return f"rangeCondition is only allowed on Query, not {op.type}"
    operator = rng.get("operator")
    if operator not in RANGE_OPERATORS:
        return f"unknown rangeCondition operator {operator!r}; expected one of {RANGE_OPERATORS}"
    target = _target(ctx, op)
    if target is not None:
        if len(target) < 2:
            return "rangeCondition needs a sort key, but the target has none"
        if rng.get("key") != target[1]:
            where = f"index {op.index_name!r}" if op.index_name else f"table {op.table!r}"
            return f"rangeCondition key {rng.get('key')!r} must be {target[1]!r} for {where}"
        if target[1] in op.key_condition:
            return f"{target[1]!r} is both in keyCondition and in rangeCondition"
    value = rng.get("value")
    if operator == "between":
        if not (isinstance(value, list) and len(value) == 2):
            return "'between' takes [lo, hi]"
        if not all(_template_or_number(v) for v in value):
            return "'between' bounds must be templates or finite numbers"
    elif operator == "begins_with":
        if not isinstance(value, str):
            return "'begins_with' needs a template string"
    elif not _template_or_number(value):
        return f"{operator!r} needs a template or a finite number"
    return None


def _template_or_number(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (str, int)) and not isinstance(value, bool)


@rule("QY009", "QY010")
def paging_fields(ctx: Context) -> Iterator[SpecIssue]:
    for _, op in _ops(ctx):
        if "limit" in op.raw:
            limit = op.raw["limit"]
            if op.type != "Query":
                yield ctx.issue(f"{op.pointer}/limit", "limit is only allowed on Query", "QY009")
            elif not (is_int(limit) and limit >= 1):
                yield ctx.issue(f"{op.pointer}/limit", "limit must be a positive integer", "QY009")
        if "scanIndexForward" in op.raw:
            ptr = f"{op.pointer}/scanIndexForward"
            if op.type != "Query":
                yield ctx.issue(ptr, "scanIndexForward is only allowed on Query", "QY010")
            elif not isinstance(op.raw["scanIndexForward"], bool):
                yield ctx.issue(ptr, "scanIndexForward must be a boolean", "QY010")


@rule("QY011")
def projection(ctx: Context) -> Iterator[SpecIssue]:
    for _, op in _ops(ctx):
        raw = op.raw.get("projection")
        ptr = f"{op.pointer}/projection" if raw is not None else op.pointer
        if raw is not None and not (isinstance(raw, list) and all(isinstance(p, str) for p in raw)):
            yield ctx.issue(ptr, "projection must be an array of strings", "QY011")
        elif not raw:
            yield ctx.issue(
                ptr, "empty projection: every result item will be {}", "QY011", advisory=True
            )


@rule("QY012", "QY013")
def entity(ctx: Context) -> Iterator[SpecIssue]:
    tables = ctx.table_names()
    for _, op in _ops(ctx):
        if "entity" in op.raw:
            name = op.raw["entity"]
            if ctx.broken(name):
                continue
            found = ctx.entities.get(name) if isinstance(name, str) else None
            if found is None:
                yield ctx.issue(
                    f"{op.pointer}/entity",
                    f"unknown entity {name!r}" + did_you_mean(name, ctx.entities),
                    "QY012",
                )
            elif found.table != op.table:
                yield ctx.issue(
                    f"{op.pointer}/entity",
                    f"entity {name!r} is on table {found.table!r}, not {op.table!r}",
                    "QY012",
                )
        elif op.entity is None and op.table in tables and not ctx.broken_entities:
            yield ctx.issue(
                op.pointer,
                f"could not infer the entity of operation {op.index}; datetime fields will not "
                "be restored",
                "QY013",
                advisory=True,
            )


@rule("QY014", "QY015")
def filter_member(ctx: Context) -> Iterator[SpecIssue]:
    for _, op in _ops(ctx):
        if "filter" not in op.raw:
            continue
        ptr = f"{op.pointer}/filter"
        flt = op.raw["filter"]
        if op.type != "Query":
            yield ctx.issue(ptr, f"filter is not supported on {op.type}", "QY015")
        elif not isinstance(flt, dict):
            yield ctx.issue(ptr, "filter must be an object", "QY014")
        elif "declarative" not in flt:
            yield ctx.issue(
                ptr,
                "filter has no 'declarative' member; no FilterExpression is sent",
                "QY014",
                advisory=True,
            )


@rule("RL001", "RL002", "RL003", "RL004", "RL005", "RL006", "RL007", "RL008")
def relations(ctx: Context) -> Iterator[SpecIssue]:
    for query in ctx.queries.values():
        writers: dict[tuple[str, ...], int] = {}
        for op in query.ops[1:]:
            yield from _relation_op(ctx, query, op, writers)


def _relation_op(
    ctx: Context, query: QueryInfo, op: OpInfo, writers: dict[tuple[str, ...], int]
) -> Iterator[SpecIssue]:
    ptr = op.pointer
    if op.type not in ("Query", "BatchGetItem"):
        yield ctx.issue(
            ctx.at(ptr, op.raw, "type"),
            "relation operation type must be Query or BatchGetItem",
            "RL001",
        )
    source = op.raw.get("sourceField")
    if not (isinstance(source, str) and source):
        yield ctx.issue(
            ctx.at(ptr, op.raw, "sourceField"), "relation operation needs 'sourceField'", "RL005"
        )
        source = None
    if op.path_issue is not None:
        yield ctx.issue(ctx.at(ptr, op.raw, "resultPath"), op.path_issue[1], op.path_issue[0])
        return
    if op.type in ("Query", "BatchGetItem") and op.connection != (op.type == "Query"):
        need = "a Query" if op.connection else "a BatchGetItem"
        kind = "a connection" if op.connection else "a single item"
        yield ctx.issue(
            f"{ptr}/type", f"{op.result_path!r} writes {kind} and needs {need}", "RL003"
        )
    assert op.node is not None and op.producer is not None
    if op.node in writers:
        yield ctx.issue(
            f"{ptr}/resultPath",
            f"{op.result_path!r} is already written by operation {writers[op.node]}",
            "RL007",
        )
    writers.setdefault(op.node, op.index)
    parent = query.ops[op.producer]
    if source is not None and source not in parent.projection:
        yield ctx.issue(
            f"{ptr}/sourceField",
            f"sourceField {source!r} is not projected by operation {op.producer}"
            + did_you_mean(source, parent.projection),
            "RL006",
        )
    if op.property in parent.projection:
        yield ctx.issue(
            f"{ptr}/resultPath",
            f"relation property {op.property!r} overwrites a projected field",
            "RL008",
            advisory=True,
        )


@rule("EP002", "EP003", "EP004", "EP005")
def execution_plan(ctx: Context) -> Iterator[SpecIssue]:
    for query in ctx.queries.values():
        plan = query.raw.get("executionPlan")
        if not isinstance(plan, dict):
            continue
        ptr = f"{query.pointer}/executionPlan"
        count = len(query.ops)
        seen: dict[int, int] = {}  # op index -> group
        zero_seen = False
        for g, group in enumerate(plan["groups"]):
            for k, raw_index in enumerate(group):
                index = int(raw_index)
                if not 0 <= index < count:
                    yield ctx.issue(
                        f"{ptr}/groups/{g}/{k}",
                        f"operation index {index} out of range ({count} operations)",
                        "EP002",
                    )
                elif index == 0:
                    if zero_seen:
                        yield ctx.issue(
                            f"{ptr}/groups", "operation 0 appears more than once", "EP003"
                        )
                    zero_seen = True
                elif index in seen:
                    yield ctx.issue(
                        f"{ptr}/groups",
                        f"operation {index} appears in more than one group",
                        "EP003",
                    )
                else:
                    seen[index] = g
        for index in range(1, count):
            if index not in seen:
                yield ctx.issue(f"{ptr}/groups", f"operation {index} is not in any group", "EP003")
        for index, g in seen.items():
            producer = query.ops[index].producer
            if producer and producer in seen and seen[producer] >= g:
                where = "the same group as" if seen[producer] == g else "a later group than"
                yield ctx.issue(
                    f"{ptr}/groups/{g}",
                    f"operation {index} runs in {where} its parent operation {producer}",
                    "EP004",
                )
        concurrency = plan.get("concurrency", 16)
        if not (is_int(concurrency) and concurrency >= 1):
            yield ctx.issue(f"{ptr}/concurrency", "concurrency must be a positive integer", "EP005")


@rule("FT001", "FT002", "FT003", "FT004", "FT005")
def filter_trees(ctx: Context) -> Iterator[SpecIssue]:
    for ptr, tree, _, _ in filter_sites(ctx):
        for rule_id, where, message, advisory in tree_report(ctx, tree, ptr).issues:
            yield ctx.issue(where, message, rule_id, advisory=advisory)
