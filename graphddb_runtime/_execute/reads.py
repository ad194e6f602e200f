"""execute_query and explain for the root op (docs/format.md sections 7, 12, 14, 22.2).

Order of work per call: look up the plan, validate params and options, run the pre-flight
checks and decode the cursor (all before any DynamoDB call), build the request, send it, decode,
page, hydrate; then the relation stages (section 17), assembled by ``_execute.relations``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._bind.params import validate_params
from .._bind.requests import (
    Unresolved,
    batch_get_request,
    display,
    get_item_request,
    key_map,
    query_request,
    value_of,
)
from .._dataclass import dataclass
from .._values.codec import native_numbers, serialize_key
from .._values.templates import Bindings
from ..cursor import read_cursor
from ..errors import LimitExceededError, ParameterValidationError
from ..limits import RuntimeLimits
from ..middleware import NO_READ_HOOKS, MiddlewareRuntime, ReadRequestCtx, model_of
from ..spec.catalog import get_query
from ..spec.plans import QueryPlan, ReadOpPlan, thaw
from .engine import Engine
from .fetch import Reader, read_plan
from .hooks.reads import around_request
from .options import QUERY, common_options, read_flags
from .relations import assemble

__all__ = ["ReadOptions", "execute_query", "explain", "read_options"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadOptions:
    cursor: Any
    limit: int | None
    order: str | None
    consistent: bool
    numbers: str
    context: Mapping[str, Any] | None
    datetimes: str = "datetime"


def read_options(op_id: str, options: object, limits: RuntimeLimits) -> ReadOptions:
    """Validate ``execute_query`` options (section 7.4): names, then types."""
    options, numbers, datetimes, context = common_options(
        op_id, options, limits.numbers, QUERY, limits.datetimes
    )
    limit, order, consistent = read_flags(op_id, options)
    return ReadOptions(
        cursor=options.get("cursor"),
        limit=limit,
        order=order,
        consistent=consistent,
        numbers=numbers,
        context=context,
        datetimes=datetimes,
    )


def preflight(plan: QueryPlan, options: ReadOptions, limits: RuntimeLimits) -> None:
    """Section 22.2 steps 1 to 5; every violation raises before the first call."""
    qid = plan.id
    if len(plan.operations) > limits.max_operations:
        raise LimitExceededError(
            f"{qid}: query needs {len(plan.operations)} operations, exceeds max_operations "
            f"{limits.max_operations}"
        )
    if plan.depth > limits.max_depth:
        raise LimitExceededError(
            f"{qid}: relation traversal depth {plan.depth} exceeds max_depth {limits.max_depth}"
        )
    for limit in (plan.max_static_limit, _root_option_limit(plan, options)):
        if limit is not None and limit > limits.max_items:
            raise LimitExceededError(f"{qid}: limit {limit} exceeds max_items {limits.max_items}")
    _check_consistent_read(plan, options)


def _check_consistent_read(plan: QueryPlan, options: ReadOptions) -> None:
    """Section 7.6: strongly consistent reads are impossible on an index."""
    if options.consistent and plan.indexed_ops:
        index, name = plan.indexed_ops[0]
        raise ParameterValidationError(
            f"{plan.id}: consistentRead is not supported on index '{name}' (operation {index})"
        )


def _root_option_limit(plan: QueryPlan, options: ReadOptions) -> int | None:
    return options.limit if plan.operations[0].type == "Query" else None


def _start_key(
    engine: Engine, plan: QueryPlan, params: Mapping[str, Any], options: ReadOptions
) -> dict[str, Any] | None:
    """The validated ExclusiveStartKey of a Query root (section 12.2), or None."""
    root = plan.operations[0]
    if root.type != "Query" or options.cursor in (None, ""):
        return None
    partition = next(v for attr, v in root.key if attr == root.partition_attribute)
    expected = serialize_key(
        value_of(partition, params, plan.id), op_id=plan.id, attribute=root.partition_attribute
    )
    return read_cursor(
        options.cursor,
        op_id=plan.id,
        expected_attributes=root.cursor_attributes,
        partition_attribute=root.partition_attribute,
        partition_value=expected,
        secret=engine.cursor_secret,
        scope=plan.id,
    )


def prepare(
    engine: Engine, query_id: object, params: object, options: object
) -> tuple[QueryPlan, ReadOptions, dict[str, Any] | None]:
    """Everything before the first call: plan, params, options, limits, cursor."""
    plan = get_query(engine.catalog, query_id)
    validate_params(plan.id, params, plan.params)
    assert isinstance(params, Mapping)
    opts = read_options(plan.id, options, engine.limits)
    preflight(plan, opts, engine.limits)
    return plan, opts, _start_key(engine, plan, params, opts)


def execute_query(
    engine: Engine,
    query_id: object,
    params: object,
    options: object,
    hooks: MiddlewareRuntime = NO_READ_HOOKS,
) -> Any:
    """Section 15.3. Validation and pre-flight always run first, outside any hook.

    Hooks see numbers as decoded (``Decimal``); ``numbers="native"`` applies to what the caller
    gets back.
    """
    plan, opts, start_key = prepare(engine, query_id, params, options)
    assert isinstance(params, Mapping)
    context = dict(opts.context or {}) if hooks.request or hooks.op else _NO_CONTEXT
    if not hooks.request:
        result = _Call(plan, params, opts, start_key, Reader(engine, hooks, context)).run()
        return native_numbers(result) if opts.numbers == "native" else result
    root = plan.operations[0]
    entity = engine.catalog.entities.get(root.entity) if root.entity is not None else None
    ctx = ReadRequestCtx(
        model=model_of(entity),
        context=context,
        params={"params": dict(params), "options": _plain(options)},
    )
    numbers = [opts.numbers]

    def body(new_params: Any, new_options: Any) -> Any:
        # R1 may have rewritten both: validate and pre-flight again (section 38.1 step 3).
        _, new_opts, new_start = prepare(engine, plan.id, new_params, new_options)
        numbers[0] = new_opts.numbers
        return _Call(plan, new_params, new_opts, new_start, Reader(engine, hooks, context)).run()

    result = around_request(hooks, ctx, body)
    return native_numbers(result) if numbers[0] == "native" else result


#: The context of a call without hooks: no hook can see it, so it is never copied.
_NO_CONTEXT: dict[str, Any] = {}


def _plain(options: object) -> dict[str, Any]:
    return dict(options) if isinstance(options, Mapping) else {}


@dataclass(frozen=True, slots=True)
class _Call:
    """One validated ``execute_query`` call: the root op, then the relation stages."""

    plan: QueryPlan
    params: Mapping[str, Any]
    opts: ReadOptions
    start_key: dict[str, Any] | None
    reader: Reader

    def run(self) -> Any:
        plan = read_plan(self.reader.engine, self.plan, self.opts.datetimes)
        result = self._root(plan)
        if plan.stages and result is not None:
            assemble(self.reader, plan, self.params, result, consistent=self.opts.consistent)
        return result

    def _root(self, plan: QueryPlan) -> Any:
        engine, params, opts = self.reader.engine, self.params, self.opts
        root = plan.operations[0]
        table = engine.physical(root.table)
        if root.type == "GetItem":
            request = get_item_request(
                root, params, table=table, consistent=opts.consistent, op_id=plan.id
            )
            items, _ = self._fetch(root, request, limit=None)
            return items[0] if items else None
        limit = opts.limit if opts.limit is not None else root.limit
        forward = opts.order == "asc" if opts.order is not None else root.scan_forward
        request = query_request(
            root,
            params,
            table=table,
            consistent=opts.consistent,
            limit=limit,
            forward=forward,
            start_key=self.start_key,
            op_id=plan.id,
        )
        items, cursor = self._fetch(root, request, limit=limit)
        if plan.cardinality == "one":
            return items[0] if items else None
        return {"items": items, "cursor": cursor}

    def _fetch(
        self, op: ReadOpPlan, request: dict[str, Any], *, limit: int | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        return self.reader.page(op, request, op_id=self.plan.id, limit=limit, scope=self.plan.id)


# --- explain (section 14) ---------------------------------------------------------------------


def explain(engine: Engine, query_id: object, params: object, options: object) -> dict[str, Any]:
    """The exact requests ``execute_query`` would send; never touches DynamoDB or the limits."""
    plan = get_query(engine.catalog, query_id)
    validate_params(plan.id, params, plan.params)
    assert isinstance(params, Mapping)
    opts = read_options(plan.id, options, engine.limits)
    _check_consistent_read(plan, opts)  # explain checks no RuntimeLimits (section 14)
    start_key = _start_key(engine, plan, params, opts)
    operations = [
        _explain_op(engine, plan=plan, op=op, params=params, opts=opts, start_key=start_key)
        for op in plan.operations
    ]
    return {
        "queryId": plan.id,
        "cardinality": plan.cardinality,
        "operations": operations,
        "executionPlan": {
            "groups": [list(g) for g in plan.explain_groups],
            "concurrency": plan.concurrency,
        },
    }


def _explain_op(
    engine: Engine,
    *,
    plan: QueryPlan,
    op: ReadOpPlan,
    params: Mapping[str, Any],
    opts: ReadOptions,
    start_key: dict[str, Any] | None,
) -> dict[str, Any]:
    table = engine.physical(op.table)
    env = Unresolved(Bindings(params, parent={}) if op.index > 0 else params)
    out: dict[str, Any] = {
        "type": op.type,
        "tableName": table,
        "keyCondition": {attr: display(v, params, plan.id) for attr, v in op.key},
        "projection": list(op.projection),
        "resultPath": op.result_path,
    }
    if op.index_name is not None:
        out["indexName"] = op.index_name
    if op.range is not None:
        values = [display(v, params, plan.id) for v in op.range.values]
        out["rangeCondition"] = {
            "operator": op.range.operator,
            "key": op.range.key,
            "value": values if op.range.operator == "between" else values[0],
        }
    if op.limit is not None:
        out["limit"] = op.limit
    if op.filter_spec is not None:
        out["filter"] = thaw(op.filter_spec)
    if op.source_field is not None:
        out["sourceField"] = op.source_field
    consistent = opts.consistent and op.index_name is None
    if op.type == "GetItem":
        out["request"] = get_item_request(
            op, env, table=table, consistent=consistent, op_id=plan.id
        )
    elif op.type == "BatchGetItem":
        keys = [key_map(op.key, env, plan.id)]
        out["request"] = batch_get_request(op, keys, table=table, consistent=consistent)
    else:
        root = op.index == 0
        limit = (opts.limit if opts.limit is not None else op.limit) if root else op.limit
        forward = opts.order == "asc" if root and opts.order is not None else op.scan_forward
        out["request"] = query_request(
            op,
            env,
            table=table,
            consistent=consistent,
            limit=limit,
            forward=forward,
            start_key=start_key if root else None,
            op_id=plan.id,
        )
    return out
