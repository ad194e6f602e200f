"""The read pipeline shared by ``execute_query`` and single-key contract methods (sections 7, 38).

:func:`fetch_page` performs one physical GetItem or Query: without middleware it sends the
request and decodes the page; with middleware it runs R2, the send and R3 (R5-op on failure)
around the same steps. :func:`request_hooks` runs R1, the caller's body and R4 (R5 on failure)
for one call. Both keep the no-middleware path free of any hook bookkeeping.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .._values.codec import deserialize_item, hydrate
from ..cursor import mint_cursor
from ..errors import GraphDDBError
from ..middleware import (
    MiddlewareRuntime,
    ReadOpCtx,
    ReadRequestCtx,
    declined,
    model_of,
    recover,
)
from ..spec.plans import QueryPlan, ReadOpPlan
from .batch import Batching, batch_get

if TYPE_CHECKING:
    from .engine import Engine

__all__ = [
    "batch_with_hooks",
    "fetch_page",
    "raw_page",
    "read_plan",
    "request_hooks",
    "thread_items",
]

Item = dict[str, Any]
_NO_FORMATS: Mapping[str, str] = MappingProxyType({})


def read_plan(engine: Engine, plan: QueryPlan, datetimes: str) -> QueryPlan:
    """The plan to run for the ``datetimes`` option (section 9.6): ``plan`` itself, or for
    ``"text"`` its twin whose ops restore no format (built once per runtime), so every
    ``datetime`` / ``date`` field is returned as its stored text, root and relations alike."""
    if datetimes != "text" or not any(op.formats for op in plan.operations):
        return plan
    key = ("datetimes-text", plan.id)
    found = engine.compiled.get(key)
    if found is None or found[0] is not plan:
        ops = tuple(
            dataclasses.replace(op, formats=_NO_FORMATS) if op.formats else op
            for op in plan.operations
        )
        found = engine.compiled[key] = (plan, dataclasses.replace(plan, operations=ops))
    text_plan: QueryPlan = found[1]
    return text_plan


def raw_page(
    engine: Engine, op: ReadOpPlan, response: Mapping[str, Any], *, limit: int | None
) -> tuple[list[Item], Mapping[str, Any] | None]:
    """Deserialized items of one Query page and the key its cursor is built from (section 7.7).

    Without a ``Limit`` more than ``max_items`` items are truncated and the cursor key is the
    last item kept; otherwise it is DynamoDB's ``LastEvaluatedKey``.
    """
    raw = [deserialize_item(i) for i in response.get("Items", ())]
    if limit is None and len(raw) > engine.limits.max_items:
        raw = raw[: engine.limits.max_items]
        last = raw[-1]
        return raw, {attr: last[attr] for attr in op.cursor_attributes if attr in last}
    if response.get("LastEvaluatedKey"):
        return raw, deserialize_item(response["LastEvaluatedKey"])
    return raw, None


def thread_items(hooks: tuple[Any, ...], ctx: Any, items: list[Item], what: str) -> list[Item]:
    """R3: each hook's return value feeds the next; ``None`` keeps the list."""
    for hook in hooks:
        out = hook(ctx, items)
        if out is None:
            continue
        if not isinstance(out, list):
            raise GraphDDBError(
                f"{what}: a read.op.afterFetch hook must return a list of items or None, "
                f"got {type(out).__name__}"
            )
        items = out
    return items


def fetch_page(
    engine: Engine,
    op: ReadOpPlan,
    request: dict[str, Any],
    *,
    op_id: str,
    limit: int | None,
    scope: str,
    hooks: MiddlewareRuntime | None = None,
    context: dict[str, Any] | None = None,
) -> tuple[list[Item], str | None]:
    """Send one GetItem or Query and return its hydrated items and cursor.

    A GetItem gives ``[]`` or ``[item]`` and no cursor. With ``hooks`` the request goes through
    R2 (which may change it), R3 sees the deserialized items, and an R5-op recovery replaces the
    items (the cursor is then ``None``).
    """
    if hooks is None:
        raw, cursor_key = _send(engine, op, request, op_id=op_id, limit=limit)
    else:
        raw, cursor_key = _send_with_hooks(
            engine,
            op,
            request,
            op_id=op_id,
            limit=limit,
            hooks=hooks,
            context=context if context is not None else {},
        )
    projection, formats, entity = op.projection, op.formats, op.entity
    items = [hydrate(r, projection, formats, op_id=op_id, entity=entity) for r in raw]
    if not cursor_key:
        return items, None
    return items, mint_cursor(cursor_key, secret=engine.cursor_secret, scope=scope)


