"""Transaction expansion and item building (docs/format.md sections 25 and 26).

``expand`` turns a transaction plan and validated params into built items, in spec order, one
per spec item or per ``forEach`` element whose ``when`` guard holds. Each :class:`Built` item
carries the exact ``TransactItems`` body it sends when it is not merged, the target row it
touches (for the same-key collapse of section 27), its origin (spec item, element) for
cancellation reasons, and, for an Update, its actions reduced for merging.

Each transaction is compiled once per runtime (lazily, :class:`Compiled`): a parameter
validator and one generated function per spec item (``validate``, ``compile``: straight-line
code), on top of an interpreted builder per spec item (:class:`_Builder`, ``_bind.getters``
closures), which the generated code calls for Updates with ``maintain`` or GSI re-derivation and
is tested against otherwise (``expand_interpreted``). ``source_of`` prints the generated code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..._bind.getters import Element, Getter, Params, getter, maintain_source, text_getter
from ..._bind.keys import entity_keys
from ..._bind.requests import param_of
from ..._dataclass import dataclass, field
from ..._values.codec import serialize
from ..._values.datetimes import check_format
from ..._values.templates import Template, text
from ...errors import ParameterValidationError
from ...spec.plans import (
    ConditionPlan,
    Literal,
    MaintainPlan,
    ParamRef,
    TransactionItemPlan,
    TransactionPlan,
    Value,
    thaw,
)
from ..batch import canonical
from ..engine import CacheKind
from .derive import AV, key_av, key_names

if TYPE_CHECKING:
    from ..engine import Engine
    from .compile import ItemFn

__all__ = [
    "AV",
    "Actions",
    "Built",
    "Compiled",
    "Condition",
    "compiled",
    "expand",
    "expand_interpreted",
    "source_of",
    "update_body",
]

_INTEGER = re.compile(r"[+-]?\d+")

#: A resolved condition: (names, values, expression).
Condition = tuple[dict[str, str], dict[str, AV], str]
Number = int | float | Decimal


@dataclass(slots=True)
class Actions:
    """An Update reduced to what a merge needs (section 27.1)."""

    sets: list[tuple[str, AV]] = field(default_factory=list)
    adds: list[tuple[str, Number]] = field(default_factory=list)
    condition: Condition | None = None
    collection: bool = False


@dataclass(slots=True)
class Built:
    """One built transaction item."""

    type: str  # Put | Update | Delete | ConditionCheck
    body: dict[str, Any]  # the TransactItems entry body, as sent when not merged
    #: The row, for collapse (section 27): (physical table, *canonical PK[, *canonical SK]),
    #: each canonical key a (kind, value) pair flattened in (one tuple per item, not three).
    target: tuple[Any, ...]
    origin: tuple[int, int | None]  # (spec item index, forEach element index or None)
    actions: Actions | None = None  # Update only
    copies: int = 1  # in a compact expansion: how many identical items this one stands for
    size: int = -1  # section 28.1 size of ``body`` when built, -1 when not computed


class Compiled:
    """One transaction compiled for one runtime: validator, builders, generated item functions."""

    __slots__ = ("builders", "items", "keys", "sources", "validate")

    def __init__(self, engine: Engine, plan: TransactionPlan) -> None:
        # The code generators load on the first transaction call, not at import (cold start).
        from .compile import compile_item  # noqa: PLC0415
        from .validate import compile_validator  # noqa: PLC0415

        source = compile_validator(plan)
        self.validate: Callable[[object], None] = source.build("validate")
        self.sources = [source]
        self.builders = [_Builder(engine, plan.id, item) for item in plan.items]
        self.keys = key_names(engine.catalog.tables.get(item.table) for item in plan.items)
        self.items: list[ItemFn] = []
        for builder in self.builders:
            name = builder.item.entity
            entity = engine.catalog.entities.get(name) if name is not None else None
            source = compile_item(builder, entity, _CLASSES)
            self.items.append(source.build("item"))
            self.sources.append(source)


#: A transaction plan -> its compiled program.
_COMPILED: CacheKind[TransactionPlan, Compiled] = CacheKind("transactions")


def compiled(engine: Engine, plan: TransactionPlan) -> Compiled:
    """The transaction compiled for this runtime, on first use (a race only compiles twice)."""
    return engine.cache.get(_COMPILED, plan, lambda plan: Compiled(engine, plan))


def expand(
    engine: Engine, plan: TransactionPlan, params: Params, *, compact: bool = False
) -> list[Built]:
    """Every item of the transaction, in spec order then element order (section 25.1 step 3).

    An item that does not read the ``forEach`` element is built once: its other elements give
    copies with their own origins, or, with ``compact``, one item whose ``copies`` counts them
    (``collapse`` handles both; nothing else may see a compact expansion).
    """
    out: list[Built] = []
    for item in compiled(engine, plan).items:
        item(params, out, compact)
    return out


def expand_interpreted(engine: Engine, plan: TransactionPlan, params: Params) -> list[Built]:
    """The same expansion through the interpreted builders: the reference the generated code
    is tested against."""
    built: list[Built] = []
    for builder in compiled(engine, plan).builders:
        source = builder.for_each
        if source is None:
            if builder.holds(params, None):
                built.append(builder.build(params, None, None))
            continue
        first: Built | None = None
        for index, element in enumerate(params.get(source) or ()):
            if not builder.holds(params, element):
                continue
            if first is None or not builder.constant:
                first = builder.build(params, element, index)
                built.append(first)
            else:
                # The item does not read the element: same row, same body (section 27 will
                # collapse the copies), only the origin differs.
                built.append(
                    Built(
                        first.type,
                        first.body,
                        first.target,
                        (first.origin[0], index),
                        first.actions,
                    )
                )
    return built


def source_of(engine: Engine, transaction_id: str) -> str:
    """The generated Python of a transaction (validator, then one function per spec item),
    each followed by the constants it reads. For debugging::

        print(source_of(runtime._engine, "addMembers"))
    """
    plan = engine.catalog.transactions[transaction_id]
    return "\n".join(source.listing() for source in compiled(engine, plan).sources)


# --- the builder of one spec item -------------------------------------------------------------


class _Builder:
    """One spec item compiled for one runtime (physical table names included)."""

    def __init__(self, engine: Engine, op_id: str, item: TransactionItemPlan) -> None:
        catalog = engine.catalog
        self.op_id = op_id
        self.item = item
        self.for_each = item.for_each
        self.table = engine.physical(item.table)
        schema = catalog.tables.get(item.table)
        self.key_attributes = schema.key_attributes if schema is not None else ("PK", "SK")
        entity = catalog.entities.get(item.entity) if item.entity is not None else None
        self.when = (
            (text_getter(item.when.left, op_id), item.when.op, text_getter(item.when.right, op_id))
            if item.when is not None
            else None
        )
        keyed = item.literal_key
        self.formats: Mapping[str, str] = entity.formats if entity is not None else {}
        self.fields = [
            (name, getter(v, op_id), keyed and name in self.key_attributes) for name, v in item.item
        ]
        keys = entity_keys(entity) if entity is not None else None
        #: The keys a Put derives (section 10.2).
        self.keys = keys if entity is not None and entity.pk is not None and not keyed else None
        self.key = [(attr, getter(v, op_id)) for attr, v in item.key]
        self.changes = [(name, getter(v, op_id)) for name, v in item.changes]
        #: The parameter each written field is exactly, for format errors (``param_of``).
        self.sources = {name: param_of(v) for name, v in (*item.item, *item.changes)}
        #: Re-derives GSI keys the Update's changes affect (section 10.3).
        changed = tuple(name for name, _ in item.changes)
        self.regsi = keys if keys is not None and keys.affected(changed) else None
        self.rederives = self.regsi is not None
        self.adds = [(name, v, getter(v, op_id)) for name, v in item.add]
        self.condition = _condition(item.condition, op_id)
        # Re-derived GSI keys may read element fields by bare name (section 25.3).
        self.constant = _reads_no_element(item) and not self.rederives

    def holds(self, params: Params, element: Element) -> bool:
        """Section 25.2: both sides by text resolution, compared as text."""
        if self.when is None:
            return True
        left, op, right = self.when
        equal = left(params, element) == right(params, element)
        return equal if op == "eq" else not equal

    def build(self, params: Params, element: Element, index: int | None) -> Built:
        origin = (self.item.index, index)
        kind = self.item.type
        if kind == "Put":
            body_item, body = self._put(params, element, index)
            return Built("Put", body, self._target(body_item), origin)
        key = {attr: key_av(get(params, element), self.op_id, attr) for attr, get in self.key}
        if kind == "Update":
            actions, body = self._update(params, element, key, index)
            return Built("Update", body, self._target(key), origin, actions)
        body = {"TableName": self.table, "Key": key}
        self._apply_condition(body, params, element)
        return Built(kind, body, self._target(key), origin)

    def _target(self, item: Mapping[str, AV]) -> tuple[Any, ...]:
        attrs = self.key_attributes
        pk = item[attrs[0]]
        text_pk = pk.get("S")
        pk_kind, pk_id = ("S", text_pk) if type(text_pk) is str else canonical(pk)
        if len(attrs) == 1:
            return (self.table, pk_kind, pk_id)
        sk = item[attrs[1]]
        text_sk = sk.get("S")
        sk_kind, sk_id = ("S", text_sk) if type(text_sk) is str else canonical(sk)
        return (self.table, pk_kind, pk_id, sk_kind, sk_id)

    def _resolved_condition(self, params: Params, element: Element) -> Condition | None:
        if self.condition is None:
            return None
        names, values, expression = self.condition
        resolved = {
            alias: serialize(get(params, element), op_id=self.op_id) for alias, get in values
        }
        return names.copy(), resolved, expression

    def _apply_condition(self, body: dict[str, Any], params: Params, element: Element) -> None:
        condition = self._resolved_condition(params, element)
        if condition is None:
            return
        names, values, expression = condition
        if names:
            body["ExpressionAttributeNames"] = names
        if values:
            body["ExpressionAttributeValues"] = values
        body["ConditionExpression"] = expression

    def check_format(self, field: str, value: Any, index: int | None) -> None:
        """Section 9.3 for one written field (no-op for a field without a format)."""
        fmt = self.formats.get(field)
        if fmt is not None:
            source = self.sources.get(field)
            check_format(self.op_id, field, fmt, value, source, self.for_each, index)

    def _put(
        self, params: Params, element: Element, index: int | None
    ) -> tuple[dict[str, AV], dict[str, Any]]:
        op_id = self.op_id
        formats = self.formats
        record: dict[str, Any] = {}
        body_item: dict[str, AV] = {}
        for name, get, is_key in self.fields:
            value = record[name] = get(params, element)
            if formats and name in formats:
                self.check_format(name, value, index)
            if type(value) is str and (value or not is_key):
                body_item[name] = {"S": value}
            elif is_key:
                body_item[name] = key_av(value, op_id, name)
            else:
                body_item[name] = serialize(value, op_id=op_id)
        if self.keys is not None:
            for attr, value in self.keys.derive(record, params, element, op_id):
                body_item[attr] = key_av(value, op_id, attr)
        body: dict[str, Any] = {"TableName": self.table, "Item": body_item}
        self._apply_condition(body, params, element)
        return body_item, body

    def _update(
        self, params: Params, element: Element, key: dict[str, AV], index: int | None
    ) -> tuple[Actions, dict[str, Any]]:
        """An Update's actions and its native body (sections 26.1 and 26.3)."""
        op_id = self.op_id
        if self.item.maintain is not None:
            return _maintain(self, self.item.maintain, params, element, key, index)
        actions = Actions()
        set_parts: list[str] = []
        names: dict[str, str] = {}
        values: dict[str, AV] = {}
        changes = {name: get(params, element) for name, get in self.changes}
        formats = self.formats
        for i, (name, value) in enumerate(changes.items()):
            if formats and name in formats:
                self.check_format(name, value, index)
            av = serialize(value, op_id=op_id)
            set_parts.append(f"#c{i} = :c{i}")
            names[f"#c{i}"], values[f":c{i}"] = name, av
            actions.sets.append((name, av))
        regsi = self.regsi
        for alias, attr, value in regsi.rederive(changes, params, element, op_id) if regsi else ():
            av = key_av(value, op_id, attr)
            set_parts.append(f"#gsi{alias} = :gsi{alias}")
            names[f"#gsi{alias}"], values[f":gsi{alias}"] = attr, av
            actions.sets.append((attr, av))
        add_parts: list[str] = []
        for j, (name, value, get) in enumerate(self.adds):
            number = _delta(value, get, params, element, op_id, name)
            add_parts.append(f"#a{j} :a{j}")
            names[f"#a{j}"], values[f":a{j}"] = name, serialize(number, op_id=op_id)
            actions.adds.append((name, number))
        actions.condition = self._resolved_condition(params, element)
        body = update_body(
            self.table,
            key,
            sets=set_parts,
            adds=add_parts,
            names=names,
            values=values,
            condition=actions.condition,
        )
        return actions, body


