"""Relation legs compiled once per runtime (docs/format.md sections 16.4, 18 and 19).

A relation op resolves the same templates for every parent of every call. :func:`compiled_legs`
turns each relation op of a query plan into a :class:`ConnectionLeg` (hasMany) or a
:class:`SingleLeg` (belongsTo / hasOne) whose per-parent work is a few closure calls: where each
placeholder is looked up, which key values are constants, the static parts of the request and
the projected fields are all decided once. The legs are cached per runtime, per plan, in
``engine.cache`` (physical table names and limits are the runtime's). Sending and page reading
are the shared ones of ``fetch``.

Everything here implements exactly what the generic path does (``_values.templates.resolve``,
``requests.query_request`` / ``key_map`` with ``templates.Bindings``,
``_values.codec.deserialize_item`` + ``hydrate``, ``_execute.batch.key_identity``): the same
request dicts in
the same key order, the same values, the same errors in the same order.
``tests/test_relations_compiled.py`` checks each builder against the generic functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT

from .._bind.getters import getter, result_lookup
from .._bind.requests import located
from .._values.codec import (
    ValueRejected,
    deserialize,
    is_internal_key,
    serialize,
    serialize_key,
)
from .._values.templates import Template, text, unbound
from ..errors import ParameterValidationError
from ..spec.plans import Literal, ParamRef, QueryPlan, ReadOpPlan, Value
from .batch import identity_function
from .engine import CacheKind, Engine
from .fetch import Decode, generic_decoder

__all__ = ["ConnectionLeg", "SingleLeg", "compiled_legs", "decoder"]

AV = dict[str, Any]
Params = Mapping[str, Any]
Parent = Mapping[str, Any]
#: ``(params, parent) -> value``: one spec value resolved against one parent (section 16.4).
Getter = Callable[[Params, Parent], Any]

#: A query plan -> its relation legs by op index (a ``datetimes="text"`` twin has its own).
_LEGS: CacheKind[QueryPlan, dict[int, ConnectionLeg | SingleLeg]] = CacheKind("relation legs")


def compiled_legs(engine: Engine, plan: QueryPlan) -> dict[int, ConnectionLeg | SingleLeg]:
    """Every relation op of ``plan`` compiled for ``engine`` (by op index), cached."""
    return engine.cache.get(_LEGS, plan, lambda plan: _compile(engine, plan))


def _compile(engine: Engine, plan: QueryPlan) -> dict[int, ConnectionLeg | SingleLeg]:
    return {
        op.index: (
            ConnectionLeg(engine, plan.id, op) if op.connection else SingleLeg(engine, plan.id, op)
        )
        for op in plan.operations[1:]
    }


# --- values (section 5.3 with the bindings of section 16.4) -----------------------------------


def _lookup(name: str) -> Getter:
    return result_lookup(name)


def _typed(value: Value | ParamRef, op_id: str) -> Getter:
    """``_bind.requests.value_of`` against ``Bindings(params, parent=parent)``."""
    return getter(value, op_id, result_lookup)


def _constant(value: Value | ParamRef) -> bool:
    return type(value) is Literal or (type(value) is Template and not value.names)


def _key_av(value: Value, attribute: str, op_id: str) -> Getter:
    """``_requests._av(value, env, op_id, attribute)``: a key value, serialized (a fresh dict)."""
    if _constant(value):
        try:
            av = serialize_key(_typed(value, op_id)({}, {}), op_id=op_id, attribute=attribute)
        except Exception:  # an invalid constant raises per call, as the generic path does
            pass
        else:
            if len(av) == 1 and ("S" in av or "N" in av or "B" in av):
                return lambda params, parent: dict(av)
    get = _typed(value, op_id)

    def checked(resolved: Any) -> AV:
        try:
            return serialize_key(resolved, op_id=op_id, attribute=attribute)
        except ValueRejected as exc:
            raise located(exc, value) from None

    if type(value) is Template and not value.whole and len(value.names) == 1:
        # One placeholder plus literal text: always a non-empty string; a short ASCII one is a
        # valid key value (at most 1024 bytes).
        template, name, find = value, value.names[0], _lookup(value.names[0])
        head, tail = value.literals

        def one_placeholder(params: Params, parent: Parent) -> AV:
            found = find(params, parent)
            if found is None:
                raise unbound(op_id, template, name)
            if type(found) is not str:
                found = text(found, op_id=op_id, template=template)
            key = head + found + tail
            if len(key) <= 256 and key.isascii():
                return {"S": key}
            return checked(key)

        return one_placeholder

    def key_value(params: Params, parent: Parent) -> AV:
        resolved = get(params, parent)
        if type(resolved) is str and resolved and len(resolved) <= 256 and resolved.isascii():
            return {"S": resolved}
        return checked(resolved)

    return key_value


def _operand_av(value: Value | ParamRef, op_id: str) -> Getter:
    """``_requests._av(value, env, op_id, None)``: any value, serialized."""
    get = _typed(value, op_id)

    def operand(params: Params, parent: Parent) -> AV:
        try:
            return serialize(get(params, parent), op_id=op_id)
        except ValueRejected as exc:
            raise located(exc, value) from None

    return operand


# --- decoding (sections 7.7 and 9.2) ----------------------------------------------------------


def decoder(projection: tuple[str, ...], formats: Mapping[str, str]) -> Decode | None:
    """``hydrate(deserialize_item(item), projection, formats)`` in one pass, or None (formats).

    Every attribute is still decoded (so a malformed one fails as before); only the projected
    ones are kept. Ops with date formats use the generic functions.
    """
    if formats:
        return None
    public = tuple(dict.fromkeys(name for name in projection if not is_internal_key(name)))
    wanted = frozenset(public)
    create_decimal = DYNAMODB_CONTEXT.create_decimal

    def decode(item: Mapping[str, Any]) -> dict[str, Any]:
        for av in item.values():
            if type(av) is not dict or len(av) != 1 or "S" not in av:
                return general(item)
        # Every attribute is a plain string (the common case): nothing can fail.
        return {name: item[name]["S"] for name in public if name in item}

    def general(item: Mapping[str, Any]) -> dict[str, Any]:
        got: dict[str, Any] = {}
        for name, av in item.items():
            if type(av) is dict and len(av) == 1:
                if "S" in av:
                    value = av["S"]
                elif "N" in av:
                    value = create_decimal(av["N"])
                else:
                    value = deserialize(av)
            else:
                value = deserialize(av)
            if name in wanted:
                got[name] = value
        return {name: got[name] for name in public if name in got}

    return decode


# --- legs -------------------------------------------------------------------------------------


class _Leg:
    """What both kinds of leg share: the op, its physical table and its binding check."""

    __slots__ = ("bound", "op", "op_id", "table")

    def __init__(self, engine: Engine, op_id: str, op: ReadOpPlan) -> None:
        self.op = op
        self.op_id = op_id
        self.table = engine.physical(op.table)
        #: Section 16.4: ``bound(parent)`` is false when the parent gets no request.
        self.bound = _binding_check(op)


def _binding_check(op: ReadOpPlan) -> Callable[[Parent], bool]:
    """False when ``sourceField`` or any ``{result.f}`` field of the parent is missing or None."""
    need = tuple(dict.fromkeys((op.source_field or "", *op.result_fields)))
    if len(need) == 1:
        (name,) = need
        return lambda parent: parent.get(name) is not None
    return lambda parent: all(parent.get(name) is not None for name in need)


class ConnectionLeg(_Leg):
    """A hasMany leg: one Query per bound parent (section 18)."""

    __slots__ = ("build", "decode", "scope")

    def __init__(self, engine: Engine, op_id: str, op: ReadOpPlan) -> None:
        super().__init__(engine, op_id, op)
        self.scope = op.continuation or f"{op_id}#{op.index}"
        self.decode = decoder(op.projection, op.formats)
        self.build = _query_builder(op, self.table, op_id)


def _query_builder(
    op: ReadOpPlan, table: str, op_id: str
) -> Callable[[Params, Parent, bool], dict[str, Any]]:
    """``query_request(op, Bindings(params, parent=parent), ...)`` for a relation leg."""
    names = dict(op.key_names)
    steps: list[tuple[str, Getter, str | None]] = [
        (f":k{i}", _key_av(value, attr, op_id), None) for i, (attr, value) in enumerate(op.key)
    ]
    if op.range is not None:
        check = op.range.key if op.range.operator == "begins_with" else None
        steps.extend(
            (alias, _key_av(bound, op.range.key, op_id), check)
            for alias, bound in zip(op.range.aliases, op.range.values, strict=True)
        )
    operands: list[tuple[str, Getter]] = []
    if op.filter is not None:
        names.update(op.filter.names)
        operands = [(alias, _operand_av(value, op_id)) for alias, value in op.filter.values]
    tails: list[dict[str, Any]] = []
    for consistent in (False, True):
        tail: dict[str, Any] = {}
        if op.index_name is not None:
            tail["IndexName"] = op.index_name
        if consistent:
            tail["ConsistentRead"] = True
        if op.limit is not None:
            tail["Limit"] = op.limit
        if not op.scan_forward:
            tail["ScanIndexForward"] = False
        if op.filter is not None:
            tail["FilterExpression"] = op.filter.text
        tails.append(tail)
    plain, strong = tails
    condition = op.key_condition_expression

    def build(params: Params, parent: Parent, consistent: bool) -> dict[str, Any]:
        values: dict[str, AV] = {}
        for alias, get, begins_with in steps:
            av = get(params, parent)
            if begins_with is not None and "S" not in av and "B" not in av:
                raise ParameterValidationError(
                    f"{op_id}: begins_with needs a string or bytes value for '{begins_with}'"
                )
            values[alias] = av
        if operands:
            # As query_request: every operand is resolved before any is stored.
            resolved = {alias: get(params, parent) for alias, get in operands}
            values.update(resolved)
        request: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names.copy(),
            "ExpressionAttributeValues": values,
        }
        request.update(strong if consistent else plain)
        return request

    return build


class SingleLeg(_Leg):
    """A belongsTo / hasOne leg: one deduplicated BatchGetItem (section 19)."""

    __slots__ = ("decode", "identity", "key_getters")

    def __init__(self, engine: Engine, op_id: str, op: ReadOpPlan) -> None:
        super().__init__(engine, op_id, op)
        self.key_getters = tuple((attr, _key_av(value, attr, op_id)) for attr, value in op.key)
        self.identity = identity_function([attr for attr, _ in op.key])
        self.decode = decoder(op.projection, op.formats) or generic_decoder(op, op_id)

    def key(self, params: Params, parent: Parent) -> dict[str, AV]:
        """``key_map(op.key, Bindings(params, parent=parent), op_id)``."""
        return {attr: get(params, parent) for attr, get in self.key_getters}
