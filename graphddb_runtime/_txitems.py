"""Transaction expansion and item building (FORMAT.md sections 25 and 26). Pure functions.

``expand`` turns a transaction plan and validated params into built items, in spec order, one
per spec item or per ``forEach`` element whose ``when`` guard holds. Each :class:`Built` item
carries the exact ``TransactItems`` body it sends when it is not merged, the target row it
touches (for the same-key collapse of section 27), its origin (spec item, element) for
cancellation reasons, and, for an Update, its actions reduced for merging.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ._batch import canonical
from ._codec import serialize, serialize_key
from ._requests import AV, affected_gsis, apply_condition, derive_keys, key_map, value_of
from ._templates import Bindings, Env, render, resolve, text
from .errors import ParameterValidationError, UnboundParameterError
from .spec.plans import (
    Catalog,
    ConditionPlan,
    EntityPlan,
    Literal,
    MaintainPlan,
    TransactionItemPlan,
    TransactionPlan,
    Value,
    thaw,
)

__all__ = ["AV", "Actions", "Built", "Condition", "delta", "expand", "update_body"]

_INTEGER = re.compile(r"[+-]?\d+")

#: A resolved condition: (names, values, expression).
Condition = tuple[dict[str, str], dict[str, AV], str]


@dataclass(slots=True)
class Actions:
    """An Update reduced to what a merge needs (section 27.1)."""

    sets: list[tuple[str, AV]] = field(default_factory=list)
    adds: list[tuple[str, int | float | Decimal]] = field(default_factory=list)
    condition: Condition | None = None
    collection: bool = False


@dataclass(slots=True)
class Built:
    """One built transaction item."""

    type: str  # Put | Update | Delete | ConditionCheck
    body: dict[str, Any]  # the TransactItems entry body, as sent when not merged
    target: tuple[Any, ...]  # (physical table, canonical PK, canonical SK or None)
    origin: tuple[int, int | None]  # (spec item index, forEach element index or None)
    actions: Actions | None = None  # Update only


@dataclass(frozen=True, slots=True)
class _Site:
    """One item being built: the spec item, its environment and its physical table."""

    op_id: str
    item: TransactionItemPlan
    env: Bindings
    element: Mapping[str, Any] | None
    table: str


class _Fallback:
    """Derivation fallback after the record: element fields by bare name, then the params."""

    __slots__ = ("bindings", "element")

    def __init__(self, bindings: Bindings, element: Mapping[str, Any] | None) -> None:
        self.bindings = bindings
        self.element = element

    def get(self, name: str) -> Any:
        if self.element is not None:
            value = self.element.get(name)
            if value is not None:
                return value
        return self.bindings.get(name)


def expand(
    catalog: Catalog,
    plan: TransactionPlan,
    params: Mapping[str, Any],
    physical: Mapping[str, str],
) -> list[Built]:
    """Every item of the transaction, in spec order then element order (section 25.1 step 3)."""
    built: list[Built] = []
    for item in plan.items:
        if item.for_each is None:
            env = Bindings(params)
            if _holds(item, env, plan.id):
                site = _Site(plan.id, item, env, None, physical.get(item.table, item.table))
                built.append(_build(catalog, site, None))
            continue
        source = params.get(item.for_each)
        for index, element in enumerate(source or ()):
            env = Bindings(params, element=element)
            if _holds(item, env, plan.id):
                site = _Site(plan.id, item, env, element, physical.get(item.table, item.table))
                built.append(_build(catalog, site, index))
    return built


def _holds(item: TransactionItemPlan, env: Env, op_id: str) -> bool:
    """Section 25.2: both sides by text resolution, compared as text."""
    when = item.when
    if when is None:
        return True
    equal = render(when.left, env, op_id) == render(when.right, env, op_id)
    return equal if when.op == "eq" else not equal


def _build(catalog: Catalog, site: _Site, index: int | None) -> Built:
    op_id, item, env, element, table = site.op_id, site.item, site.env, site.element, site.table
    schema = catalog.tables.get(item.table)
    key_attributes = schema.key_attributes if schema is not None else ("PK", "SK")
    origin = (item.index, index)
    entity = catalog.entities.get(item.entity) if item.entity is not None else None
    if item.type == "Put":
        record = {name: value_of(value, env, op_id) for name, value in item.item}
        body_item = {
            name: serialize_key(v, op_id=op_id, attribute=name)
            if item.literal_key and name in key_attributes
            else serialize(v, op_id=op_id)
            for name, v in record.items()
        }
        if not item.literal_key and entity is not None:
            fallback = _Fallback(env, element)
            for attr, value in derive_keys(entity, _Record(record, fallback), op_id):
                body_item[attr] = serialize_key(value, op_id=op_id, attribute=attr)
        body: dict[str, Any] = {"TableName": table, "Item": body_item}
        apply_condition(body, item.condition, env, op_id)
        return Built("Put", body, _target(table, body_item, key_attributes), origin)
    key = key_map(item.key, env, op_id)
    if item.type == "Update":
        actions, body = _update(site, entity, key)
        return Built("Update", body, _target(table, key, key_attributes), origin, actions)
    body = {"TableName": table, "Key": key}
    apply_condition(body, item.condition, env, op_id)
    return Built(item.type, body, _target(table, key, key_attributes), origin)


class _Record:
    """The record (or resolved changes) first, then the fallback (section 25.3)."""

    __slots__ = ("fallback", "record")

    def __init__(self, record: Mapping[str, Any], fallback: _Fallback) -> None:
        self.record = record
        self.fallback = fallback

    def get(self, name: str) -> Any:
        value = self.record.get(name)
        return value if value is not None else self.fallback.get(name)


def _target(table: str, item: Mapping[str, AV], key_attributes: tuple[str, ...]) -> tuple[Any, ...]:
    pk = canonical(item[key_attributes[0]])
    sk = canonical(item[key_attributes[1]]) if len(key_attributes) > 1 else None
    return (table, pk, sk)


def resolve_condition(condition: ConditionPlan | None, env: Env, op_id: str) -> Condition | None:
    if condition is None:
        return None
    values = {
        alias: serialize(value_of(value, env, op_id), op_id=op_id)
        for alias, value in condition.values
    }
    return dict(condition.names), values, condition.expression


def delta(value: Value, env: Env, op_id: str, attribute: str) -> int | float | Decimal:
    """An ADD delta (section 26.1 step 2): a number, or a string that parses as one."""
    resolved = thaw(value.value) if type(value) is Literal else value_of(value, env, op_id)
    if isinstance(resolved, str):
        if _INTEGER.fullmatch(resolved):
            return int(resolved)
        try:
            parsed = Decimal(resolved)
        except InvalidOperation:
            parsed = None
        if parsed is not None and parsed.is_finite():
            return parsed
    elif isinstance(resolved, (int, float, Decimal)) and not isinstance(resolved, bool):
        if not isinstance(resolved, int) and not Decimal(str(resolved)).is_finite():
            raise ParameterValidationError(f"{op_id}: ADD delta for '{attribute}' must be finite")
        return resolved
    raise ParameterValidationError(
        f"{op_id}: ADD delta for '{attribute}' must be a number, got {resolved!r}"
    )


def _update(
    site: _Site, entity: EntityPlan | None, key: dict[str, AV]
) -> tuple[Actions, dict[str, Any]]:
    """An Update's actions and its native body (sections 26.1 and 26.3)."""
    op_id, item, env, element = site.op_id, site.item, site.env, site.element
    if item.maintain is not None:
        return _maintain(site, item.maintain, key)
    actions = Actions()
    set_parts: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, AV] = {}
    changes = {name: value_of(value, env, op_id) for name, value in item.changes}
    for i, (name, value) in enumerate(changes.items()):
        av = serialize(value, op_id=op_id)
        set_parts.append(f"#c{i} = :c{i}")
        names[f"#c{i}"], values[f":c{i}"] = name, av
        actions.sets.append((name, av))
    fallback = _Fallback(env, element)
    for n, (gsi, derivation) in enumerate(affected_gsis(entity, changes, fallback, op_id)):
        for suffix, template in (("pk", gsi.pk), ("sk", gsi.sk)):
            if template is None:
                continue
            attr = f"{gsi.index_name}{suffix.upper()}"
            av = serialize_key(resolve(template, derivation, op_id), op_id=op_id, attribute=attr)
            set_parts.append(f"#gsi{n}{suffix} = :gsi{n}{suffix}")
            names[f"#gsi{n}{suffix}"], values[f":gsi{n}{suffix}"] = attr, av
            actions.sets.append((attr, av))
    add_parts: list[str] = []
    for j, (name, value) in enumerate(item.add):
        number = delta(value, env, op_id, name)
        add_parts.append(f"#a{j} :a{j}")
        names[f"#a{j}"], values[f":a{j}"] = name, serialize(number, op_id=op_id)
        actions.adds.append((name, number))
    actions.condition = resolve_condition(item.condition, env, op_id)
    body = update_body(
        site.table,
        key,
        sets=set_parts,
        adds=add_parts,
        names=names,
        values=values,
        condition=actions.condition,
    )
    return actions, body


