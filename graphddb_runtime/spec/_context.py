"""Facts derived once from the raw documents, shared by the semantic rules and the builder.

The context is tolerant: it reads raw JSON defensively and never assumes a shape the schema
did not guarantee. Definitions (an entity, a query, a command, a transaction, a contract) that
carry a shape error are *tainted*: the rules skip them, so no rule runs on data of the wrong type.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from .._dataclass import dataclass, field
from .._values.templates import normalize, parse_template
from ..errors import SpecIssue
from ._literals import COERCED_TYPES
from ._shape import escape, pointer
from .plans import ParamPlan, freeze

__all__ = ["Context", "EntityInfo", "GsiInfo", "OpInfo", "Params", "QueryInfo"]

Params = Mapping[str, ParamPlan]

PARAM_TYPES = ("string", "number", "boolean", "literal", "array")


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(slots=True)
class GsiInfo:
    index_name: str
    pk: str | None
    sk: str | None
    input_fields: tuple[str, ...]
    dependencies: tuple[str, ...]
    position: int


@dataclass(slots=True)
class EntityInfo:
    name: str
    table: str
    key: dict[str, Any] | None
    pk: str | None
    sk: str | None
    gsis: tuple[GsiInfo, ...]
    fields: dict[str, Any]
    raw: dict[str, Any]


@dataclass(slots=True)
class TableInfo:
    name: str
    has_sort_key: bool
    indexes: dict[str, bool]


@dataclass(slots=True)
class OpInfo:
    index: int
    pointer: str
    raw: dict[str, Any]
    type: str | None
    table: str | None
    index_name: str | None
    key_condition: dict[str, Any]
    range: dict[str, Any] | None
    projection: tuple[str, ...]
    result_path: str | None
    tokens: tuple[str, ...] = ()
    parent_tokens: tuple[str, ...] = ()
    property: str | None = None
    connection: bool = False
    path_issue: tuple[str, str] | None = None  # (RL002 | RL004, message)
    node: tuple[str, ...] | None = None  # node path for producer matching (items-stripped)
    producer: int | None = None
    depth: int = 0
    entity: str | None = None  # resolved (section 7.3)


@dataclass(slots=True)
class QueryInfo:
    id: str
    pointer: str
    raw: dict[str, Any]
    params: Params
    many_root: bool
    ops: list[OpInfo] = field(default_factory=list)


class Context:
    """Everything the rules need, computed once per load."""

    def __init__(
        self,
        manifest: dict[str, Any],
        operations: dict[str, Any],
        manifest_file: str,
        operations_file: str,
        shape_issues: list[SpecIssue],
        *,
        unknown_fields: str = "error",
    ) -> None:
        self.manifest = manifest
        self.unknown_fields = unknown_fields  # "error" | "warn": the severity of LD003
        self.operations = operations
        self.manifest_file = manifest_file
        self.operations_file = operations_file
        self._bad: dict[str, tuple[str, ...]] = {}
        for issue in shape_issues:
            self._bad.setdefault(issue.file, ())
            self._bad[issue.file] += (issue.pointer,)
        self.entities: dict[str, EntityInfo] = {}
        self.broken_entities: dict[str, str | None] = {}  # tainted name -> table if readable
        self._read_entities()
        self.tables: dict[str, TableInfo] = {}
        self._derive_tables()
        # (table, index or None, normalized partition template) -> [(entity, sort template)]
        self._by_partition: dict[tuple[str, str | None, str], list[tuple[EntityInfo, str | None]]]
        self._by_partition = {}
        for entity in self.entities.values():
            if entity.pk is not None:
                self._partition(entity.table, None, entity.pk).append((entity, entity.sk))
            for gsi in entity.gsis:
                if gsi.pk is not None:
                    self._partition(entity.table, gsi.index_name, gsi.pk).append((entity, gsi.sk))
        self._memo: dict[str, Any] = {}
        self._param_plans: dict[tuple[Any, ...], ParamPlan] = {}
        self.queries: dict[str, QueryInfo] = {}
        self._read_queries()

    # -- taint -------------------------------------------------------------------------------

    def tainted(self, file: str, ptr: str) -> bool:
        """True when a shape error lies at, inside, or above ``ptr``."""
        bad = self._bad.get(file)
        if not bad:
            return False
        prefix = ptr + "/"
        return any(b == ptr or b.startswith(prefix) or ptr.startswith(b + "/") for b in bad)

    def section(self, name: str) -> list[tuple[str, dict[str, Any], str]]:
        """(id, definition, pointer) of every untainted definition of an operations section."""
        found: list[tuple[str, dict[str, Any], str]] = self.memo(
            f"/{name}",
            lambda: [
                (key, value, ptr)
                for key, value in as_dict(self.operations.get(name)).items()
                if isinstance(value, dict)
                and not self.tainted(self.operations_file, ptr := f"/{name}/{escape(key)}")
            ],
        )
        return found

    @staticmethod
    def at(ptr: str, node: Any, *path: str | int) -> str:
        """``ptr`` extended by as much of ``path`` as exists in ``node``.

        Issues about a missing field point at the object that lacks it, so that every pointer
        resolves in its file.
        """
        for token in path:
            in_list = isinstance(node, list) and isinstance(token, int) and 0 <= token < len(node)
            if not (in_list or (isinstance(node, dict) and token in node)):
                break
            node = node[token]
            ptr += pointer((token,))
        return ptr

    def issue(
        self, ptr: str, message: str, rule: str, *, advisory: bool = False, manifest: bool = False
    ) -> SpecIssue:
        return SpecIssue(
            file=self.manifest_file if manifest else self.operations_file,
            pointer=ptr,
            message=message,
            rule=rule,
            severity="advisory" if advisory else "error",
        )

    # -- manifest ----------------------------------------------------------------------------

    def _read_entities(self) -> None:
        for name, meta in as_dict(self.manifest.get("entities")).items():
            ptr = pointer(("entities", name))
            if not isinstance(meta, dict) or self.tainted(self.manifest_file, ptr):
                table = as_str(meta.get("table")) if isinstance(meta, dict) else None
                self.broken_entities[name] = table or None
                continue
            key = meta.get("key")
            gsis = []
            for position, gsi in enumerate(as_list(meta.get("gsis"))):
                inputs = tuple(as_list(gsi.get("inputFields")))
                deps = list(inputs)
                for template in (gsi.get("pkTemplate"), gsi.get("skTemplate")):
                    if isinstance(template, str):
                        deps.extend(n for n in parse_template(template).names if n not in deps)
                gsis.append(
                    GsiInfo(
                        index_name=gsi["indexName"],
                        pk=gsi.get("pkTemplate"),
                        sk=gsi.get("skTemplate"),
                        input_fields=inputs,
                        dependencies=tuple(deps),
                        position=position,
                    )
                )
            self.entities[name] = EntityInfo(
                name=name,
                table=meta["table"],
                key=key if isinstance(key, dict) else None,
                pk=key["pkTemplate"] if isinstance(key, dict) else None,
                sk=key.get("skTemplate") if isinstance(key, dict) else None,
                gsis=tuple(gsis),
                fields=as_dict(meta.get("fields")),
                raw=meta,
            )

    def _derive_tables(self) -> None:
        for entity in self.entities.values():
            table = self.tables.setdefault(entity.table, TableInfo(entity.table, False, {}))
            if entity.sk is not None:
                table.has_sort_key = True
            for gsi in entity.gsis:
                has_sk = table.indexes.get(gsi.index_name, False)
                table.indexes[gsi.index_name] = has_sk or gsi.sk is not None

    def _partition(
        self, table: str, index: str | None, template: str
    ) -> list[tuple[EntityInfo, str | None]]:
        return self._by_partition.setdefault((table, index, normalize(template)), [])

    def memo(self, key: str, compute: Any) -> Any:
        """Compute once per load (e.g. a filter tree walked by several rules)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def broken(self, entity: Any) -> bool:
        """True when ``entity`` names an entity with a shape error (its rules are skipped)."""
        return isinstance(entity, str) and entity in self.broken_entities

    def table_names(self) -> set[str]:
        """Logical tables, including those of tainted entities (for existence checks)."""
        names = set(self.tables)
        names.update(t for t in self.broken_entities.values() if t)
        return names

    def table_key_attributes(self, table: str) -> tuple[str, ...] | None:
        info = self.tables.get(table)
        if info is None:
            return None
        return ("PK", "SK") if info.has_sort_key else ("PK",)

    def index_key_attributes(self, table: str, index: str) -> tuple[str, ...] | None:
        info = self.tables.get(table)
        if info is None or index not in info.indexes:
            return None
        return (f"{index}PK", f"{index}SK") if info.indexes[index] else (f"{index}PK",)

    def field_types(self, entity: Any, table: Any) -> dict[str, str]:
        """Field -> ``number`` | ``boolean`` of ``entity`` when it lives on ``table`` (the fields
        whose placeholder-free literals are typed, section 3.4); key attributes never are."""
        info = self.entities.get(entity) if isinstance(entity, str) else None
        if info is None or info.table != table:
            return {}

        def compute() -> dict[str, str]:
            keys = self.key_attribute_names(table)
            return {
                name: kind
                for name, meta in info.fields.items()
                if (kind := as_dict(meta).get("type")) in COERCED_TYPES and name not in keys
            }

        found: dict[str, str] = self.memo(f"#types/{entity}", compute)
        return found

    def key_attribute_names(self, table: str | None) -> set[str]:
        """PK, SK and the key attributes of every index of ``table``."""
        names = {"PK", "SK"}
        info = self.tables.get(table) if table is not None else None
        if info is not None:
            for index in info.indexes:
                names.update((f"{index}PK", f"{index}SK"))
        return names

    # -- params ------------------------------------------------------------------------------

    def params(self, ptr: str, definition: dict[str, Any]) -> Params:
        """The params of the definition at ``ptr``, parsed once per load (plans reuse them)."""
        parsed: Params = self.memo(
            f"{ptr}/params", lambda: self.read_params(definition.get("params"))
        )
        return parsed

    def read_params(self, raw: Any) -> Params:
        out: dict[str, ParamPlan] = {}
        for name, raw_spec in as_dict(raw).items():
            spec = as_dict(raw_spec)
            kind = spec.get("type")
            element = spec.get("element")
            if kind == "array" and isinstance(element, dict):
                out[name] = ParamPlan(
                    name=name,
                    type="array",
                    required=spec.get("required") is True,
                    element=self.read_params(element),
                )
                continue
            literals = spec.get("literals")
            key = (name, kind, spec.get("required") is True, repr(literals))
            plan = self._param_plans.get(key)
            if plan is None:
                # Frozen, so generated specs' many identical param specs share one plan.
                plan = self._param_plans[key] = ParamPlan(
                    name=name,
                    type=kind if kind in PARAM_TYPES else "string",
                    required=key[2],
                    literals=tuple(freeze(v) for v in literals)
                    if isinstance(literals, list)
                    else (),
                )
            out[name] = plan
        return MappingProxyType(out)

    # -- queries -----------------------------------------------------------------------------

    def _read_queries(self) -> None:
        for qid, spec, qptr in self.section("queries"):
            ops_raw = spec["operations"]
            root = ops_raw[0]
            many_root = root.get("type") == "Query" and spec.get("cardinality", "many") == "many"
            query = QueryInfo(qid, qptr, spec, self.params(qptr, spec), many_root)
            for index, raw in enumerate(ops_raw):
                query.ops.append(self._read_op(qptr, index, raw))
            self._link_relations(query)
            for op in query.ops:
                self._infer_entity(op)
            self.queries[qid] = query

    def _read_op(self, qptr: str, index: int, raw: dict[str, Any]) -> OpInfo:
        rng = raw.get("rangeCondition")
        projection = raw.get("projection")
        return OpInfo(
            index=index,
            pointer=f"{qptr}/operations/{index}",
            raw=raw,
            type=as_str(raw.get("type")),
            table=as_str(raw.get("tableName")),
            index_name=as_str(raw.get("indexName")),
            key_condition=as_dict(raw.get("keyCondition")),
            range=rng if isinstance(rng, dict) else None,
            projection=tuple(p for p in as_list(projection) if isinstance(p, str)),
            result_path=as_str(raw.get("resultPath")),
        )

    def _link_relations(self, query: QueryInfo) -> None:
        """Tokens, producers and depth of relation ops (sections 16.1 to 16.3)."""
        written: dict[tuple[str, ...], int] = {(): 0}
        for op in query.ops[1:]:
            path = op.result_path
            tokens = tuple(path[2:].split(".")) if path and path.startswith("$.") else ()
            connection = bool(tokens) and tokens[-1] == "items"
            if path is None:
                op.path_issue = ("RL002", "relation operation needs 'resultPath'")
                continue
            if not tokens or "" in tokens or (connection and len(tokens) < 2):
                op.path_issue = ("RL002", f"malformed resultPath {path!r}")
                continue
            cut = 2 if connection else 1
            op.tokens, op.connection = tokens, connection
            op.property, op.parent_tokens = tokens[-cut], tokens[:-cut]
            op.depth = sum(1 for t in tokens if t != "items")
            parent, node = op.parent_tokens, tokens
            if query.many_root:
                if tokens[0] != "items" or len(tokens) < 2:
                    op.path_issue = (
                        "RL004",
                        f"a relation path on a 'many' root must start with 'items', got {path!r}",
                    )
                    continue
                parent, node = parent[1:], tokens[1:]
            elif tokens[0] == "items":
                op.path_issue = ("RL004", f"only a 'many' root has 'items'; {path!r} has no parent")
                continue
            producer = written.get(parent)
            if producer is None:
                op.path_issue = ("RL004", f"no earlier operation produces {path!r}")
                continue
            op.producer = producer
            op.node = node
            written.setdefault(node, op.index)

    # -- entity inference (section 7.3) ------------------------------------------------------

    def _infer_entity(self, op: OpInfo) -> None:
        declared = op.raw.get("entity")
        if isinstance(declared, str):
            entity = self.entities.get(declared)
            op.entity = declared if entity is not None and entity.table == op.table else None
            return
        if op.table is None:
            return
        exact: list[EntityInfo] = []
        partition: list[EntityInfo] = []
        for entity, kind in self._matches(op):
            (exact if kind == "exact" else partition).append(entity)
        if len(exact) == 1:
            op.entity = exact[0].name
            return
        pool = exact or partition
        narrowed = [e for e in pool if all(f in e.fields for f in op.projection)]
        if narrowed:
            pool = narrowed
        if len(pool) == 1:
            op.entity = pool[0].name

    def _matches(self, op: OpInfo) -> Iterator[tuple[EntityInfo, str]]:
        """Each entity whose key (or first matching GSI) fits the op, with the match kind."""
        assert op.table is not None
        prefix = "" if op.index_name is None else op.index_name
        pk_attr, sk_attr = f"{prefix}PK", f"{prefix}SK"
        op_pk = op.key_condition.get(pk_attr)
        if not isinstance(op_pk, str):
            return
        sk_eq = op.key_condition.get(sk_attr)
        rng = op.range if op.range is not None and op.range.get("key") == sk_attr else None
        seen: set[str] = set()
        for entity, ent_sk in self._by_partition.get(
            (op.table, op.index_name, normalize(op_pk)), []
        ):
            if entity.name in seen:
                continue  # the first matching GSI of an entity wins
            kind: str | None = "partition"
            if sk_attr in op.key_condition:
                equal = isinstance(sk_eq, str) and ent_sk is not None
                kind = "exact" if equal and normalize(ent_sk) == normalize(sk_eq) else None
            elif rng is not None:
                fits = ent_sk is not None and ent_sk.startswith(_range_prefix(rng.get("value")))
                kind = "exact" if fits else None
            if kind is not None:
                seen.add(entity.name)
                yield entity, kind


def _range_prefix(value: Any) -> str:
    """Literal text before the first placeholder; for ``between``, the common prefix."""
    if isinstance(value, list):
        prefixes = [_range_prefix(v) for v in value]
        if not prefixes:
            return ""
        common = prefixes[0]
        for other in prefixes[1:]:
            while not other.startswith(common):
                common = common[:-1]
        return common
    if isinstance(value, str):
        return parse_template(value).prefix
    return ""
