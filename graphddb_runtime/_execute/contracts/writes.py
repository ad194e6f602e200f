"""Contract command methods: single op, transaction, batch, read-back (docs/format.md section 34).

``execute_command_method`` maps a key (or an array of keys) plus shared mutation values onto the
runtime's own ``execute_command`` / ``execute_transaction`` (passed in, bound to the call's
middleware snapshot), so a command method is exactly the command or transaction it names:

- single key: ``{**key, **params}`` to the op or transaction, then an optional consistent
  read-back of the written row through query ``<C>__<m>__readback``;
- key array, ``transaction`` mode: one atomic transaction over ``keys``, never split;
- key array, ``parallel`` mode: one BatchWriteItem when the command is an unconditional Put or
  Delete (all or nothing, no hooks), else one ``execute_command`` per key, sequentially, with a
  per-key ``{"ok": ...}`` result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..._bind.params import validate_params
from ..._bind.requests import key_map, put_request
from ..._suggest import received
from ..._values.codec import deserialize_item, hydrate, native_numbers
from ...errors import ContractArityError, ParameterValidationError
from ...spec.plans import CommandMethodPlan, CommandPlan
from ..batch import Batching, batch_write
from ..fetch import read_plan
from ..options import COMMAND_METHOD, common_options
from .reads import resolve_method

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["execute_command_method"]

RunCommand = Callable[[str, Mapping[str, Any], Any], Any]


def _mapping(value: object, what: str, op_id: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ParameterValidationError(f"{op_id}: {what} must be a mapping, {received(value)}")
    return value


def execute_command_method(
    engine: Engine,
    contract: object,
    method: object,
    key_or_keys: object,
    params: object,
    *,
    options: object,
    run_command: RunCommand,
    run_transaction: RunCommand,
) -> Any:
    """Section 34.2."""
    plan: CommandMethodPlan = resolve_method(engine, contract, method, "command")
    op_id = f"{plan.contract}.{plan.name}"
    common_options(op_id, options, engine.limits.numbers, COMMAND_METHOD)  # names and types
    shared = _mapping(params, "params", op_id)
    if isinstance(key_or_keys, (list, tuple)):
        return _key_array(
            engine,
            plan,
            key_or_keys,
            shared,
            options=options,
            run_command=run_command,
            run_transaction=run_transaction,
        )
    if not isinstance(key_or_keys, Mapping):
        raise ParameterValidationError(
            f"{op_id}: the key must be a mapping, or a list or tuple of mappings, "
            + received(key_or_keys)
        )
    _token_needs_a_transaction(options, plan.single_mode, plan.single_target, op_id)
    merged = {**key_or_keys, **shared}
    if plan.single_mode == "transaction":
        run_transaction(plan.single_target, merged, options)
    else:
        run_command(plan.single_target, merged, options)
    if plan.readback is None:
        return None
    return _read_back(engine, plan.readback, merged, op_id, options)


def _token_needs_a_transaction(options: object, mode: str, target: str, op_id: str) -> None:
    """Section 34.2: ``idempotencyToken`` is a transaction's; an op or parallel form has none."""
    token = options.get("idempotencyToken") if isinstance(options, Mapping) else None
    if mode != "transaction" and token is not None:
        runs = "parallel commands" if mode == "parallel" else "a single command"
        raise ParameterValidationError(
            f"{op_id}: option 'idempotencyToken' applies only to a transaction, but this "
            f"form runs {runs} ('{target}')"
        )


def _read_back(
    engine: Engine, query_id: str, merged: Mapping[str, Any], op_id: str, options: object
) -> Any:
    """A consistent GetItem of the written row, no validation and no hooks (section 34.2 step 3)."""
    datetimes = options.get("datetimes") if isinstance(options, Mapping) else None
    query = read_plan(
        engine, engine.catalog.queries[query_id], datetimes or engine.limits.datetimes
    )
    root = query.operations[0]
    request = {
        "TableName": engine.physical(root.table),
        "Key": key_map(root.key, merged, op_id),
        "ConsistentRead": True,
    }
    item = engine.sender.send(op_id, "GetItem", request).get("Item")
    if not item:
        return None
    result = hydrate(
        deserialize_item(item), root.projection, root.formats, op_id=op_id, entity=root.entity
    )
    numbers = options.get("numbers") if isinstance(options, Mapping) else None
    return native_numbers(result) if (numbers or engine.limits.numbers) == "native" else result


def _key_array(
    engine: Engine,
    plan: CommandMethodPlan,
    keys: Sequence[Any],
    shared: Mapping[str, Any],
    *,
    options: object,
    run_command: RunCommand,
    run_transaction: RunCommand,
) -> Any:
    op_id = f"{plan.contract}.{plan.name}"
    if plan.batch_mode is None or plan.batch_target is None:
        raise ContractArityError(
            f"command method '{op_id}' was called with an array of keys, but it declares no "
            "key-array form"
        )
    _token_needs_a_transaction(options, plan.batch_mode, plan.batch_target, op_id)
    if plan.batch_mode == "transaction":
        elements = [dict(_mapping(k, "every key", op_id)) for k in keys]
        run_transaction(plan.batch_target, {**shared, "keys": elements}, options)
        return None
    if not keys:
        return {"results": []}
    command = engine.catalog.commands[plan.batch_target]
    if command.condition is None and command.type in ("PutItem", "DeleteItem"):
        _coalesced(engine, command, keys, shared, op_id)
        return {"results": [{"ok": True} for _ in keys]}
    results: list[dict[str, Any]] = []
    for key in keys:
        try:
            merged = {**_mapping(key, "every key", op_id), **shared}
            run_command(command.id, merged, options)
        except Exception as error:  # section 34.3: per-key partial success
            results.append({"ok": False, "error": str(error)})
        else:
            results.append({"ok": True})
    return {"results": results}


def _coalesced(
    engine: Engine,
    command: CommandPlan,
    keys: Sequence[Any],
    shared: Mapping[str, Any],
    op_id: str,
) -> None:
    """Section 34.3 coalesced path: every request built (and validated) first, then one batch."""
    table = engine.physical(command.table)
    entity = engine.catalog.entities.get(command.entity) if command.entity is not None else None
    requests: list[dict[str, Any]] = []
    for key in keys:
        merged = {**_mapping(key, "every key", op_id), **shared}
        validate_params(command.id, merged, command.params)
        if command.type == "PutItem":
            assert entity is not None  # CM003: PutItem has an entity
            request = put_request(
                command, entity, merged, table=table, return_values=None, op_id=command.id
            )
            requests.append({"PutRequest": {"Item": request["Item"]}})
        else:
            requests.append({"DeleteRequest": {"Key": key_map(command.key, merged, command.id)}})
    batch_write(
        engine.sender,
        op_id,
        table=table,
        requests=requests,
        key_attributes=engine.catalog.tables[command.table].key_attributes,
        batching=Batching(engine.limits, engine.sleep),
    )
