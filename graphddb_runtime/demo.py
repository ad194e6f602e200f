"""``graphddb-runtime demo``: the worked example (docs/format.md section 43) on embedded DynamoDB.

Starts moto's DynamoDB in process (the demo extra: ``pip install 'graphddb-runtime[demo]'``),
creates the tables the bundled manifest needs, seeds the rows of section 43.3, and runs every
access pattern, printing a one-line request summary and the result.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

from ._execute.engine import Engine
from ._execute.transactions.execute import build_transaction
from ._execute.writes import build_command_request
from ._values.codec import to_jsonable
from .errors import GraphDDBError, TransactionCanceledError
from .local import create_tables
from .runtime import GraphDDBRuntime

__all__ = ["SEED", "example_spec", "run_demo", "seed"]

TABLE = "app-demo"
SEED: list[dict[str, Any]] = [
    {
        "PK": "USER#alice",
        "SK": "PROFILE",
        "GSI1PK": "EMAIL#alice@example.com",
        "GSI1SK": "PROFILE",
        "userId": "alice",
        "name": "Alice",
        "email": "alice@example.com",
        "status": "active",
        "createdAt": "2023-11-20T08:00:00.000Z",
    },
    {"PK": "GROUP#eng", "SK": "META", "groupId": "eng", "name": "Engineering", "memberCount": 2},
    {"PK": "GROUP#ops", "SK": "META", "groupId": "ops", "name": "Operations", "memberCount": 5},
    {
        "PK": "GROUP#eng",
        "SK": "USER#alice",
        "GSI1PK": "USER#alice",
        "GSI1SK": "GROUP#eng",
        "groupId": "eng",
        "userId": "alice",
        "role": "admin",
        "joinedAt": "2024-03-01T09:30:00.000Z",
    },
    {
        "PK": "GROUP#ops",
        "SK": "USER#alice",
        "GSI1PK": "USER#alice",
        "GSI1SK": "GROUP#ops",
        "groupId": "ops",
        "userId": "alice",
        "role": "member",
        "joinedAt": "2024-04-01T00:00:00.000Z",
    },
    {
        "PK": "GROUP#eng",
        "SK": "USER#bob",
        "GSI1PK": "USER#bob",
        "GSI1SK": "GROUP#eng",
        "groupId": "eng",
        "userId": "bob",
        "role": "member",
        "joinedAt": "2024-03-02T00:00:00.000Z",
    },
    {
        "PK": "GROUP#eng",
        "SK": "PERM#codebase#read",
        "groupId": "eng",
        "resource": "codebase",
        "action": "read",
    },
    {
        "PK": "GROUP#eng",
        "SK": "PERM#codebase#write",
        "groupId": "eng",
        "resource": "codebase",
        "action": "write",
    },
]
MEMBERS = {"groupId": "eng", "joinedSince": "2024-01-01T00:00:00.000Z"}
QUERIES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("getUser", {"userId": "alice"}, {}),
    ("getUserByEmail", {"email": "alice@example.com"}, {}),
    ("listGroupMembers", MEMBERS, {"limit": 1}),
    ("listUserGroups", {"userId": "alice"}, {}),
    ("getGroup", {"groupId": "eng"}, {"numbers": "native"}),
    ("getUserAccess", {"userId": "alice"}, {}),
]
COMMANDS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "createUser",
        {
            "userId": "u1",
            "name": "Ada",
            "email": "ada@example.com",
            "createdAt": "2024-01-02T03:04:05.000Z",
        },
        {},
    ),
    (
        "placeOrder",
        {
            "orderId": "o1",
            "tenantId": "t1",
            "userId": "u1",
            "total": 99.5,
            "createdAt": "2024-06-01T12:00:00.000Z",
        },
        {},
    ),
    (
        "setOrderStatus",
        {"orderId": "o1", "tenantId": "t1", "status": "SHIPPED"},
        {"returnValues": "ALL_NEW"},
    ),
    ("raiseOrderTotal", {"orderId": "o1", "total": 120}, {}),
    ("removeMember", {"groupId": "eng", "userId": "bob"}, {}),
]


W = 24  # name column width
JOIN = {"groupId": "eng", "joinedAt": "2024-05-01T00:00:00.000Z"}
TRANSACTIONS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "addMembers",
        {
            **JOIN,
            "members": [
                {"userId": "carol", "role": "member"},
                {"userId": "dan", "role": ""},
                {"userId": "erin", "role": "admin"},
            ],
        },
        {},
    ),
    (
        "addMemberIfGroupExists",
        {"groupId": "ghost", "userId": "frank", "role": "member", "joinedAt": JOIN["joinedAt"]},
        {"idempotencyToken": "req-7f3a"},
    ),
    (
        "addMemberIfGroupExists",
        {"groupId": "eng", "userId": "frank", "role": "member", "joinedAt": JOIN["joinedAt"]},
        {"idempotencyToken": "req-7f3b"},
    ),
]


#: Contract methods: ``(contract, method, key_or_keys, params)``.
CONTRACTS: list[tuple[str, str, Any, dict[str, Any] | None]] = [
    ("GroupById", "get", {"groupId": "eng"}, None),
    ("GroupById", "get", [{"groupId": "eng"}, {"groupId": "nope"}, {"groupId": "eng"}], None),
]


def example_spec() -> tuple[dict[str, Any], dict[str, Any]]:
    """The bundled worked example: (manifest, operations)."""
    folder = resources.files("graphddb_runtime").joinpath("example")

    def load(name: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(
            folder.joinpath(f"{name}.json").read_text(encoding="utf-8")
        )
        return document

    return load("manifest"), load("operations")


def _summary(request: Mapping[str, Any]) -> str:
    """``app-demo PK=USER#alice SK=PROFILE`` and the like: the target and its key."""
    key = request.get("Key") or request.get("ExclusiveStartKey") or {}
    if "Item" in request:
        key = {a: request["Item"][a] for a in ("PK", "SK") if a in request["Item"]}
    if "KeyConditionExpression" in request:
        names, values = request["ExpressionAttributeNames"], request["ExpressionAttributeValues"]
        text = request["KeyConditionExpression"]
        for alias in sorted(names, key=len, reverse=True):
            text = text.replace(alias, names[alias])
        for alias in sorted(values, key=len, reverse=True):
            text = text.replace(alias, repr(next(iter(values[alias].values()))))
        index = f" index {request['IndexName']}" if "IndexName" in request else ""
        return f"{request['TableName']}{index} {text}"
    shown = " ".join(f"{a}={next(iter(v.values()))}" for a, v in key.items())
    return f"{request.get('TableName', '')} {shown}".strip()


