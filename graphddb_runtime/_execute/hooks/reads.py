"""The read hooks around the read executors (docs/format.md section 38).

:func:`around_request` runs R1, the call's body and R4 (request-level R5 on failure) for one
``execute_query`` or single-key contract call; :func:`around_op` runs R2, one physical read and R3
(op-level R5 on failure) for one GetItem, Query or relation BatchGetItem. The executors call them
only for a level that has hooks (``MiddlewareRuntime.request`` / ``.op``); the read itself is the
executor's own, hooks or not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ...errors import GraphDDBError
from ...middleware import MiddlewareRuntime, ReadOpCtx, ReadRequestCtx, declined, recover

__all__ = ["around_op", "around_request"]

Item = dict[str, Any]


def around_request(
    hooks: MiddlewareRuntime, ctx: ReadRequestCtx, body: Callable[[Any, Any], Any]
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


def around_op(
    hooks: MiddlewareRuntime,
    ctx: ReadOpCtx,
    read: Callable[[dict[str, Any]], tuple[list[Item], Any]],
    op_id: str,
) -> tuple[list[Item], Any]:
    """R2 (FIFO), ``read(ctx.operation)``, R3 (LIFO) on its deserialized items.

    ``read`` gives ``(items, rest)`` (``rest``: the cursor key of a page, for instance); an
    op-level R5 recovery replaces the items and ``rest`` becomes ``None``.
    """
    try:
        for hook in hooks.op_before:
            hook(ctx)
        items, rest = read(ctx.operation)
        return _thread_items(hooks.op_after_fetch, ctx, items, op_id), rest
    except Exception as error:
        return _recovered(hooks, ctx, error, op_id), None


def _thread_items(hooks: tuple[Any, ...], ctx: Any, items: list[Item], what: str) -> list[Item]:
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