def _names(value: Value | ParamRef) -> tuple[str, ...]:
    if type(value) is ParamRef:
        return (value.name,)
    return value.names if type(value) is Template else ()


def _reads_no_element(item: TransactionItemPlan) -> bool:
    """True when no value of the item can depend on the forEach element (besides ``when``)."""
    if item.maintain is not None or item.type == "Put":
        return False  # a Put derives keys from element fields by bare name
    values: list[Value | ParamRef] = [v for _, v in (*item.key, *item.changes, *item.add)]
    if item.condition is not None:
        values.extend(v for _, v in item.condition.values)
    return not any(n.startswith("item.") for v in values for n in _names(v))


def _condition(
    condition: ConditionPlan | None, op_id: str
) -> tuple[dict[str, str], list[tuple[str, Getter]], str] | None:
    if condition is None:
        return None
    values = [(alias, getter(v, op_id)) for alias, v in condition.values]
    return dict(condition.names), values, condition.expression


def _delta(  # noqa: PLR0917 - private, called from two places
    value: Value, get: Getter, params: Params, element: Element, op_id: str, attribute: str
) -> Number:
    """An ADD delta (section 26.1 step 2): a number, or a string that parses as one."""
    resolved = thaw(value.value) if type(value) is Literal else get(params, element)
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


