"""execute_transaction: expand, collapse, pre-flight, send (docs/format.md sections 24 to 28).

Order of work per call, all before any DynamoDB call: look up the plan, validate params and
options, expand ``forEach`` / ``when`` into built items, collapse items that touch the same
row (section 27), then the pre-flight checks (zero items, cap, targets, size). A transaction
is sent as one ``TransactWriteItems`` call and never split.

Validation and expansion run code generated once per runtime for the transaction
(``transactions.items.compiled``: ``transactions.validate``, ``transactions.compile``). Here the
expansion is compact: an
item that does not read the ``forEach`` element is built once and counted (``Built.copies``),
and the request size is mostly computed while building (``Built.size``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Any

from ..._suggest import received
from ..._values.avrules import MAX_ITEM_BYTES, number_reason
from ..._values.codec import ValueRejected, check_key_avs, item_too_large, request_size
from ..._values.templates import text
from ...errors import (
    CancellationReason,
    LimitExceededError,
    ParameterValidationError,
    TransactionCanceledError,
    TransactionCollapseError,
)
from ...limits import RuntimeLimits
from ...middleware import NO_WRITE_HOOKS, PersistCtx, WriteRuntime
from ...spec.catalog import get_transaction
from ...spec.plans import TransactionPlan
from ..engine import Engine
from ..hooks.writes import persist
from ..options import TRANSACTION, common_options
from ..samerow import collapse_error, item_difference, where
from .items import AV, Actions, Built, Number, compiled, expand, update_body
from .rewrite import logical_ops, rebuild

__all__ = ["build_transaction", "collapse", "execute_transaction", "preflight"]


def _token(op_id: str, name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 36:
        raise ParameterValidationError(
            f"{op_id}: {name} must be a string of 1 to 36 characters, {received(value)}"
        )
    return value


def transaction_token(op_id: str, options: object, client_request_token: object) -> str | None:
    """The ClientRequestToken to send, from ``options`` or the keyword (section 25.1 step 2)."""
    checked, _, _, _ = common_options(op_id, options, "decimal", TRANSACTION)
    from_options = _token(op_id, "option 'idempotencyToken'", checked.get("idempotencyToken"))
    from_keyword = _token(op_id, "client_request_token", client_request_token)
    if from_options is not None and from_keyword is not None and from_options != from_keyword:
        raise ParameterValidationError(
            f"{op_id}: option 'idempotencyToken' and client_request_token differ"
        )
    return from_options if from_options is not None else from_keyword


# --- collapse (section 27) --------------------------------------------------------------------


def collapse(items: list[Built], op_id: str) -> list[Built]:
    """Group by target (first-seen order) and resolve every group to at most one item.

    An item with ``copies`` > 1 (a compact expansion) counts as that many identical members.
    """
    if len({item.target for item in items}) == len(items):  # every row once: the usual case
        out = []
        for item in items:
            if item.copies == 1:
                out.append(item)
            else:
                resolved = _resolve([item], op_id)
                if resolved is not None:
                    out.append(resolved)
        return out
    by_target: dict[tuple[Any, ...], list[Built]] = {}
    for item in items:
        by_target.setdefault(item.target, []).append(item)
    out = []
    for members in by_target.values():
        resolved = _resolve(members, op_id)
        if resolved is not None:
            out.append(resolved)
    return out


def _resolve(members: list[Built], op_id: str) -> Built | None:
    """Section 27: the one item a group of same-row members becomes, or None."""
    if len(members) == 1:  # one item, or one compact item standing for its copies
        count, kinds = members[0].copies, {members[0].type}
    else:
        count, kinds = sum(m.copies for m in members), {m.type for m in members}
    if count == 1:
        return members[0]
    if kinds == {"Delete", "Put"}:
        _check_swap(members, op_id)
        return None  # a swap of a row onto itself that writes nothing: a net no-op
    if kinds == {"Put", "Update"}:
        raise _failure(
            members,
            "a derived counter (increment) resolves to the SAME item as the entity write at "
            "runtime; a Put+Update on one row is unsupported",
        )
    if kinds == {"Update"}:
        return _merge(members, op_id)
    if kinds in ({"Put"}, {"Delete"}):
        _check_identical(members, count, op_id)
        first = members[0]
        return first if first.copies == 1 else dataclasses.replace(first, copies=1)
    raise _failure(
        members,
        f"{count} transaction items resolve to the same physical row with an "
        f"unsupported op combination ({'+'.join(sorted(kinds))})",
    )


def _key_of(item: Built) -> dict[str, AV]:
    """The row's key: ``Key``, or the key attributes of a Put's ``Item`` (``PK``[, ``SK``])."""
    body = item.body
    if "Key" in body:
        return dict(body["Key"])
    put = body["Item"]
    return {attr: put[attr] for attr in ("PK", "SK")[: (len(item.target) - 1) // 2]}


def _failure(members: list[Built], message: str) -> TransactionCollapseError:
    """A collapse error with the group's origins and row (section 13.1)."""
    target = {"table": members[0].target[0], "key": _key_of(members[0])}
    return TransactionCollapseError(message, items=[m.origin for m in members], target=target)