def _stages(plan: Mapping[str, Any]) -> str:
    """``then [Query GSI1 -> $.groups.items] then [BatchGetItem -> ..., Query -> ...]``."""
    ops = plan["operations"]
    shown = []
    for group in plan["executionPlan"]["groups"]:
        legs = [ops[i] for i in group if i != 0]
        if legs:
            text = ", ".join(f"{op['type']} -> {op['resultPath']}" for op in legs)
            shown.append(f"[{text}]")
    bound = plan["executionPlan"]["concurrency"]
    return "then " + " then ".join(shown) + f" (at most {bound} requests in flight)"


def run_demo(out: Callable[[str], None] = print) -> int:
    """Run the demo; returns a process exit code."""
    try:
        import boto3  # noqa: PLC0415
        from moto import mock_aws  # noqa: PLC0415
    except ImportError:
        out("the demo needs moto: pip install 'graphddb-runtime[demo]'")
        return 2
    manifest, operations = example_spec()
    mapping = {"AppTable": TABLE}
    with mock_aws():
        client = boto3.client(
            "dynamodb",
            region_name="us-east-1",
            aws_access_key_id="demo",
            aws_secret_access_key="demo",
        )
        create_tables(client, manifest, mapping)
        seed(client, TABLE)
        runtime = GraphDDBRuntime(client, manifest, operations, table_mapping=mapping)
        engine: Engine = runtime._engine
        out(f"embedded DynamoDB (moto): table {TABLE} seeded with {len(SEED)} rows\n")
        for name, params, options in QUERIES:
            explained = runtime.explain(name, params, options)
            first = explained["operations"][0]
            out(f"{name:<{W}}{first['type']:<13}{_summary(first['request'])}")
            if len(explained["operations"]) > 1:
                out(f"{'':<{W}}{_stages(explained)}")
            out(f"{'':<{W}}-> {_show(runtime.execute_query, name, params, options)}")
        for name, params, options in COMMANDS:
            plan = engine.catalog.commands[name]
            request = build_command_request(engine, plan, params, options.get("returnValues"))
            out(f"{name:<{W}}{plan.type:<13}{_summary(request)}")
            out(f"{'':<{W}}-> {_show(runtime.execute_command, name, params, options)}")
        for name, params, options in TRANSACTIONS:
            transaction = engine.catalog.transactions[name]
            items = build_transaction(engine, transaction, params)
            out(f"{name:<{W}}{'Transact':<13}{len(items)} item(s), atomic")
            for item in items:
                out(f"{'':<{W + 2}}{item.type:<15}{_summary(item.body)}")
            out(f"{'':<{W}}-> {_show(_transact(runtime), name, params, options)}")
        for contract, method, keys, method_params in CONTRACTS:
            name = f"{contract}.{method}"
            shape = f"{len(keys)} keys" if isinstance(keys, list) else json.dumps(keys)
            read = "BatchGetItem" if isinstance(keys, list) else "GetItem"
            out(f"{name:<{W}}{read:<13}{shape}")
            shown = _show(runtime.execute_query_method, contract, method, keys, method_params)
            out(f"{'':<{W}}-> {shown}")
        created = runtime.execute_query("getUser", {"userId": "u1"})
        out(f"\nread back after createUser: {json.dumps(to_jsonable(created))}")
        group = runtime.execute_query("getGroup", {"groupId": "eng"}, {"numbers": "native"})
        out(f"read back after addMembers: {json.dumps(to_jsonable(group))}")
    return 0


def _transact(runtime: GraphDDBRuntime) -> Callable[..., Any]:
    def call(name: str, params: Mapping[str, Any], options: Mapping[str, Any]) -> str:
        result = runtime.execute_transaction(name, params, options)  # type: ignore[func-returns-value]
        return f"{result} (committed)"

    return call


def seed(client: Any, table: str) -> None:
    """Write the rows of section 43.3 into ``table``."""
    for row in SEED:
        client.put_item(TableName=table, Item={k: _av(v) for k, v in row.items()})


def _av(value: Any) -> dict[str, Any]:
    return {"N": str(value)} if isinstance(value, int) else {"S": value}


def _show(call: Callable[..., Any], *args: Any) -> str:
    try:
        result = call(*args)
        return result if isinstance(result, str) else json.dumps(to_jsonable(result))
    except TransactionCanceledError as exc:
        codes = ", ".join(f"item {r.index}: {r.code}" for r in exc.reasons)
        return f"TransactionCanceledError (nothing written): {codes}"
    except GraphDDBError as exc:
        return f"{type(exc).__name__}: {exc}"
