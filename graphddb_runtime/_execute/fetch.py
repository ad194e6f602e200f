"""The one page fetcher, shared by root reads, relation legs and contract reads (sections 7, 38).

:meth:`Reader.page` performs one physical GetItem or Query and returns its hydrated items and
cursor; :meth:`Reader.batch` performs one chunked BatchGetItem and returns its hydrated items by
key identity. Both run the op-level read hooks (R2, R3, R5-op) around the read when the call has
any (``MiddlewareRuntime.op``); the send, the page reading and the hydration are the same either
way. :func:`read_plan` gives the plan of the ``datetimes`` option.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .._bind.requests import batch_get_request
from .._dataclass import dataclass
from .._values.codec import deserialize_item, hydrate, serialize
from ..cursor import mint_cursor
from ..middleware import MiddlewareRuntime, ReadOpCtx, model_of
from ..spec.plans import QueryPlan, ReadOpPlan
from .batch import Batching, batch_get
from .engine import CacheKind
from .hooks.reads import around_op

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["Decode", "Reader", "generic_decoder", "read_plan"]

Item = dict[str, Any]
AV = dict[str, Any]
#: ``item -> hydrated item`` for one op: ``hydrate(deserialize_item(item), ...)`` or a faster
#: equivalent (``legs.decoder``).
Decode = Callable[[Mapping[str, Any]], Item]
Identity = Callable[[Mapping[str, Any]], tuple[Any, ...]]
Gate = AbstractContextManager[Any]

_NO_FORMATS: Mapping[str, str] = MappingProxyType({})
#: A plan -> its twin that restores no format (``datetimes="text"``).
_TEXT_PLANS: CacheKind[QueryPlan, QueryPlan] = CacheKind("datetimes-text plans")


def read_plan(engine: Engine, plan: QueryPlan, datetimes: str) -> QueryPlan:
    """The plan to run for the ``datetimes`` option (section 9.6): ``plan`` itself, or for
    ``"text"`` its twin whose ops restore no format (built once per runtime), so every
    ``datetime`` / ``date`` field is returned as its stored text, root and relations alike."""
    if datetimes != "text" or not any(op.formats for op in plan.operations):
        return plan
    return engine.cache.get(_TEXT_PLANS, plan, _text_twin)


def _text_twin(plan: QueryPlan) -> QueryPlan:
    ops = tuple(
        dataclasses.replace(op, formats=_NO_FORMATS) if op.formats else op for op in plan.operations
    )
    return dataclasses.replace(plan, operations=ops)


def generic_decoder(op: ReadOpPlan, op_id: str | None) -> Decode:
    """``hydrate(deserialize_item(item), ...)`` with the op's projection and formats."""
    projection, formats, entity = op.projection, op.formats, op.entity
    return lambda item: hydrate(
        deserialize_item(item), projection, formats, op_id=op_id, entity=entity
    )


# --- GetItem and Query pages (section 7.7), BatchGetItem (sections 19 and 31.2) -------------------