def _send(
    engine: Engine, op: ReadOpPlan, request: dict[str, Any], *, op_id: str, limit: int | None
) -> tuple[list[Item], Mapping[str, Any] | None]:
    if op.type == "GetItem":
        item = engine.sender.get_item(op_id, request).get("Item")
        return ([deserialize_item(item)] if item else []), None
    return raw_page(engine, op, engine.sender.query(op_id, request), limit=limit)


def _send_with_hooks(
    engine: Engine,
    op: ReadOpPlan,
    request: dict[str, Any],
    *,
    op_id: str,
    limit: int | None,
    hooks: MiddlewareRuntime,
    context: dict[str, Any],
) -> tuple[list[Item], Mapping[str, Any] | None]:
    entity = engine.catalog.entities.get(op.entity) if op.entity is not None else None
    ctx = ReadOpCtx(
        kind=op.type,
        model=model_of(entity),
        context=context,
        operation={"type": op.type, **request},
        relation_path=op.relation_path,
    )
    try:
        for hook in hooks.op_before:
            hook(ctx)
        kwargs = {k: v for k, v in ctx.operation.items() if k != "type"}
        raw, cursor_key = _send(engine, op, kwargs, op_id=op_id, limit=limit)
        return thread_items(hooks.op_after_fetch, ctx, raw, op_id), cursor_key
    except Exception as error:
        return _recovered(hooks, ctx, error, op_id), None


def batch_with_hooks(
    engine: Engine,
    op: ReadOpPlan,
    *,
    table: str,
    keys: list[dict[str, Any]],
    extra: dict[str, Any],
    op_id: str,
    batching: Batching,
    hooks: MiddlewareRuntime,
    context: dict[str, Any],
) -> list[Item]:
    """A relation BatchGetItem leg through R2, the chunked send and R3 (R5-op on failure).

    R2 sees ``{"type": "BatchGetItem", "tableName", "keys", "requestExtra"}`` and may change the
    keys and the extra request fields; the executor chunks whatever keys it leaves. The result is
    the deserialized items (after R3), for the caller to match to parents by key.
    """
    entity = engine.catalog.entities.get(op.entity) if op.entity is not None else None
    ctx = ReadOpCtx(
        kind="BatchGetItem",
        model=model_of(entity),
        context=context,
        operation={"type": "BatchGetItem", "tableName": table, "keys": keys, "requestExtra": extra},
        relation_path=op.relation_path,
    )
    try:
        for hook in hooks.op_before:
            hook(ctx)
        target = ctx.operation.get("tableName", table)
        request_extra = dict(ctx.operation.get("requestExtra") or {})

        def build(chunk: list[dict[str, Any]]) -> dict[str, Any]:
            return {"RequestItems": {target: {"Keys": chunk, **request_extra}}}

        raw = batch_get(
            engine.sender,
            op_id,
            table=target,
            keys=list(ctx.operation.get("keys") or ()),
            build=build,
            batching=batching,
        )
        items = [deserialize_item(item) for item in raw]
        return thread_items(hooks.op_after_fetch, ctx, items, op_id)
    except Exception as error:
        return _recovered(hooks, ctx, error, op_id)


def _recovered(
    hooks: MiddlewareRuntime, ctx: ReadOpCtx, error: Exception, op_id: str
) -> list[Item]:
    """Op-level R5: the recovered items (``RECOVER_NONE`` gives ``[]``), else re-raise."""
    value = recover(hooks.op_on_error, ctx, error)
    if declined(value):
        raise error
    if value is None:
        return []
    if not isinstance(value, list):
        raise GraphDDBError(
            f"{op_id}: a read.op.onError hook must recover with a list of items, "
            f"got {type(value).__name__}"
        ) from error
    return value


def request_hooks(
    hooks: MiddlewareRuntime,
    ctx: ReadRequestCtx,
    body: Callable[[Any, Any], Any],
) -> Any:
    """R1 (FIFO), ``body(params, options)`` on the possibly rewritten values, R4 (LIFO).

    Any exception from R1 through R4 goes to the request-level R5; a recovered value becomes
    the call's result, otherwise the original exception is re-raised.
    """
    try:
        for hook in hooks.before:
            hook(ctx)
        rewritten = ctx.params
        if not isinstance(rewritten, Mapping):
            raise GraphDDBError("a read.before hook replaced ctx.params with a non-mapping")
        result = body(rewritten.get("params"), rewritten.get("options"))
        for hook in hooks.after_fetch:
            out = hook(ctx, result)
            if out is not None:
                result = out
        return result
    except Exception as error:
        value = recover(hooks.on_error, ctx, error)
        if declined(value):
            raise
        return value
