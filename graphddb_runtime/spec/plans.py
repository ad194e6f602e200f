"""Immutable execution plans (docs/format.md section 2.6).

Plans are frozen, slotted, keyword-only dataclasses with tuple fields and no behaviour. The builder
(``_build.py``) checks every invariant once; executors trust a plan because it exists. JSON literal
values are held frozen (tuples, read-only mappings) and thawed per call by :func:`thaw`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .._dataclass import dataclass
from .._values.templates import Template

__all__ = [
    "Catalog",
    "CommandMethodPlan",
    "CommandPlan",
    "ComposeEdgePlan",
    "ConditionPlan",
    "ContractPlan",
    "EntityPlan",
    "ExpressionPlan",
    "GsiPlan",
    "Literal",
    "MaintainField",
    "MaintainPlan",
    "ParamPlan",
    "ParamRef",
    "QueryMethodPlan",
    "QueryPlan",
    "RangePlan",
    "ReadOpPlan",
    "TableSchema",
    "TransactionItemPlan",
    "TransactionPlan",
    "WhenPlan",
    "freeze",
    "thaw",
]


# --- values -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Literal:
    """A non-template value from the spec, held frozen (see :func:`freeze`)."""

    value: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class ParamRef:
    """A ``{"$param": name}`` operand marker: the typed value of ``name``."""

    name: str


#: A value position: a template string (literal, whole or mixed) or a non-string JSON literal.
Value = Template | Literal
#: An expression operand: a JSON literal or a ``$param`` marker.
Operand = Literal | ParamRef


def freeze(value: Any) -> Any:
    """Deep-freeze a JSON value: lists become tuples, objects read-only mappings."""
    kind = type(value)
    if kind is dict:
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if kind is list:
        return tuple([freeze(v) for v in value])
    return value


def thaw(value: Any) -> Any:
    """Inverse of :func:`freeze`: a fresh, mutable JSON value."""
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    return value


# --- manifest ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class GsiPlan:
    index_name: str
    pk: Template | None
    sk: Template | None
    #: ``inputFields`` then the template placeholders not already listed (section 3.3).
    dependencies: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class EntityPlan:
    name: str
    table: str
    pk: Template | None  # None: the entity has no ``key`` (only literalKey writes)
    sk: Template | None
    gsis: tuple[GsiPlan, ...]
    #: field -> "datetime" | "date", for the fields that carry a supported format.
    formats: Mapping[str, str]
    #: field -> declared ``type`` ("string", "number", ...); literals of number and boolean fields
    #: were typed at build time (section 3.4), nothing reads it per call.
    types: Mapping[str, str]
    #: The manifest's EntityMeta as written (deep-frozen), shown to middleware (section 37).
    meta: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class TableSchema:
    """Derived key schema of one logical table (section 3.5)."""

    name: str
    #: ("PK",) or ("PK", "SK")
    key_attributes: tuple[str, ...]
    #: index name -> its key attributes: ("<I>PK",) or ("<I>PK", "<I>SK")
    indexes: Mapping[str, tuple[str, ...]]


# --- params -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ParamPlan:
    name: str
    type: str  # string | number | boolean | literal | array (a missing type validates as string)
    required: bool
    literals: tuple[Any, ...] = ()
    element: Mapping[str, ParamPlan] | None = None  # declared element fields of an array


# --- expressions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpressionPlan:
    """A compiled filter or ``expr`` condition: static text and names, per-call operands."""

    text: str
    names: tuple[tuple[str, str], ...]
    values: tuple[tuple[str, Operand], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionPlan:
    """A write condition (section 11), rendered once; ``values`` are resolved per call.

    For ``equals`` the values are templates (typed resolution); for ``expr`` and ``raw`` they are
    operands (literals or ``$param`` markers). An ``expr`` that compiles to nothing has no plan.
    """

    kind: str
    expression: str
    names: tuple[tuple[str, str], ...]
    values: tuple[tuple[str, Value | ParamRef], ...]


# --- reads ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RangePlan:
    operator: str
    key: str
    values: tuple[Value, ...]  # one value, or (lo, hi) for between
    clause: str  # e.g. "begins_with(#kr, :kr)"
    aliases: tuple[str, ...]  # (":kr",) or (":kr0", ":kr1")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadOpPlan:
    index: int
    type: str  # GetItem | Query | BatchGetItem
    table: str  # logical
    index_name: str | None
    entity: str | None  # resolved once (section 7.3)
    key: tuple[tuple[str, Value], ...]  # keyCondition in spec order
    range: RangePlan | None
    scan_forward: bool
    filter: ExpressionPlan | None
    projection: tuple[str, ...]
    formats: Mapping[str, str]  # projected fields with a datetime/date format
    limit: int | None
    # Static Query text (section 7.6): "#k0 = :k0 AND ...", and its names map.
    key_condition_expression: str
    key_names: tuple[tuple[str, str], ...]
    # BatchGetItem projection (section 19.3): "#p0, #p1", names.
    projection_expression: str | None
    projection_names: tuple[tuple[str, str], ...]
    # Cursor validation (section 12.2): expected attributes and the partition attribute.
    cursor_attributes: tuple[str, ...]
    partition_attribute: str
    # Relation facts (section 16); the root has result_path "$" and producer None.
    result_path: str
    tokens: tuple[str, ...]
    parent_tokens: tuple[str, ...]
    property: str | None
    connection: bool
    producer: int | None
    depth: int
    relation_path: tuple[str, ...]
    source_field: str | None
    result_fields: tuple[str, ...]  # parent fields bound by {result.f} and markers
    continuation: str | None  # continuation query id of a hasMany leg (section 23)
    #: The op's ``filter`` as written (frozen), which explain() shows verbatim.
    filter_spec: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryPlan:
    id: str
    params: Mapping[str, ParamPlan]  # in declaration order
    cardinality: str | None
    operations: tuple[ReadOpPlan, ...]
    #: Effective stages (relation op indices only) and the in-flight bound (section 20).
    stages: tuple[tuple[int, ...], ...]
    concurrency: int
    #: The plan as explain() shows it: the spec's groups as written, or the default.
    explain_groups: tuple[tuple[int, ...], ...]
    depth: int
    max_static_limit: int | None
    #: (op index, index name) of every op reading an index (consistentRead check).
    indexed_ops: tuple[tuple[int, str], ...]


# --- writes -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandPlan:
    id: str
    type: str  # PutItem | UpdateItem | DeleteItem
    table: str
    entity: str | None
    params: Mapping[str, ParamPlan]  # in declaration order
    item: tuple[tuple[str, Value], ...]
    key: tuple[tuple[str, Value], ...]
    changes: tuple[tuple[str, Value], ...]
    condition: ConditionPlan | None


@dataclass(frozen=True, slots=True, kw_only=True)
class WhenPlan:
    left: Template
    op: str  # eq | ne
    right: Template


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintainField:
    attribute: str
    op: str  # identity | preview
    length: int | None  # preview length
    input_field: str  # a param name, or "item.<f>"


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintainPlan:
    kind: str  # collection | snapshot | counter
    projection: tuple[MaintainField, ...]
    collection_field: str | None
    counter_attribute: str | None
    counter_delta: Value | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionItemPlan:
    index: int
    type: str  # Put | Update | Delete | ConditionCheck
    table: str
    entity: str | None  # None for literalKey marker rows
    literal_key: bool
    item: tuple[tuple[str, Value], ...]
    key: tuple[tuple[str, Value], ...]
    changes: tuple[tuple[str, Value], ...]
    add: tuple[tuple[str, Value], ...]
    maintain: MaintainPlan | None
    condition: ConditionPlan | None
    for_each: str | None
    when: WhenPlan | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionPlan:
    id: str
    params: Mapping[str, ParamPlan]  # in declaration order
    items: tuple[TransactionItemPlan, ...]
    max_items: int | None


# --- contracts --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ComposeEdgePlan:
    as_: str
    contract: str
    method: str
    #: child key field -> path tokens on the parent record (``()`` is the whole record)
    bind: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryMethodPlan:
    contract: str
    name: str
    operation: str
    resolution: str  # point | range
    input_arity: str | None  # single | either | None
    compose: tuple[ComposeEdgePlan, ...]
    stages: tuple[tuple[int, ...], ...]
    concurrency: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandMethodPlan:
    contract: str
    name: str
    single_mode: str  # op | transaction
    single_target: str
    batch_mode: str | None  # transaction | parallel
    batch_target: str | None
    readback: str | None  # "<C>__<m>__readback" when returnSelection is truthy


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractPlan:
    name: str
    kind: str  # query | command
    methods: Mapping[str, QueryMethodPlan | CommandMethodPlan]


# --- the catalog ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalog:
    """Every plan of one spec, by name. Look-ups with suggestions live in ``catalog.py``."""

    entities: Mapping[str, EntityPlan]
    tables: Mapping[str, TableSchema]
    queries: Mapping[str, QueryPlan]
    commands: Mapping[str, CommandPlan]
    transactions: Mapping[str, TransactionPlan]
    contracts: Mapping[str, ContractPlan]
