"""The write hooks of ``execute_command``: W1 to W5 around one write (docs/format.md section 39).

``writes.execute_command`` runs these steps for the levels that have hooks (validation has
already run, outside the hooks):

1. ``WriteCtx.input`` holds copies of the params; **W1** runs FIFO and may change the input and
   ``ctx.kind``;
2. the effective params are re-derived from the input and **re-validated**; the effective
   request is built for the (possibly rewritten) kind: a put may become an update or a delete,
   an update or a delete may swap (soft deletes), nothing may become a put;
3. **W3** sees the transact-shaped item and may change it; the send follows the item key;
   a failure goes to **W5-persist**; **W4** observes the response (or the recovered value);
4. **W2** observes the change (old and new images, when a W2 hook exists);
5. anything raised from W1 to W2 goes to **W5-logical**.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..._values.codec import attributes, deserialize, deserialize_item
from ...errors import GraphDDBError
from ...middleware import PersistCtx, WriteCtx, WriteRuntime, declined, model_of, recover
from ...spec.plans import CommandPlan

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = [
    "KINDS",
    "change",
    "persist",
    "returned",
    "send_command",
    "send_item",
    "write_ctx",
]

#: Command type -> logical write kind (section 37).
KINDS = {"PutItem": "put", "UpdateItem": "update", "DeleteItem": "delete"}
_TRANSACT_KEY = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}
_OPERATIONS = {key: operation for operation, key in _TRANSACT_KEY.items()}


def write_ctx(
    engine: Engine, plan: CommandPlan, params: Mapping[str, Any], context: Mapping[str, Any] | None
) -> WriteCtx:
    """The ``WriteCtx`` of one command: ``input`` holds copies of the params (section 39)."""
    entity = engine.catalog.entities.get(plan.entity) if plan.entity is not None else None
    kind = KINDS[plan.type]
    caller = dict(params)
    if kind == "put":
        start: dict[str, Any] = {"params": caller, "item": dict(params)}
    elif kind == "update":
        start = {"params": caller, "key": dict(params), "changes": {}}
    else:
        start = {"params": caller, "key": dict(params)}
    return WriteCtx(kind=kind, model=model_of(entity), context=dict(context or {}), input=start)


def send_command(
    engine: Engine,
    effective: CommandPlan,
    request: dict[str, Any],
    *,
    ctx: WriteCtx | None,
    context: Mapping[str, Any] | None,
    hooks: WriteRuntime,
) -> tuple[Any, Mapping[str, Any]]:
    """The command's one write, through W3, W5-persist and W4 when the call has any; the
    response (or the recovered value) and the request body that was sent (W3 may change it)."""
    op_id = effective.id
    if not hooks.persist:
        return engine.sender.send(op_id, effective.type, request), request
    if ctx is not None:
        model, shared = ctx.model, ctx.context
    else:
        name = effective.entity
        model = model_of(engine.catalog.entities.get(name) if name is not None else None)
        shared = dict(context or {})
    pctx = PersistCtx(
        items=[{_TRANSACT_KEY[effective.type]: request}],
        origins=({"model": model, "kind": KINDS[effective.type]},),
        context=shared,
    )
    response = persist(engine, op_id, pctx, hooks, send_item)
    return response, next(iter(pctx.items[0].values())) if pctx.items else {}


def returned(
    engine: Engine,
    plan: CommandPlan,
    raw: Mapping[str, Any],
    request: Mapping[str, Any],
    datetimes: str,
) -> dict[str, Any]:
    """Section 10.5: the response's ``Attributes`` with the command entity's formats restored
    (none with ``datetimes="text"``, section 9.6)."""
    entity = engine.catalog.entities.get(plan.entity) if plan.entity is not None else None
    formats = entity.formats if entity is not None and datetimes != "text" else {}
    name = entity.name if entity is not None else None
    return attributes(
        deserialize_item(raw), formats, op_id=plan.id, entity=name, key=request.get("Key")
    )


def send_item(engine: Engine, op_id: str, items: list[dict[str, Any]]) -> Any:
    """Send the single transact-shaped item with the method its key names."""
    if len(items) != 1 or not isinstance(items[0], Mapping) or len(items[0]) != 1:
        raise GraphDDBError(
            f"{op_id}: a write.persist.before hook must leave exactly one item of the form "
            '{"Put" | "Update" | "Delete": kwargs}'
        )
    ((key, body),) = items[0].items()
    operation = _OPERATIONS.get(key)
    if operation is None:
        raise GraphDDBError(f"{op_id}: cannot send a '{key}' item outside a transaction")
    return engine.sender.send(op_id, operation, dict(body))


def persist(
    engine: Engine,
    op_id: str,
    pctx: PersistCtx,
    hooks: WriteRuntime,
    send: Any,
) -> Any:
    """W3 (FIFO), the send, W5-persist on failure (LIFO), then W4 (LIFO)."""
    try:
        for hook in hooks.persist_before:
            hook(pctx)
        results = send(engine, op_id, pctx.items)
    except Exception as error:
        value = recover(hooks.persist_on_error, pctx, error)
        if declined(value):
            raise
        results = value
    for hook in hooks.persist_after:
        hook(pctx, results)
    return results


# --- the change seen by W2 (section 39 step 11) ---------------------------------------------------


def change(
    effective: CommandPlan,
    body: Mapping[str, Any],
    response: Any,
    return_values: str | None,
) -> dict[str, Any]:
    """The change W2 sees (section 39 step 11): old and new images of the row."""
    returned = response.get("Attributes") if isinstance(response, Mapping) else None
    image = deserialize_item(returned) if returned else None
    old = image if return_values in (None, "ALL_OLD") else None
    change: dict[str, Any] = {}
    if old is not None:
        change["oldImage"] = old
    if effective.type == "DeleteItem":
        return change
    if effective.type == "PutItem":
        change["newImage"] = deserialize_item(body.get("Item", {}))
        return change
    if return_values == "ALL_NEW" and image is not None:
        change["newImage"] = image
        return change
    new = dict(old or {})
    for attr, value in _key_of(body).items():
        new.setdefault(attr, value)
    new.update(_sets(body))
    change["newImage"] = new
    return change


def _key_of(body: Mapping[str, Any]) -> dict[str, Any]:
    return {attr: deserialize(av) for attr, av in (body.get("Key") or {}).items()}


def _sets(body: Mapping[str, Any]) -> dict[str, Any]:
    """The resolved ``SET a = :v`` assignments of an UpdateItem body, as plain values."""
    expression = body.get("UpdateExpression")
    if not isinstance(expression, str) or not expression.startswith("SET "):
        return {}
    names = body.get("ExpressionAttributeNames") or {}
    values = body.get("ExpressionAttributeValues") or {}
    sets: dict[str, Any] = {}
    for part in expression[4:].split(", "):
        name, _, alias = part.partition(" = ")
        if name in names and alias in values:
            sets[names[name]] = deserialize(values[alias])
    return sets