def _located(
    members: list[Built], op_id: str, headline: str, pair: tuple[Built, Built], detail: str
) -> TransactionCollapseError:
    first = members[0]
    return collapse_error(
        op_id,
        headline,
        (pair[0].origin, pair[1].origin),
        detail,
        [m.origin for m in members],
        (first.target[0], _key_of(first)),
    )


def _conditions(body: dict[str, Any]) -> tuple[Any, ...]:
    return (
        body.get("ConditionExpression"),
        body.get("ExpressionAttributeNames"),
        body.get("ExpressionAttributeValues"),
    )


def _check_identical(members: list[Built], count: int, op_id: str) -> None:
    """Several Puts, or several Deletes, of one row: identical ones become one, else an error.

    Puts compare everything sent (the Item as encoded AttributeValues, and the condition);
    Deletes of one row compare their conditions. Copies of one compact item are identical.
    """
    first = members[0]
    for member in members[1:]:
        if first.type == "Put":
            if member.body == first.body:
                continue
            names = (where(first.origin), where(member.origin))
            detail = item_difference(first.body["Item"], member.body["Item"], names)
            if detail is None:
                a = first.body.get("ConditionExpression")
                b = member.body.get("ConditionExpression")
                detail = "their conditions differ" + (f" ({a!r} vs {b!r})" if a != b else "")
            raise _located(
                members,
                op_id,
                f"{count} Puts on the same row with different content",
                (first, member),
                detail,
            )
        if _conditions(member.body) != _conditions(first.body):
            raise _located(
                members,
                op_id,
                f"{count} Deletes of the same row with different conditions",
                (first, member),
                "only one can be sent, and dropping a condition would ignore it",
            )


def _check_swap(members: list[Built], op_id: str) -> None:
    """A Delete and a Put of one row (a swap whose old and new keys are equal): dropped only
    when that is a no-op, that is when every Put writes nothing but the key and no Delete
    carries a condition."""
    keys = (len(members[0].target) - 1) // 2  # the number of table key attributes
    delete = next(m for m in members if m.type == "Delete")
    put = next(m for m in members if m.type == "Put")
    for member in members:
        if member.type == "Put" and len(member.body["Item"]) > keys:
            content = [a for a in member.body["Item"] if a not in ("PK", "SK")[:keys]]
            shown = ", ".join(repr(a) for a in content[:3]) + (", ..." if len(content) > 3 else "")
            raise _located(
                members,
                op_id,
                "a Delete and a Put of the same row",
                (delete, member),
                f"the Put writes {shown} besides the key, which dropping both would lose "
                "(a swap onto the same key is dropped only when the Put writes nothing but "
                "the key)",
            )
        if member.type == "Delete" and "ConditionExpression" in member.body:
            raise _located(
                members,
                op_id,
                "a Delete and a Put of the same row",
                (member, put),
                "the Delete carries a condition, which dropping both would ignore",
            )


