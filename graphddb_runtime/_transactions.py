"""execute_transaction: expand, collapse, pre-flight, send (FORMAT.md sections 24 to 28).

Order of work per call, all before any DynamoDB call: look up the plan, validate params and
options, expand ``forEach`` / ``when`` into built items (``_txitems``), collapse items that
touch the same row (section 27), then the pre-flight checks (zero items, cap, targets, size).
A transaction is sent as one ``TransactWriteItems`` call and never split.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ._codec import item_size
from ._options import common_options
from ._params import validate_params
from ._reads import Engine
from ._templates import text
from ._txitems import AV, Actions, Built, expand, update_body
from .errors import (
    CancellationReason,
    LimitExceededError,
    ParameterValidationError,
    TransactionCanceledError,
    TransactionCollapseError,
)
from .limits import RuntimeLimits
from .spec.catalog import get_transaction
from .spec.plans import TransactionPlan

__all__ = ["build_transaction", "collapse", "execute_transaction", "preflight"]


def _token(op_id: str, name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 36:
        raise ParameterValidationError(f"{op_id}: {name} must be a string of 1 to 36 characters")
    return value


def transaction_token(op_id: str, options: object, client_request_token: object) -> str | None:
    """The ClientRequestToken to send, from ``options`` or the keyword (section 25.1 step 2)."""
    checked, _, _ = common_options(op_id, options, "decimal")
    from_options = _token(op_id, "option 'idempotencyToken'", checked.get("idempotencyToken"))
    from_keyword = _token(op_id, "client_request_token", client_request_token)
    if from_options is not None and from_keyword is not None and from_options != from_keyword:
        raise ParameterValidationError(
            f"{op_id}: option 'idempotencyToken' and client_request_token differ"
        )
    return from_options if from_options is not None else from_keyword


# --- collapse (section 27) --------------------------------------------------------------------


def collapse(items: list[Built]) -> list[Built]:
    """Group by target (first-seen order) and resolve every group to at most one item."""
    groups: dict[tuple[Any, ...], list[Built]] = {}
    for item in items:
        groups.setdefault(item.target, []).append(item)
    out: list[Built] = []
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0])
            continue
        kinds = {m.type for m in members}
        if kinds == {"Delete", "Put"}:
            continue  # a swap that resolved to the same key is a net no-op
        if kinds == {"Put", "Update"}:
            raise TransactionCollapseError(
                "a derived counter (increment) resolves to the SAME item as the entity write at "
                "runtime; a Put+Update on one row is unsupported"
            )
        if kinds == {"Update"}:
            out.append(_merge(members))
        elif kinds in ({"Put"}, {"Delete"}):
            out.append(members[0])
        else:
            raise TransactionCollapseError(
                f"{len(members)} transaction items resolve to the same physical row with an "
                f"unsupported op combination ({'+'.join(sorted(kinds))})"
            )
    return out


def _merge(members: list[Built]) -> Built:
    """Section 27.1: one Update from several Updates of one row."""
    sets: dict[str, AV] = {}
    adds: dict[str, Decimal] = {}
    conditions = []
    for member in members:
        actions = member.actions
        assert actions is not None
        if actions.collection:
            raise TransactionCollapseError(
                "cannot merge a maintain collection update with another update of the same row"
            )
        for attr, av in actions.sets:
            if attr in sets and sets[attr] != av:
                raise TransactionCollapseError(f"conflicting SET of '{attr}' on the same row")
            sets.setdefault(attr, av)
        for attr, number in actions.adds:
            amount = number if isinstance(number, Decimal) else Decimal(str(number))
            adds[attr] = adds.get(attr, Decimal(0)) + amount
        if actions.condition is not None:
            conditions.append(actions.condition)
    both = [attr for attr in sets if attr in adds]
    if both:
        raise TransactionCollapseError(f"'{both[0]}' is both SET and ADDed on the same row")
    if len(conditions) > 1:
        raise TransactionCollapseError(
            f"{len(conditions)} updates of the same row carry conditions; at most one can be merged"
        )
    condition = conditions[0] if conditions else None
    names: dict[str, str] = {}
    values: dict[str, AV] = {}
    set_parts, add_parts = [], []
    for i, (attr, av) in enumerate(sets.items()):
        set_parts.append(f"#c{i} = :c{i}")
        names[f"#c{i}"], values[f":c{i}"] = attr, av
    for j, (attr, total) in enumerate(adds.items()):
        add_parts.append(f"#a{j} :a{j}")
        names[f"#a{j}"], values[f":a{j}"] = attr, {"N": text(total, op_id="")}
    first = members[0]
    body = update_body(
        first.body["TableName"],
        first.body["Key"],
        sets=set_parts,
        adds=add_parts,
        names=names,
        values=values,
        condition=condition,
    )
    merged = Actions(
        sets=list(sets.items()), adds=list(adds.items()), condition=condition, collection=False
    )
    return Built("Update", body, first.target, first.origin, merged)


# --- pre-flight and request (section 28) ------------------------------------------------------


def preflight(plan: TransactionPlan, items: list[Built], limits: RuntimeLimits) -> None:
    """Cap, duplicate targets and size, before any hook or call (section 28.1)."""
    cap = plan.max_items if plan.max_items is not None else limits.max_transaction_items
    if len(items) > cap:
        raise LimitExceededError(
            f"{plan.id}: transaction expanded to {len(items)} items, exceeds the "
            f"TransactWriteItems limit of {cap}"
        )
    if len({item.target for item in items}) != len(items):
        raise TransactionCollapseError(f"{plan.id}: two transaction items target the same row")
    size = 0
    for item in items:
        body = item.body
        size += item_size(body["Item"] if "Item" in body else body["Key"])
        size += item_size(body.get("ExpressionAttributeValues", {}))
    if size > limits.max_transaction_bytes:
        raise LimitExceededError(
            f"{plan.id}: transaction is about {size} bytes, exceeds max_transaction_bytes "
            f"{limits.max_transaction_bytes}"
        )


def build_transaction(
    engine: Engine, plan: TransactionPlan, params: Mapping[str, Any]
) -> list[Built]:
    """Expanded, collapsed and pre-flighted items (the request is ``[{type: body}, ...]``)."""
    items = collapse(expand(engine, plan, params))
    if items:
        preflight(plan, items, engine.limits)
    return items


def _origin(reason: CancellationReason, items: list[Built]) -> CancellationReason:
    """Map a reason back to its spec item and forEach element (section 13.3)."""
    if reason.index >= len(items):
        return reason
    spec_item, element = items[reason.index].origin
    return dataclasses.replace(reason, spec_item=spec_item, element=element)


def execute_transaction(
    engine: Engine,
    transaction_id: object,
    params: object,
    options: object,
    client_request_token: object,
) -> None:
    plan = get_transaction(engine.catalog, transaction_id)
    validate_params(plan.id, params, plan.params)
    assert isinstance(params, Mapping)
    token = transaction_token(plan.id, options, client_request_token)
    items = build_transaction(engine, plan, params)
    if not items:
        return None
    request: dict[str, Any] = {"TransactItems": [{item.type: item.body} for item in items]}
    if token is not None:
        request["ClientRequestToken"] = token
    try:
        engine.sender.transact_write_items(plan.id, request)
    except TransactionCanceledError as exc:
        exc.reasons = tuple(
            dataclasses.replace(
                reason,
                spec_item=items[reason.index].origin[0],
                element=items[reason.index].origin[1],
            )
            if reason.index < len(items)
            else reason
            for reason in exc.reasons
        )
        raise
    return None
