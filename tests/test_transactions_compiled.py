"""Generated transaction code against the interpreted reference (``transactions.compile``,
``transactions.validate``).

Every transaction is compiled once per runtime into Python source: a parameter validator and one
function per spec item. These tests run a matrix of item shapes and of params (valid, unbound,
non-text, empty, non-ASCII, unsupported, ``str`` subclasses, non-dict mappings) through both the
generated functions and the interpreted builders, and require the same outcome: the same built
items (compared by ``repr``, so dict key order and number types count) or the same exception
type and message. The public-API tests of ``test_transactions.py`` pin the contract itself.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterator
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest

from graphddb_runtime import GraphDDBRuntime, RuntimeLimits
from graphddb_runtime._bind.params import validate_params
from graphddb_runtime._execute.engine import Engine
from graphddb_runtime._execute.transactions.execute import build_transaction, collapse, preflight
from graphddb_runtime._execute.transactions.items import (
    compiled,
    expand,
    expand_interpreted,
    source_of,
)
from graphddb_runtime._values.codec import item_size
from graphddb_runtime.demo import example_spec

from ._fake_dynamo import FakeDynamo

TABLES = {"T": "t-prod", "U": "u-prod"}  # the logical tables of ENTITIES (section 15.6)
S = {"type": "string", "required": True}
S_OPT = {"type": "string"}
ANY_OPT: dict[str, Any] = {}  # no type: validated as a string (advisory PA002)
EVIL = 'x"); raise SystemExit("pwned'  # must never become code

ENTITIES: dict[str, Any] = {
    "Member": {
        "table": "T",
        "key": {"pkTemplate": "GROUP#{groupId}", "skTemplate": "USER#{userId}"},
        "gsis": [
            {"indexName": "GSI1", "pkTemplate": "USER#{userId}", "skTemplate": "GROUP#{groupId}"},
            {"indexName": "GSI2", "pkTemplate": "TEAM#{team}", "skTemplate": "{rank}"},
            {"indexName": "GSI3", "pkTemplate": "ORG#{org}#{groupId}"},
            {"indexName": "GSI4", "pkTemplate": "{userId}", "skTemplate": "FIXED"},
        ],
        "fields": {"groupId": {}, "userId": {}, "role": {}, "team": {}, "rank": {}, "org": {}},
    },
    "Whole": {
        "table": "T",
        "key": {"pkTemplate": "{id}", "skTemplate": "{sk}"},
        "gsis": [{"indexName": "GSI1", "pkTemplate": "{id}", "skTemplate": "{tag}"}],
        "fields": {"id": {}, "sk": {}, "tag": {}},
    },
    "Clash": {
        "table": "T",
        "key": {"pkTemplate": "C#{id}", "skTemplate": "META"},
        "gsis": [{"indexName": "GSI1", "pkTemplate": "C#{id}", "skTemplate": "{id}"}],
        "fields": {"id": {}, "PK": {}, "GSI1PK": {}},
    },
    "Solo": {"table": "U", "key": {"pkTemplate": "SOLO#{id}"}, "fields": {"id": {}}},
    "Group": {
        "table": "T",
        "key": {"pkTemplate": "GROUP#{groupId}", "skTemplate": "META"},
        "fields": {"groupId": {}, "count": {}},
    },
}

MEMBERS = {
    "type": "array",
    "required": True,
    "element": {
        "userId": S,
        "role": S_OPT,
        "team": ANY_OPT,
        "rank": {"type": "number"},
        "id": S_OPT,
        "free": S_OPT,
    },
}
PARAMS = {
    "groupId": S,
    "joinedAt": S_OPT,
    "org": S_OPT,
    "n": {"type": "number"},
    "flag": {"type": "boolean"},
    "kind": {"type": "literal", "literals": ["a", 1, True]},
    "sk": {"type": "number"},
    "members": MEMBERS,
}


def _put(entity: str, item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    table = ENTITIES[entity]["table"] if entity in ENTITIES else "T"
    return {"type": "Put", "tableName": table, "entity": entity, "item": item, **extra}


EACH = {"forEach": {"source": "members"}}
NOT_EMPTY = {"when": {"left": "{item.role}", "op": "ne", "right": ""}}
NOT_EXISTS = {"condition": {"kind": "notExists"}}
ROW = {
    "groupId": "{groupId}",
    "userId": "{item.userId}",
    "role": "{item.role}",
    "joinedAt": "{joinedAt}",
}

#: name -> spec items; each runs with every params variant below.
SHAPES: dict[str, list[dict[str, Any]]] = {
    "add-members": [
        _put("Member", ROW, **EACH, **NOT_EMPTY, **NOT_EXISTS),
        {
            "type": "Update",
            "tableName": "T",
            "entity": "Group",
            "keyCondition": {"PK": "GROUP#{groupId}", "SK": "META"},
            "add": {"count": "1"},
            **EACH,
            **NOT_EMPTY,
        },
    ],
    "sparse-gsis-from-element-and-params": [
        _put("Member", {"groupId": "{groupId}", "userId": "{item.userId}"}, **EACH),
    ],
    "typed-and-mixed-fields": [
        _put(
            "Member",
            {
                "groupId": "G-{groupId}-{n}",
                "userId": "{item.userId}",
                "n": "{n}",
                "flag": "{flag}",
                "label": "{item.userId}/{flag}/{n}",
                "empty": "",
                "fixed": "text",
                "count": 3,
                "ratio": 1.5,
                "yes": True,
                "none": None,
                "list": [1, "a", {"b": None}],
                "map": {"k": [True]},
                "free": "{item.free}",
                "freeText": "F{item.free}",
            },
            **EACH,
            when={"left": "{flag}", "op": "eq", "right": "true"},
        ),
    ],
    "when-eq-mixed": [
        _put(
            "Member",
            {"groupId": "{groupId}", "userId": "{item.userId}", "role": "{item.role}"},
            **EACH,
            when={"left": "{item.role}:{n}", "op": "eq", "right": "admin:{n}"},
        ),
    ],
    "whole-keys-typed": [
        _put("Whole", {"id": "{item.rank}", "sk": "{n}", "tag": "{item.team}"}, **EACH),
        _put("Whole", {"id": "{item.free}", "sk": "{item.userId}", "tag": "{item.free}"}, **EACH),
    ],
    "whole-keys-from-environment": [
        _put("Whole", {"tag": "{item.team}"}, **EACH),
    ],
    "literal-key": [
        _put("__marker__", {"PK": "U#{item.userId}", "SK": "{item.team}", "n": "{n}"}, **EACH)
        | {"literalKey": True},
        _put("__marker__", {"PK": "X#{groupId}", "SK": 7}) | {"literalKey": True},
    ],
    "literal-key-empty-and-typed": [
        _put("__marker__", {"PK": "{item.role}", "SK": "{item.rank}"}, **EACH)
        | {"literalKey": True},
        _put("__marker__", {"PK": "K{item.role}", "SK": "{item.free}"}, **EACH)
        | {"literalKey": True, "when": {"left": "{item.free}", "op": "ne", "right": "x"}},
    ],
    "clash-overwrites-in-place": [
        _put("Clash", {"PK": "mine", "id": "{item.userId}", "GSI1PK": "{item.role}"}, **EACH),
    ],
    "no-sort-key-table": [
        _put("Solo", {"id": "{item.userId}", "v": "{item.rank}"}, **EACH, **NOT_EXISTS),
    ],
    "conditions-with-values": [
        _put(
            "Member",
            {"groupId": "{groupId}", "userId": "{item.userId}"},
            **EACH,
            condition={
                "kind": "raw",
                "expression": "#cr_r <> :cr0 AND #cr_n < :cr1 AND #cr_o = :cr2",
                "names": {"#cr_r": "role", "#cr_n": "n", "#cr_o": "org"},
                "values": {
                    ":cr0": {"$param": "item.role"},
                    ":cr1": {"$param": "n"},
                    ":cr2": 5,
                },
            },
        ),
        _put(
            "Member",
            {"groupId": "{groupId}-eq", "userId": "{item.userId}"},
            **EACH,
            condition={"kind": "equals", "fields": {"role": "{item.role}", "n": "{n}", "o": 3}},
        ),
    ],
    "without-for-each": [
        _put("Member", {"groupId": "{groupId}", "userId": "{org}", "team": "{joinedAt}"}),
        _put(
            "Member",
            {"groupId": "{groupId}", "userId": "U{org}"},
            when={"left": "{org}", "op": "ne", "right": "skip"},
        ),
    ],
    "delete-and-check-per-element": [
        {
            "type": "Delete",
            "tableName": "T",
            "entity": "Member",
            "keyCondition": {"PK": "GROUP#{groupId}", "SK": "USER#{item.userId}"},
            **EACH,
        },
        {
            "type": "ConditionCheck",
            "tableName": "T",
            "entity": "Group",
            "keyCondition": {"PK": "GROUP#{groupId}", "SK": "META"},
            "condition": {"kind": "attributeExists", "field": "PK"},
            **EACH,
        },
    ],
    "updates-per-element": [
        {
            "type": "Update",
            "tableName": "T",
            "entity": "Member",
            "keyCondition": {"PK": "GROUP#{groupId}", "SK": "USER#{item.userId}"},
            "changes": {"role": "{item.role}", "level": "{item.rank}", "note": "n-{n}"},
            "add": {"visits": "{n}", "score": 2, "half": 0.5},
            "condition": {
                "kind": "raw",
                "expression": "#cr_r <> :cr0",
                "names": {"#cr_r": "role"},
                "values": {":cr0": {"$param": "item.role"}},
            },
            **EACH,
        },
        {
            "type": "Update",
            "tableName": "T",
            "entity": "Group",
            "keyCondition": {"PK": "GROUP#{groupId}", "SK": "META"},
            "changes": {"name": "{org}"},
            **EACH,
        },
        {
            "type": "ConditionCheck",
            "tableName": "T",
            "entity": "Member",
            "keyCondition": {"PK": "GROUP#{groupId}", "SK": "{item.userId}{item.role}"},
            "condition": {"kind": "equals", "fields": {"team": "{item.team}", "rank": "{n}"}},
            **EACH,
        },
    ],
    "update-unserializable-constant-delta": [
        {
            "type": "Update",
            "tableName": "T",
            "entity": "Group",
            "keyCondition": {"PK": "GROUP#{groupId}", "SK": "META"},
            "add": {"count": 10**40},  # valid JSON, but more than 38 digits
            **EACH,
            **NOT_EMPTY,
        },
    ],
    "updates-interpreted": [
        {
            "type": "Update",
            "tableName": "T",
            "entity": "Member",
            "keyCondition": {"PK": "GROUP#{groupId}", "SK": "USER#{item.userId}"},
            "changes": {"team": "{item.team}"},
            **EACH,
        },
        {
            "type": "Update",
            "tableName": "T",
            "entity": "Group",
            "keyCondition": {"PK": "GROUP#{groupId}", "SK": "META"},
            "maintain": {"kind": "counter", "counter": {"attribute": "count", "delta": 1}},
            **EACH,
        },
    ],
    "swap-same-row": [
        {
            "type": "Delete",
            "tableName": "T",
            "entity": "Member",
            "keyCondition": {"PK": "GROUP#{groupId}", "SK": "USER#{org}"},
        },
        _put("Member", {"groupId": "{groupId}", "userId": "{item.userId}"}, **EACH),
    ],
    "evil-strings-stay-data": [
        _put(
            "Member",
            {"groupId": "{groupId}", "userId": "{item.userId}", EVIL: EVIL + "\n{item.role}"},
            **EACH,
            when={"left": "{item.role}", "op": "ne", "right": EVIL},
        ),
    ],
}


class Odd(str):
    """A ``str`` subclass: accepted as a string param, but never on the fast paths."""


def _member(i: int) -> dict[str, Any]:
    return {
        "userId": f"u{i}",
        "role": "member",
        "team": f"t{i % 2}",
        "rank": i,
        "id": f"i{i}",
        "free": f"f{i}",
    }


BASE: dict[str, Any] = {
    "groupId": "eng",
    "joinedAt": "2024-05-01",
    "org": "acme",
    "n": 7,
    "flag": True,
    "kind": "a",
    "sk": 3,
    "members": [_member(i) for i in range(3)],
}

UNUSUAL: list[Any] = [None, "", "é-ü", Odd("odd"), 0, 12, -1.5, Decimal("2.50"), False, {1, 2}]
#: Only the expansion sees these (validation would reject most of them): both
#: implementations must still agree on any input.
FREE: list[Any] = [
    *UNUSUAL,
    float("nan"),
    Decimal("Infinity"),
    10**40,
    b"",
    b"\x00b",
    ["x", 1],
    {"k": "v"},
    object(),
    Decimal("-0"),
    1e21,
    True,
    "x",
]


def variants() -> Iterator[tuple[str, dict[str, Any]]]:
    """Valid params, then one value changed at a time (top level and inside elements)."""
    yield "base", BASE
    yield "no-members", {**BASE, "members": []}
    yield (
        "mapping-proxy-elements",
        {
            **BASE,
            "members": [MappingProxyType(m) for m in BASE["members"]],
        },
    )
    yield "tuple-members", {**BASE, "members": tuple(BASE["members"])}
    yield "unknown-param", {**BASE, "extra": 1}
    yield "params-not-a-mapping", ["groupId"]  # type: ignore[misc]
    yield "members-not-a-list", {**BASE, "members": "u1"}
    yield "element-not-a-mapping", {**BASE, "members": [_member(0), "u1"]}
    for name in ("groupId", "joinedAt", "org", "n", "flag", "kind", "sk"):
        for i, value in enumerate(UNUSUAL):
            yield f"{name}={i}", {**BASE, name: value}
        missing = dict(BASE)
        del missing[name]
        yield f"{name}-absent", missing
    for field in ("userId", "role", "team", "rank", "id"):
        for i, value in enumerate(UNUSUAL):
            members = copy.deepcopy(BASE["members"])
            members[1][field] = value
            yield f"members[1].{field}={i}", {**BASE, "members": members}
        members = copy.deepcopy(BASE["members"])
        del members[1][field]
        yield f"members[1].{field}-absent", {**BASE, "members": members}
    for i, value in enumerate(FREE):
        members = [dict(m) for m in BASE["members"]]
        members[1]["free"] = value
        yield f"members[1].free={i}", {**BASE, "members": members}
        yield f"members[*].free={i}", {**BASE, "members": [{**m, "free": value} for m in members]}


def _runtime(items: list[dict[str, Any]]) -> GraphDDBRuntime:
    manifest = {"entities": copy.deepcopy(ENTITIES)}
    operations = {"transactions": {"t": {"params": PARAMS, "items": copy.deepcopy(items)}}}
    return GraphDDBRuntime(object(), manifest, operations, table_mapping=TABLES)


def _engine(runtime: GraphDDBRuntime) -> Engine:
    engine: Engine = runtime._engine  # white-box: compared with the reference
    return engine


def outcome(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """``repr`` of ``fn(*args, **kwargs)`` (values, types and dict key order) or of the
    exception it raised."""
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:  # the exception is the outcome being compared
        return f"raised {type(exc).__name__}: {exc}"
    return repr(result)


def _items(built: list[Any]) -> list[Any]:
    return [(b.type, b.body, b.target, b.origin, b.actions) for b in built]


def generated(engine: Engine, plan: Any, params: Any, *, compact: bool = False) -> list[Any]:
    built = expand(engine, plan, params, compact=compact)
    return _items(collapse(built, plan.id) if compact else built)


def interpreted(engine: Engine, plan: Any, params: Any, *, compact: bool = False) -> list[Any]:
    built = expand_interpreted(engine, plan, params)
    return _items(collapse(built, plan.id) if compact else built)


@pytest.fixture(scope="module", params=sorted(SHAPES))
def shape(request: pytest.FixtureRequest) -> tuple[str, GraphDDBRuntime]:
    return request.param, _runtime(SHAPES[request.param])


def test_generated_items_match_the_interpreted_builders(
    shape: tuple[str, GraphDDBRuntime],
) -> None:
    _, runtime = shape
    engine = _engine(runtime)
    plan = engine.catalog.transactions["t"]
    compared = 0
    for name, params in variants():
        ours = outcome(generated, engine, plan, params)
        assert ours == outcome(interpreted, engine, plan, params), name
        ours = outcome(generated, engine, plan, params, compact=True)
        reference = outcome(interpreted, engine, plan, params, compact=True)
        assert ours == reference, f"{name} (compact, collapsed)"
        compared += 1
    assert compared > 100


def test_sizes_computed_while_building_are_exact(shape: tuple[str, GraphDDBRuntime]) -> None:
    _, runtime = shape
    engine = _engine(runtime)
    plan = engine.catalog.transactions["t"]
    for _, params in variants():
        try:
            built = expand(engine, plan, params)
        except Exception:  # errors are compared in the test above
            continue
        for item in built:
            body = item.body
            exact = item_size(body["Item"] if "Item" in body else body["Key"])
            exact += item_size(body.get("ExpressionAttributeValues", {}))
            assert item.size in (-1, exact)


def test_compiled_validator_matches_validate_params(shape: tuple[str, GraphDDBRuntime]) -> None:
    _, runtime = shape
    engine = _engine(runtime)
    plan = engine.catalog.transactions["t"]
    validate = compiled(engine, plan).validate
    for name, params in variants():
        assert outcome(validate, params) == outcome(validate_params, "t", params, plan.params), name


@pytest.mark.parametrize("user", ["user{i}", "user-é{i}"], ids=["ascii", "non-ascii"])
def test_sized_preflight_equals_the_computed_one(user: str) -> None:
    manifest, operations = example_spec()
    mapping = {"AppTable": "app-prod"}
    runtime = GraphDDBRuntime(object(), manifest, operations, table_mapping=mapping)
    engine = _engine(runtime)
    plan = engine.catalog.transactions["addMembers"]
    members = [{"userId": user.format(i=i), "role": "member"} for i in range(40)]
    items = build_transaction(
        engine, plan, {"groupId": "g", "joinedAt": "2024-05-01", "members": members}
    )
    # non-ASCII text is left to the pre-flight (which raises on text that cannot be encoded)
    assert all((item.size > 0) == user.isascii() for item in items[:-1])  # the Puts
    total = sum(item_size(i.body.get("Item", i.body.get("Key"))) for i in items)
    total += sum(item_size(i.body.get("ExpressionAttributeValues", {})) for i in items)
    for limit in range(total - 50, total + 50):
        limits = RuntimeLimits(max_transaction_bytes=limit)
        sized = outcome(preflight, plan, items, limits, sized=True)
        assert sized == outcome(preflight, plan, items, limits)
        assert ("exceeds max_transaction_bytes" in sized) == (limit < total)


def test_evil_strings_reach_the_request_but_never_the_source() -> None:
    runtime = _runtime(SHAPES["evil-strings-stay-data"])
    engine = _engine(runtime)
    plan = engine.catalog.transactions["t"]
    built = expand(engine, plan, BASE)
    assert built[0].body["Item"][EVIL] == {"S": EVIL + "\nmember"}
    for source in compiled(engine, plan).sources:
        assert "pwned" not in source.text
    listing = source_of(engine, "t")
    assert "def item(params, out, compact):" in listing
    assert "def validate(params):" in listing


def test_compact_expansion_counts_copies_instead_of_building_them() -> None:
    runtime = _runtime(SHAPES["add-members"])
    engine = _engine(runtime)
    plan = engine.catalog.transactions["t"]
    params = {**BASE, "members": [_member(i) for i in range(5)]}
    full = expand(engine, plan, params)
    compact = expand(engine, plan, params, compact=True)
    assert [b.copies for b in full] == [1] * 10
    assert [b.copies for b in compact] == [1] * 5 + [5]
    assert [b.origin for b in full[5:]] == [(1, i) for i in range(5)]
    merged = collapse(compact, plan.id)[-1]
    assert merged.copies == 1
    assert merged.body["ExpressionAttributeValues"] == {":a0": {"N": "5"}}


def test_the_worked_example_runs_on_the_generated_code() -> None:
    manifest, operations = example_spec()
    client = FakeDynamo()  # no tables: TransactWriteItems is recorded, never applied
    runtime = GraphDDBRuntime(client, manifest, operations, table_mapping={"AppTable": "p"})
    members = [{"userId": f"u{i}", "role": r} for i, r in zip(range(4), itertools.cycle(["a", ""]))]
    runtime.execute_transaction(
        "addMembers", {"groupId": "eng", "joinedAt": "2024-05-01", "members": members}
    )
    [request] = client.requests("transact_write_items")
    items = request["TransactItems"]
    assert [next(iter(i)) for i in items] == ["Put", "Put", "Update"]
    assert items[-1]["Update"]["ExpressionAttributeValues"] == {":a0": {"N": "2"}}