def _merge(members: list[Built], op_id: str) -> Built:
    """Section 27.1: one Update from several Updates of one row."""
    sets: dict[str, AV] = {}
    adds: dict[str, Decimal] = {}
    conditions = []
    for member in members:
        actions = member.actions
        assert actions is not None
        if actions.collection:
            raise _failure(
                members,
                "cannot merge a maintain collection update with another update of the same row",
            )
        # Repeating a member's SETs changes nothing (same attributes, equal AVs); its ADDs and
        # its condition count once per copy.
        for attr, av in actions.sets:
            if attr in sets and sets[attr] != av:
                raise _failure(members, f"conflicting SET of '{attr}' on the same row")
            sets.setdefault(attr, av)
        for attr, number in actions.adds:
            adds[attr] = _add(adds.get(attr), number, member.copies)
        if actions.condition is not None:
            conditions.extend([actions.condition] * member.copies)
    both = [attr for attr in sets if attr in adds] if sets and adds else []
    if both:
        raise _failure(members, f"'{both[0]}' is both SET and ADDed on the same row")
    if len(conditions) > 1:
        raise _failure(
            members,
            f"{len(conditions)} updates of the same row carry conditions; at most one can be "
            "merged",
        )
    condition = conditions[0] if conditions else None
    names: dict[str, str] = {}
    values: dict[str, AV] = {}
    set_parts, add_parts = [], []
    for i, (attr, av) in enumerate(sets.items()):
        set_parts.append(f"#c{i} = :c{i}")
        names[f"#c{i}"], values[f":c{i}"] = attr, av
    for j, (attr, total) in enumerate(adds.items()):
        reason = number_reason(total)
        if reason is not None:
            raise ParameterValidationError(
                f"{op_id}: the ADDs of '{attr}' on one row sum to a number DynamoDB cannot "
                f"store: {reason}"
            )
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


#: Wide enough that any sum of DynamoDB numbers (38 digits, exponents -130 to +125) is exact; a
#: sum DynamoDB cannot store is rejected after summing, never rounded.
_EXACT_SUM = Context(prec=1000)


def _add(total: Decimal | None, number: Number, times: int) -> Decimal:
    """``total + number`` repeated ``times`` times, exactly."""
    if total is None:
        if type(number) is int:  # integers add exactly: multiply once
            return Decimal(number * times)
        total = Decimal(0)
    amount = number if isinstance(number, Decimal) else Decimal(str(number))
    for _ in range(times):
        total = _EXACT_SUM.add(total, amount)
    return total


# --- pre-flight and request (section 28) ------------------------------------------------------


def preflight(
    plan: TransactionPlan,
    items: list[Built],
    limits: RuntimeLimits,
    *,
    sized: bool = False,
    keys: frozenset[str] = frozenset(),
) -> None:
    """Cap, duplicate targets and size, before any hook or call (section 28.1).

    With ``sized``, an item's ``size`` (computed when it was built, -1 if not) is trusted;
    only items built and collapsed in the same call may pass it. Every item is also checked
    against DynamoDB's 400 KB item limit and, when it is large enough for a key value to exceed
    its limit (more than 1024 bytes), the values of its attributes named in ``keys``.
    """
    cap = plan.max_items if plan.max_items is not None else limits.max_transaction_items
    if len(items) > cap:
        raise LimitExceededError(
            f"{plan.id}: transaction expanded to {len(items)} items, exceeds the "
            f"TransactWriteItems limit of {cap}"
        )
    if len({item.target for item in items}) != len(items):
        raise TransactionCollapseError(f"{plan.id}: two transaction items target the same row")
    size = 0
    small = _SMALL
    for item in items:
        if sized and item.size >= 0:
            item_bytes = item.size
            if item_bytes <= small:
                size += item_bytes
                continue
        else:
            try:
                item_bytes = request_size(item.body, op_id=plan.id)
            except ValueRejected as exc:
                where = _named(item) + (f", {exc.subject}" if exc.subject else "")
                raise exc.at(where) from None
        if item_bytes > small:
            _check_large(plan.id, item, item_bytes, keys)
        size += item_bytes
    if size > limits.max_transaction_bytes:
        raise LimitExceededError(
            f"{plan.id}: transaction is about {size} bytes, exceeds max_transaction_bytes "
            f"{limits.max_transaction_bytes}"
        )


#: An item of at most this many bytes cannot hold a key value over its limit.
_SMALL = 1024


def _named(item: Built) -> str:
    spec_item, element = item.origin
    return f"transaction item {spec_item}" + (
        f" (element {element})" if element is not None else ""
    )


