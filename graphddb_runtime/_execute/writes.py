"""execute_command: one PutItem, UpdateItem or DeleteItem (docs/format.md sections 10, 11, 39)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .._bind.params import validate_params
from .._bind.requests import delete_request, put_record, put_request, update_request
from .._values.codec import native_numbers
from ..errors import GraphDDBError, ParameterValidationError
from ..middleware import NO_WRITE_HOOKS, WriteCtx, WriteRuntime, declined, recover
from ..spec.catalog import get_command
from ..spec.plans import CommandPlan, Literal
from .engine import Engine
from .hooks.writes import KINDS, change, returned, send_command, write_ctx
from .options import COMMAND, common_options

__all__ = ["build_command_request", "execute_command"]

_RETURN_VALUES = ("ALL_NEW", "ALL_OLD", "UPDATED_NEW", "UPDATED_OLD")
_TYPES = {"put": "PutItem", "update": "UpdateItem", "delete": "DeleteItem"}


def _options(
    plan: CommandPlan, options: object, engine: Engine
) -> tuple[str | None, str, str, Mapping[str, Any] | None]:
    """``(returnValues, numbers, datetimes, context)`` after validating the options of 10.5."""
    limits = engine.limits
    checked, numbers, datetimes, context = common_options(
        plan.id, options, limits.numbers, COMMAND, limits.datetimes
    )
    return_values = checked.get("returnValues")
    if return_values is not None:
        allowed = ("ALL_OLD",) if plan.type != "UpdateItem" else _RETURN_VALUES
        if return_values not in allowed:
            raise ParameterValidationError(
                f"{plan.id}: option 'returnValues' must be one of {list(allowed)} for "
                f"{plan.type}, got {return_values!r}"
            )
    return return_values, numbers, datetimes, context


def build_command_request(
    engine: Engine,
    plan: CommandPlan,
    params: Mapping[str, Any],
    return_values: str | None,
    *,
    overrides: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    extra_changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The exact kwargs of the command's single DynamoDB call (``overrides`` and ``extra``
    for a put, ``extra_changes`` for an update: what a W1 hook added, section 39)."""
    entity = engine.catalog.entities.get(plan.entity) if plan.entity is not None else None
    common: dict[str, Any] = {
        "table": engine.physical(plan.table),
        "return_values": return_values,
        "op_id": plan.id,
    }
    if plan.type == "PutItem":
        assert entity is not None  # CM003: PutItem has an entity
        return put_request(plan, entity, params, overrides=overrides, extra=extra, **common)
    if plan.type == "UpdateItem":
        return update_request(plan, entity, params, extra_changes=extra_changes, **common)
    return delete_request(plan, params, **common)


def execute_command(
    engine: Engine,
    command_id: object,
    params: object,
    options: object,
    hooks: WriteRuntime = NO_WRITE_HOOKS,
) -> Any:
    """Section 15.4, with the hooks of section 39 at the levels that have any (validation runs
    first, outside the hooks)."""
    plan = get_command(engine.catalog, command_id)
    validate_params(plan.id, params, plan.params)
    assert isinstance(params, Mapping)
    return_values, numbers, datetimes, context = _options(plan, options, engine)
    ctx = write_ctx(engine, plan, params, context) if hooks.logical else None
    try:
        for hook in hooks.before:
            hook(ctx)
        if ctx is None:
            effective, request = plan, build_command_request(engine, plan, params, return_values)
        else:  # W1 may have rewritten the input and the kind
            effective, request = effective_request(
                engine, plan, ctx, return_values=return_values, hooks=hooks
            )
        response, sent = send_command(
            engine, effective, request, ctx=ctx, context=context, hooks=hooks
        )
        if hooks.after:
            seen = change(effective, sent, response, return_values)
            for hook in hooks.after:
                hook(ctx, seen)
    except Exception as error:
        if ctx is None:
            raise
        value = recover(hooks.on_error, ctx, error)
        if declined(value):
            raise
        return value if return_values is not None else None
    if return_values is None or not isinstance(response, Mapping):
        return None
    raw = response.get("Attributes")
    if not raw:
        return None
    result = returned(engine, plan, raw, request, datetimes)
    return native_numbers(result) if numbers == "native" else result


# --- re-derivation and kind rewrites (section 39 steps 4 and 5) ---------------------------------


def effective_request(
    engine: Engine,
    plan: CommandPlan,
    ctx: WriteCtx,
    *,
    return_values: str | None,
    hooks: WriteRuntime,
) -> tuple[CommandPlan, dict[str, Any]]:
    """The plan and request of the input W1 left (section 39 steps 4 and 5), re-validated."""
    entity = engine.catalog.entities.get(plan.entity) if plan.entity is not None else None
    source = KINDS[plan.type]
    target = ctx.kind
    if target not in _TYPES:
        raise GraphDDBError(f"{plan.id}: W1 set an unknown write kind {target!r}")
    if target == "put" and source != "put":
        raise GraphDDBError(f"{plan.id}: W1 cannot rewrite a {source} into a put")
    data = ctx.input if isinstance(ctx.input, Mapping) else {}
    effective = _mapping(data.get("params"), plan.id, "input['params']")
    for part in ("item", "key"):
        for name, value in _mapping(data.get(part), plan.id, f"input['{part}']").items():
            if name in plan.params:
                effective[name] = value
    validate_params(plan.id, effective, plan.params)
    changes = _mapping(data.get("changes"), plan.id, "input['changes']")
    if hooks.after and return_values is None:
        return_values = "ALL_OLD"
    op_id = plan.id
    overrides: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if source == "put":
        fields = {field for field, _ in plan.item}
        for name, value in _mapping(data.get("item"), op_id, "input['item']").items():
            if name in plan.params:
                continue
            (overrides if name in fields else extra)[name] = value
    if source == target == "put":
        return plan, build_command_request(
            engine, plan, effective, return_values, overrides=overrides, extra=extra
        )
    if source == "put":  # put -> update or delete: the key comes from the item record
        assert entity is not None
        record, derived = put_record(plan, entity, effective, op_id, overrides)
        base = dict(derived[: 2 if entity.sk is not None else 1])
        key = tuple((attr, Literal(value=value)) for attr, value in base.items())
        plan = dataclasses.replace(plan, key=key, item=())
        sets = {**record, **extra, **changes}  # SET every non-key item field, then changes
        changes = {name: value for name, value in sets.items() if name not in base}
    if target == "delete":
        plan = dataclasses.replace(plan, type="DeleteItem", changes=())
        return plan, build_command_request(engine, plan, effective, _old_only(return_values))
    # update, or a soft delete (delete -> update): SET the input's changes on the same key
    plan = dataclasses.replace(plan, type="UpdateItem")
    return plan, build_command_request(
        engine, plan, effective, return_values, extra_changes=dict(changes)
    )


def _old_only(return_values: str | None) -> str | None:
    """A DeleteItem can only return the old item."""
    return "ALL_OLD" if return_values is not None else None


def _mapping(value: object, op_id: str, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise GraphDDBError(f"{op_id}: a write.before hook left {what} that is not a mapping")
    return dict(value)