def update_body(
    table: str,
    key: dict[str, AV],
    *,
    sets: list[str],
    adds: list[str],
    names: dict[str, str],
    values: dict[str, AV],
    condition: Condition | None,
) -> dict[str, Any]:
    """``{TableName, Key, [UpdateExpression], [names], [values], [ConditionExpression]}``."""
    clauses = []
    if sets:
        clauses.append("SET " + ", ".join(sets))
    if adds:
        clauses.append("ADD " + ", ".join(adds))
    names, values = dict(names), dict(values)
    if condition is not None:
        names.update(condition[0])
        values.update(condition[1])
    body: dict[str, Any] = {"TableName": table, "Key": key}
    if clauses:
        body["UpdateExpression"] = " ".join(clauses)
    if names:
        body["ExpressionAttributeNames"] = names
    if values:
        body["ExpressionAttributeValues"] = values
    if condition is not None:
        body["ConditionExpression"] = condition[2]
    return body


def _source(input_field: str, env: Bindings, element: Mapping[str, Any] | None, op_id: str) -> Any:
    """The typed source value of a maintain projection (section 26.3); absent is an error."""
    if input_field.startswith("item.") and element is not None:
        container: Mapping[str, Any] = element
        name = input_field[5:]
    else:
        container, name = env.params, input_field
    if name not in container:
        raise UnboundParameterError(
            f"{op_id}: maintain inputField '{input_field}' references unbound parameter '{name}'"
        )
    return container[name]


