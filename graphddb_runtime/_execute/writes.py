"""execute_command: one PutItem, UpdateItem or DeleteItem (docs/format.md sections 10, 11, 39)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._bind.params import validate_params
from .._bind.requests import delete_request, put_request, update_request
from .._values.codec import native_numbers
from ..errors import ParameterValidationError
from ..middleware import NO_WRITE_HOOKS, WriteRuntime, declined, recover
from ..spec.catalog import get_command
from ..spec.plans import CommandPlan
from .engine import Engine
from .hooks.writes import change, effective_request, returned, send_command, write_ctx
from .options import COMMAND, common_options

__all__ = ["build_command_request", "execute_command"]

_RETURN_VALUES = ("ALL_NEW", "ALL_OLD", "UPDATED_NEW", "UPDATED_OLD")


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
    engine: Engine, plan: CommandPlan, params: Mapping[str, Any], return_values: str | None
) -> dict[str, Any]:
    """The exact kwargs of the command's single DynamoDB call."""
    table = engine.physical(plan.table)
    entity = engine.catalog.entities.get(plan.entity) if plan.entity is not None else None
    if plan.type == "PutItem":
        assert entity is not None  # CM003: PutItem has an entity
        return put_request(
            plan, entity, params, table=table, return_values=return_values, op_id=plan.id
        )
    if plan.type == "UpdateItem":
        return update_request(
            plan, entity, params, table=table, return_values=return_values, op_id=plan.id
        )
    return delete_request(plan, params, table=table, return_values=return_values, op_id=plan.id)


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