def _check_large(op_id: str, item: Built, size: int, keys: frozenset[str]) -> None:
    """DynamoDB's item limit, then the key-size limits of every key attribute it writes."""
    if size > MAX_ITEM_BYTES:
        raise item_too_large(op_id, size, _named(item))
    body = item.body
    try:
        check_key_avs(op_id, body["Item"] if "Item" in body else body["Key"], keys)
        names = body.get("ExpressionAttributeNames") or {}
        values = body.get("ExpressionAttributeValues") or {}
        derived = {names.get("#" + alias[1:], alias): av for alias, av in values.items()}
        check_key_avs(op_id, {a: av for a, av in derived.items() if a in keys}, keys)
    except ValueRejected as exc:
        raise exc.at(_named(item)) from None


def build_transaction(
    engine: Engine, plan: TransactionPlan, params: Mapping[str, Any]
) -> list[Built]:
    """Expanded, collapsed and pre-flighted items (the request is ``[{type: body}, ...]``)."""
    program = compiled(engine, plan)
    try:
        items = collapse(expand(engine, plan, params, compact=True), plan.id)
    except TransactionCollapseError:
        # A compact item counts its copies without their origins: name every member.
        collapse(expand(engine, plan, params), plan.id)
        raise
    if items:
        preflight(plan, items, engine.limits, sized=True, keys=program.keys)
    return items


def map_reasons(exc: TransactionCanceledError, items: list[Built], *, known: bool = True) -> None:
    """Point each cancellation reason at its spec item and forEach element (section 13.3).

    ``known=False`` (a W3 hook changed the number of items) leaves both ``None``.
    """

    def mapped(reason: CancellationReason) -> CancellationReason:
        if reason.index >= len(items):
            return reason
        spec_item, element = items[reason.index].origin if known else (None, None)
        return dataclasses.replace(reason, spec_item=spec_item, element=element)

    exc.reasons = tuple(mapped(reason) for reason in exc.reasons)


def execute_transaction(
    engine: Engine,
    transaction_id: object,
    params: object,
    options: object,
    client_request_token: object,
    *,
    hooks: WriteRuntime = NO_WRITE_HOOKS,
) -> None:
    """Sections 25.1 and, when the call has write hooks, 40 (see ``rewrite``)."""
    plan = get_transaction(engine.catalog, transaction_id)
    program = compiled(engine, plan)
    program.validate(params)
    assert isinstance(params, Mapping)
    token = transaction_token(plan.id, options, client_request_token)
    hooked = hooks.logical or hooks.persist
    if hooked:
        _, _, _, context = common_options(plan.id, options, engine.limits.numbers, TRANSACTION)
    items = build_transaction(engine, plan, params)
    if not items:
        return None  # zero items: no hook and no call (section 40 step 1)
    if not hooked:
        _send(engine, plan.id, items, [{item.type: item.body} for item in items], token)
        return None
    shared = dict(context or {})
    transaction: dict[str, Any] = {"id": object()}
    ops = logical_ops(engine, program.builders, params, shared, transaction)
    logical = [op.ctx for op in ops if op.ctx is not None]
    for ctx in logical:
        for hook in hooks.before:
            hook(ctx)
    items = collapse([rebuild(engine, plan, op, params) for op in ops], plan.id)
    if not items:
        return None
    preflight(plan, items, engine.limits, keys=program.keys)
    pctx = PersistCtx(
        items=[{item.type: item.body} for item in items],
        origins=tuple({"model": ctx.model, "kind": ctx.kind} for ctx in logical),
        context=shared,
        transaction=logical[0].transaction if logical else None,
    )
    persist(
        engine, plan.id, pctx, hooks, lambda e, op_id, sent: _send(e, op_id, items, sent, token)
    )
    for ctx in logical:
        for hook in hooks.after:
            hook(ctx, {})
    return None


def _send(
    engine: Engine, op_id: str, items: list[Built], sent: list[Any], token: str | None
) -> Any:
    """One ``TransactWriteItems`` of ``sent``; cancellation reasons point at ``items`` when
    ``sent`` still has one entry per item."""
    request: dict[str, Any] = {"TransactItems": sent}
    if token is not None:
        request["ClientRequestToken"] = token
    try:
        return engine.sender.send(op_id, "TransactWriteItems", request)
    except TransactionCanceledError as exc:
        map_reasons(exc, items, known=len(sent) == len(items))
        raise