def _maintain(
    site: _Site, maintain: MaintainPlan, key: dict[str, AV]
) -> tuple[Actions, dict[str, Any]]:
    op_id, env, element, table = site.op_id, site.env, site.element, site.table
    record: dict[str, AV] = {}
    for spec in maintain.projection:
        value = _source(spec.input_field, env, element, op_id)
        if spec.op == "preview" and value is not None:
            value = text(value, op_id=op_id)[: spec.length]
        record[spec.attribute] = serialize(value, op_id=op_id)
    actions = Actions()
    if maintain.kind == "collection":
        assert maintain.collection_field is not None
        actions.collection = True
        body = update_body(
            table,
            key,
            sets=["#c = list_append(if_not_exists(#c, :empty), :item)"],
            adds=[],
            names={"#c": maintain.collection_field},
            values={":empty": {"L": []}, ":item": {"L": [{"M": record}]}},
            condition=None,
        )
        return actions, body
    if maintain.kind == "snapshot":
        names = {f"#m{i}": attr for i, attr in enumerate(record)}
        values = {f":m{i}": av for i, av in enumerate(record.values())}
        actions.sets.extend(record.items())
        parts = [f"#m{i} = :m{i}" for i in range(len(record))]
        return actions, update_body(
            table, key, sets=parts, adds=[], names=names, values=values, condition=None
        )
    assert maintain.counter_attribute is not None and maintain.counter_delta is not None
    number = delta(maintain.counter_delta, env, op_id, maintain.counter_attribute)
    actions.adds.append((maintain.counter_attribute, number))
    body = update_body(
        table,
        key,
        sets=[],
        adds=["#a0 :a0"],
        names={"#a0": maintain.counter_attribute},
        values={":a0": serialize(number, op_id=op_id)},
        condition=None,
    )
    return actions, body