#: What generated item code constructs and calls (``transactions.compile``).
_CLASSES: dict[str, Any] = {"_Built": Built, "_Actions": Actions, "_delta": _delta}


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
    if condition is not None:
        names = {**names, **condition[0]}
        values = {**values, **condition[1]}
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


# --- maintain (section 26.3) ------------------------------------------------------------------


def _maintain(  # noqa: PLR0917 - private
    builder: _Builder,
    maintain: MaintainPlan,
    params: Params,
    element: Element,
    key: dict[str, AV],
    index: int | None,
) -> tuple[Actions, dict[str, Any]]:
    op_id, table = builder.op_id, builder.table
    snapshot = maintain.kind == "snapshot"  # writes owner-row fields (a collection: list items)
    record: dict[str, AV] = {}
    for spec in maintain.projection:
        value = maintain_source(spec.input_field, params, element, op_id)
        if spec.op == "preview" and value is not None:
            value = text(value, op_id=op_id)[: spec.length]
        fmt = builder.formats.get(spec.attribute) if snapshot else None
        if fmt is not None:
            check_format(
                op_id, spec.attribute, fmt, value, spec.input_field, builder.for_each, index
            )
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
    delta_value = maintain.counter_delta
    number = _delta(
        delta_value, getter(delta_value, op_id), params, element, op_id, maintain.counter_attribute
    )
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