@dataclass(frozen=True, slots=True)
class Reader:
    """The physical reads of one call: its engine, its read hooks and their shared context.

    Every GetItem, Query and BatchGetItem of a root read, a relation leg or a contract read is
    one of these two methods; each runs the call's op-level hooks (R2, R3, R5-op) around the
    read when it has any (``MiddlewareRuntime.op``), and the send, page reading and hydration
    are the same either way.
    """

    engine: Engine
    hooks: MiddlewareRuntime
    context: dict[str, Any]

    def page(
        self,
        op: ReadOpPlan,
        request: dict[str, Any],
        *,
        op_id: str,
        limit: int | None,
        scope: str,
        decode: Decode | None = None,
        gate: Gate | None = None,
    ) -> tuple[list[Item], str | None]:
        """Send one GetItem or Query and return its hydrated items and cursor.

        A GetItem gives ``[]`` or ``[item]`` and no cursor. ``decode`` (a faster equivalent of the
        generic hydration, for ops without formats) serves the pages it can; ``gate`` bounds the
        send (section 20.2). With op-level hooks the request goes through R2 (which may change it),
        R3 sees the deserialized items, and an R5-op recovery replaces the items (the cursor is
        then ``None``).
        """
        engine, hooks = self.engine, self.hooks
        if hooks.op:
            ctx = _op_ctx(engine, op, {"type": op.type, **request}, self.context)

            def read(operation: dict[str, Any]) -> tuple[list[Item], Any]:
                kwargs = {k: v for k, v in operation.items() if k != "type"}
                return _raw_page(engine, op, _send(engine, op, op_id, kwargs, gate), limit)

            raw, cursor_key = around_op(hooks, ctx, read, op_id)
            items = _hydrated(op, raw, op_id)
        else:
            response = _send(engine, op, op_id, request, gate)
            items, cursor_key = _page(engine, op, response, limit=limit, op_id=op_id, decode=decode)
        if not cursor_key:
            return items, None
        return items, mint_cursor(cursor_key, secret=engine.cursor_secret, scope=scope)

    def batch(
        self,
        op: ReadOpPlan,
        keys: Sequence[AV],
        *,
        table: str,
        consistent: bool,
        op_id: str,
        batching: Batching,
        decode: Decode,
        identity: Identity,
    ) -> dict[tuple[Any, ...], Item]:
        """One chunked BatchGetItem of ``op`` for ``keys``: hydrated items by key ``identity``.

        With op-level hooks, R2 sees ``{"type": "BatchGetItem", "tableName", "keys",
        "requestExtra"}`` and may change the keys and the extra request fields (the executor chunks
        whatever keys it leaves), R3 sees the deserialized items, and each item it leaves that holds
        the key attributes is matched by key (the first one per key wins).
        """
        engine, hooks = self.engine, self.hooks
        if not hooks.op:

            def build(chunk: list[AV]) -> dict[str, Any]:
                return batch_get_request(op, chunk, table=table, consistent=consistent)

            raw = batch_get(
                engine.sender, op_id, table=table, keys=keys, build=build, batching=batching
            )
            return {identity(item): decode(item) for item in raw}
        entry = batch_get_request(op, [], table=table, consistent=consistent)["RequestItems"][table]
        extra = {k: v for k, v in entry.items() if k != "Keys"}
        operation = {
            "type": "BatchGetItem",
            "tableName": table,
            "keys": list(keys),
            "requestExtra": extra,
        }
        ctx = _op_ctx(engine, op, operation, self.context)

        def read(operation: dict[str, Any]) -> tuple[list[Item], None]:
            target = operation.get("tableName", table)
            request_extra = dict(operation.get("requestExtra") or {})

            def build(chunk: list[AV]) -> dict[str, Any]:
                return {"RequestItems": {target: {"Keys": chunk, **request_extra}}}

            raw = batch_get(
                engine.sender,
                op_id,
                table=target,
                keys=list(operation.get("keys") or ()),
                build=build,
                batching=batching,
            )
            return [deserialize_item(item) for item in raw], None

        items, _ = around_op(hooks, ctx, read, op_id)
        attributes = [attr for attr, _ in op.key]
        found: dict[tuple[Any, ...], Item] = {}
        for item in items:
            if isinstance(item, Mapping) and all(a in item for a in attributes):
                key = {a: serialize(item[a], op_id=op_id) for a in attributes}
                hydrated = hydrate(item, op.projection, op.formats, op_id=op_id, entity=op.entity)
                found.setdefault(identity(key), hydrated)
        return found


def _send(
    engine: Engine, op: ReadOpPlan, op_id: str, request: dict[str, Any], gate: Gate | None
) -> Mapping[str, Any]:
    if gate is None:
        return engine.sender.send(op_id, op.type, request)
    with gate:
        return engine.sender.send(op_id, op.type, request)


def _page(
    engine: Engine,
    op: ReadOpPlan,
    response: Mapping[str, Any],
    *,
    limit: int | None,
    op_id: str,
    decode: Decode | None,
) -> tuple[list[Item], Mapping[str, Any] | None]:
    """Hydrated items and cursor key of one response: ``decode`` per item when it applies."""
    if decode is not None and op.type == "Query":
        found = response.get("Items", ())
        if type(found) is list and (limit is not None or len(found) <= engine.limits.max_items):
            last = response.get("LastEvaluatedKey")
            return [decode(item) for item in found], deserialize_item(last) if last else None
    raw, cursor_key = _raw_page(engine, op, response, limit)
    return _hydrated(op, raw, op_id), cursor_key


def _raw_page(
    engine: Engine, op: ReadOpPlan, response: Mapping[str, Any], limit: int | None
) -> tuple[list[Item], Mapping[str, Any] | None]:
    """Deserialized items of one response and the key its cursor is built from (section 7.7).

    Without a ``Limit`` more than ``max_items`` items are truncated and the cursor key is the
    last item kept; otherwise it is DynamoDB's ``LastEvaluatedKey``.
    """
    if op.type == "GetItem":
        item = response.get("Item")
        return ([deserialize_item(item)] if item else []), None
    raw = [deserialize_item(i) for i in response.get("Items", ())]
    if limit is None and len(raw) > engine.limits.max_items:
        raw = raw[: engine.limits.max_items]
        last = raw[-1]
        return raw, {attr: last[attr] for attr in op.cursor_attributes if attr in last}
    if response.get("LastEvaluatedKey"):
        return raw, deserialize_item(response["LastEvaluatedKey"])
    return raw, None


def _hydrated(op: ReadOpPlan, raw: list[Item], op_id: str) -> list[Item]:
    projection, formats, entity = op.projection, op.formats, op.entity
    return [hydrate(r, projection, formats, op_id=op_id, entity=entity) for r in raw]


def _op_ctx(
    engine: Engine, op: ReadOpPlan, operation: dict[str, Any], context: dict[str, Any]
) -> ReadOpCtx:
    entity = engine.catalog.entities.get(op.entity) if op.entity is not None else None
    return ReadOpCtx(
        kind=operation["type"],
        model=model_of(entity),
        context=context,
        operation=operation,
        relation_path=op.relation_path,
    )
