"""Contract query methods: point and range reads by key, key arrays, compositions (sections 30-33).

``execute_query_method(contract, method, key_or_keys, params)`` resolves the method, checks the
retrieval options and the input form, and then runs one of three paths:

- **single key** (point or range): one GetItem or Query through the read pipeline, hooks R1 to
  R5 included (section 38.2), with the per-key cursor envelope of section 32 for range;
- **key array** (point, ``inputArity`` not ``single``): every key validated, resolved and
  deduplicated, then one chunked BatchGetItem, no hooks; the result maps each distinct input key
  (``serialize_contract_key``) to its item or ``None``;
- then the **compositions** (section 33): one deduplicated BatchGetItem per edge, stage by stage.

Every error message and every ``operation_id`` is ``"<Contract>.<method>"``; inner cursors are
signed with that scope.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ..._bind.params import validate_params
from ..._bind.requests import (
    get_item_request,
    key_map,
    query_request,
    value_of,
)
from ..._dataclass import dataclass
from ..._suggest import did_you_mean, received
from ..._values.codec import native_numbers, serialize_key
from ...concurrency import map_with_concurrency
from ...cursor import (
    decode_per_key_cursor,
    encode_per_key_cursor,
    read_cursor,
    serialize_contract_key,
)
from ...errors import (
    ContractArityError,
    ContractNotFoundError,
    LimitExceededError,
    ParameterValidationError,
)
from ...middleware import NO_READ_HOOKS, MiddlewareRuntime, ReadRequestCtx, model_of
from ...spec.catalog import other_kind
from ...spec.plans import ContractPlan, QueryMethodPlan, QueryPlan, ReadOpPlan
from ..batch import Batching, identity_function, key_identity
from ..engine import CacheKind, Engine
from ..fetch import Reader, generic_decoder, read_plan
from ..hooks.reads import around_request
from ..options import QUERY_METHOD, common_options, read_flags

__all__ = ["MethodOptions", "execute_query_method", "method_options", "resolve_method"]

AV = dict[str, Any]


# --- resolution (sections 31.2 and 34.2) --------------------------------------------------------


def _available(hint: str, names: Any) -> str:
    """``hint`` then the sorted ``names`` (``"(none)"`` when empty)."""
    return f"{hint}{' ' if hint.endswith('?') else '. '}Available: " + (
        ", ".join(sorted(names)) or "(none)"
    )


def resolve_method(engine: Engine, contract: object, method: object, kind: str) -> Any:
    """The method plan of ``contract.method`` in a ``kind`` contract, or ContractNotFoundError."""
    catalog = engine.catalog
    contracts = catalog.contracts
    plan: ContractPlan | None = contracts.get(contract) if isinstance(contract, str) else None
    if plan is None:
        hint = other_kind(catalog, contract, "contract") or did_you_mean(contract, contracts)
        raise ContractNotFoundError(f"unknown contract '{contract}'" + _available(hint, contracts))
    if plan.kind != kind:
        runner = "execute_query_method" if kind == "query" else "execute_command_method"
        other = "execute_command_method" if kind == "query" else "execute_query_method"
        raise ContractNotFoundError(
            f"contract '{plan.name}' is a '{plan.kind}' contract; {runner} only runs {kind} "
            f"contracts; use {other}"
        )
    found = plan.methods.get(method) if isinstance(method, str) else None
    if found is None:
        raise ContractNotFoundError(
            f"contract '{plan.name}' has no {kind} method '{method}'"
            + _available(did_you_mean(method, plan.methods), plan.methods)
        )
    return found


# --- retrieval options (section 31.2) -----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MethodOptions:
    consistent: bool
    limit: int | None
    after: str | None
    order: str | None
    context: Mapping[str, Any]
    numbers: str
    datetimes: str = "datetime"


def method_options(
    op_id: str, params: object, default_numbers: str, default_datetimes: str = "datetime"
) -> MethodOptions:
    """Check the names (section 31.2 table) and types of the retrieval options."""
    if params is not None and not isinstance(params, Mapping):
        raise ParameterValidationError(
            f"{op_id}: params must be a mapping or None, {received(params)}"
        )
    checked, numbers, datetimes, context = common_options(
        op_id, params, default_numbers, QUERY_METHOD, default_datetimes
    )
    limit, order, consistent = read_flags(op_id, checked)
    after = checked.get("after")
    if after is not None and not isinstance(after, str):
        raise ParameterValidationError(
            f"{op_id}: 'after' must be a string (a per-key cursor), {received(after)}"
        )
    return MethodOptions(
        consistent=consistent,
        limit=limit,
        after=after or None,
        order=order,
        context=context if context is not None else {},
        numbers=numbers,
        datetimes=datetimes,
    )


# --- execute_query_method -------------------------------------------------------------------------


def execute_query_method(
    engine: Engine,
    contract: object,
    method: object,
    key_or_keys: object,
    params: object,
    *,
    hooks: MiddlewareRuntime = NO_READ_HOOKS,
) -> Any:
    """Section 31.2; hooks fire for single-key calls only (section 38.2)."""
    plan: QueryMethodPlan = resolve_method(engine, contract, method, "query")
    op_id = f"{plan.contract}.{plan.name}"
    opts = method_options(op_id, params, engine.limits.numbers, engine.limits.datetimes)
    query = engine.catalog.queries[plan.operation]
    if isinstance(key_or_keys, (list, tuple)):
        if plan.resolution == "range" or plan.input_arity == "single":
            what = "range" if plan.resolution == "range" else "unique-index point"
            raise ContractArityError(
                f"{op_id}: {what} method called with an array of keys, but its inputArity is "
                "'single'"
            )
        _check_consistent(query, opts, op_id)
        hydrated = read_plan(engine, query, opts.datetimes)
        result: Any = _point_array(engine, hydrated, key_or_keys, opts=opts, op_id=op_id)
        parents = [v for v in result.values() if v is not None]
    else:
        single = _Single(engine, plan, query, op_id)
        start = single.preflight(key_or_keys, opts)
        assert isinstance(key_or_keys, Mapping)
        result = single.run(key_or_keys, params, opts, start, hooks)
        if plan.resolution == "range":
            parents = list(result["items"]) if isinstance(result, Mapping) else []
        else:
            parents = [result] if isinstance(result, dict) else []
    if plan.compose and parents:
        compose(engine, plan, parents, consistent=opts.consistent, datetimes=opts.datetimes)
    return native_numbers(result) if opts.numbers == "native" else result


def _check_consistent(query: QueryPlan, opts: MethodOptions, op_id: str) -> None:
    root = query.operations[0]
    if opts.consistent and root.index_name is not None:
        raise ParameterValidationError(
            f"{op_id}: consistentRead is not supported on index '{root.index_name}'"
        )


@dataclass(frozen=True, slots=True)
class _Single:
    """A single-key point or range call: one GetItem or Query (section 31.2)."""

    engine: Engine
    plan: QueryMethodPlan
    query: QueryPlan
    op_id: str

    def preflight(self, key: object, opts: MethodOptions) -> AV | None:
        """Key, options, limit and cursor checks, all before any call; the start key."""
        op_id, limits = self.op_id, self.engine.limits
        if not isinstance(key, Mapping):
            raise ParameterValidationError(
                f"{op_id}: the key must be a mapping, or a list or tuple of mappings, "
                + received(key)
            )
        validate_params(op_id, key, self.query.params)
        _check_consistent(self.query, opts, op_id)
        if self.plan.resolution != "range":
            return None
        if opts.limit is not None and opts.limit > limits.max_items:
            raise LimitExceededError(
                f"{op_id}: limit {opts.limit} exceeds max_items {limits.max_items}"
            )
        return start_key(self.engine, self.query.operations[0], key, opts.after, op_id)

    def run(
        self,
        key: Mapping[str, Any],
        params: object,
        opts: MethodOptions,
        start: AV | None,
        hooks: MiddlewareRuntime,
    ) -> Any:
        """The read, with R1 to R5 around it when the call has request-level hooks; R1 may
        redirect the key (re-validated)."""
        context = dict(opts.context) if hooks.request or hooks.op else {}
        reader = Reader(self.engine, hooks, context)
        if not hooks.request:
            return self._read(key, opts, start, reader)
        root = self.query.operations[0]
        entities = self.engine.catalog.entities
        entity = entities.get(root.entity) if root.entity is not None else None
        ctx = ReadRequestCtx(
            model=model_of(entity),
            context=context,
            params={
                "params": dict(key),
                "options": dict(params) if isinstance(params, Mapping) else {},
            },
        )

        def body(new_key: Any, new_params: Any) -> Any:
            new_opts = method_options(self.op_id, new_params, opts.numbers, opts.datetimes)
            new_start = self.preflight(new_key, new_opts)
            return self._read(new_key, new_opts, new_start, reader)

        return around_request(hooks, ctx, body)

    def _read(
        self,
        key: Mapping[str, Any],
        opts: MethodOptions,
        start: AV | None,
        reader: Reader,
    ) -> Any:
        engine, op_id = self.engine, self.op_id
        root = read_plan(engine, self.query, opts.datetimes).operations[0]
        table = engine.physical(root.table)
        if root.type == "GetItem":
            request = get_item_request(
                root, key, table=table, consistent=opts.consistent, op_id=op_id
            )
            limit = None
        else:
            point = self.plan.resolution == "point"
            limit = root.limit if point or opts.limit is None else opts.limit
            forward = root.scan_forward if point or opts.order is None else opts.order == "asc"
            request = query_request(
                root,
                key,
                table=table,
                consistent=opts.consistent,
                limit=limit,
                forward=forward,
                start_key=start,
                op_id=op_id,
            )
        items, cursor = reader.page(root, request, op_id=op_id, limit=limit, scope=op_id)
        if self.plan.resolution == "point":
            return items[0] if items else None
        return {"items": items, "cursor": encode_per_key_cursor(key, cursor)}


def start_key(
    engine: Engine,
    root: ReadOpPlan,
    key: Mapping[str, Any],
    after: str | None,
    op_id: str,
) -> AV | None:
    """Section 32: open the per-key envelope, then validate the inner cursor (section 12.2)."""
    if after is None:
        return None
    inner = decode_per_key_cursor(after, key)
    partition = next(v for attr, v in root.key if attr == root.partition_attribute)
    expected = serialize_key(
        value_of(partition, key, op_id), op_id=op_id, attribute=root.partition_attribute
    )
    return read_cursor(
        inner,
        op_id=op_id,
        expected_attributes=root.cursor_attributes,
        partition_attribute=root.partition_attribute,
        partition_value=expected,
        secret=engine.cursor_secret,
        scope=op_id,
    )


# --- point array (section 31.2) -------------------------------------------------------------------


#: A GetItem op -> the same op seen as a BatchGetItem (section 19.3).
_BATCH_OPS: CacheKind[ReadOpPlan, ReadOpPlan] = CacheKind("contract batch ops")


def _as_batch(op: ReadOpPlan) -> ReadOpPlan:
    """The GetItem op seen as a BatchGetItem (its projection plus the key attributes, 19.3)."""
    attrs = [attr for attr, _ in op.key]
    fields = list(op.projection) + [a for a in attrs if a not in op.projection]
    names = tuple((f"#p{i}", f) for i, f in enumerate(fields))
    return dataclasses.replace(
        op,
        type="BatchGetItem",
        projection_names=names,
        projection_expression=", ".join(alias for alias, _ in names) if names else None,
    )


def _fetch(
    engine: Engine,
    op: ReadOpPlan,
    keys: Sequence[AV],
    *,
    consistent: bool,
    op_id: str,
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """One chunked BatchGetItem for ``keys``: hydrated items by key identity (no hooks)."""
    return Reader(engine, NO_READ_HOOKS, {}).batch(
        engine.cache.get(_BATCH_OPS, op, _as_batch),
        keys,
        table=engine.physical(op.table),
        consistent=consistent,
        op_id=op_id,
        batching=Batching(engine.limits, engine.sleep),
        decode=generic_decoder(op, op_id),
        identity=identity_function([attr for attr, _ in op.key]),
    )


def _point_array(
    engine: Engine, query: QueryPlan, keys: Sequence[Any], *, opts: MethodOptions, op_id: str
) -> dict[str, Any]:
    root = query.operations[0]
    attributes = [attr for attr, _ in root.key]
    order: dict[str, tuple[Any, ...]] = {}  # identity string -> primary key identity
    unique: dict[tuple[Any, ...], AV] = {}
    for key in keys:
        validate_params(op_id, key, query.params)
        primary = key_map(root.key, key, op_id)
        identity = key_identity(primary, attributes)
        unique.setdefault(identity, primary)
        order.setdefault(serialize_contract_key(key), identity)
    if len(unique) > engine.limits.max_items:
        raise LimitExceededError(
            f"{op_id}: BatchGet needs {len(unique)} keys, exceeds max_items "
            f"{engine.limits.max_items}"
        )
    if not unique:
        return {}
    found = _fetch(engine, root, list(unique.values()), consistent=opts.consistent, op_id=op_id)
    return {name: found.get(identity) for name, identity in order.items()}


# --- compositions (section 33) --------------------------------------------------------------------


def _follow(record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for token in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(token)
    return value


def compose(
    engine: Engine,
    plan: QueryMethodPlan,
    parents: list[dict[str, Any]],
    *,
    consistent: bool,
    datetimes: str = "datetime",
) -> None:
    """Run every compose edge on ``parents``, stage by stage, writing ``parent[as]`` in place."""

    def edge_values(index: int, _: int) -> list[Any]:
        edge = plan.compose[index]
        return _edge(engine, plan, edge, parents, consistent=consistent, datetimes=datetimes)

    for stage in plan.stages:
        values = map_with_concurrency(list(stage), plan.concurrency, edge_values)
        for index, children in zip(stage, values, strict=True):
            name = plan.compose[index].as_
            for parent, child in zip(parents, children, strict=True):
                parent[name] = child


def _edge(
    engine: Engine,
    plan: QueryMethodPlan,
    edge: Any,
    parents: list[dict[str, Any]],
    *,
    consistent: bool,
    datetimes: str,
) -> list[Any]:
    child: QueryMethodPlan = engine.catalog.contracts[edge.contract].methods[edge.method]  # type: ignore[assignment]
    child_id = f"{child.contract}.{child.name}"
    query = read_plan(engine, engine.catalog.queries[child.operation], datetimes)
    root = query.operations[0]
    attributes = [attr for attr, _ in root.key]
    identities: list[tuple[Any, ...] | None] = []
    unique: dict[tuple[Any, ...], AV] = {}
    for parent in parents:
        key = {field: _follow(parent, path) for field, path in edge.bind}
        if any(value is None for value in key.values()):
            identities.append(None)
            continue
        validate_params(child_id, key, query.params)
        primary = key_map(root.key, key, child_id)
        identity = key_identity(primary, attributes)
        unique.setdefault(identity, primary)
        identities.append(identity)
    if not unique:
        return [None] * len(parents)
    found = _fetch(
        engine,
        root,
        list(unique.values()),
        consistent=consistent,
        op_id=f"{plan.contract}.{plan.name}",
    )
    return [None if identity is None else found.get(identity) for identity in identities]
