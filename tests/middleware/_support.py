"""Shared helpers of the middleware tests: the section 43.3 fake client, middleware builders
and the section 43.4 requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from graphddb_runtime import GraphDDBRuntime as Runtime
from graphddb_runtime.demo import SEED

from .._cases import SPECS
from .._fake_dynamo import FakeDynamo
from .._golden import CREATE_USER, CREATE_USER_PARAMS

Hook = Callable[..., Any]
UTC = timezone.utc
TABLE = "app-prod"
MIDDLEWARE_SPEC = SPECS / "middleware"
CONTRACTS_SPEC = SPECS / "contracts"
JOINED = "2024-05-01T00:00:00.000Z"


# --- the in-memory client -----------------------------------------------------------------------


def to_av(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, Decimal)):
        return {"N": str(value)}
    return {"S": value}


def item_av(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: to_av(v) for k, v in row.items()}


def seed_row(pk: str, sk: str) -> dict[str, Any]:
    """A row of section 43.3 as plain values (numbers as Decimal, like a deserialized item)."""
    row = next(r for r in SEED if r["PK"] == pk and r["SK"] == sk)
    return {k: Decimal(v) if isinstance(v, int) else v for k, v in row.items()}


def fake_client() -> FakeDynamo:
    """The shared fake over the rows of section 43.3 (reads and writes, every call recorded)."""
    client = FakeDynamo({TABLE: (("PK", "SK"), {"GSI1": ("GSI1PK", "GSI1SK")})})
    for row in SEED:
        client.put(TABLE, item_av(row))
    return client


def client_error(code: str, operation: str = "PutItem") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "injected"},
        "ResponseMetadata": {"RequestId": "req-1"},
    }
    return ClientError(response, operation)


def runtime(client: Any, spec: Path = MIDDLEWARE_SPEC, **kwargs: Any) -> Runtime:
    return Runtime(
        client,
        spec / "manifest.json",
        spec / "operations.json",
        table_mapping={"AppTable": TABLE},
        **kwargs,
    )


# --- middleware builders --------------------------------------------------------------------------

#: Hook label -> path in the middleware tree (section 35).
PATHS: dict[str, tuple[str, ...]] = {
    "R1": ("read", "before"),
    "R4": ("read", "afterFetch"),
    "R5": ("read", "onError"),
    "R2": ("read", "op", "before"),
    "R3": ("read", "op", "afterFetch"),
    "R5op": ("read", "op", "onError"),
    "W1": ("write", "before"),
    "W2": ("write", "after"),
    "W5": ("write", "onError"),
    "W3": ("write", "persist", "before"),
    "W4": ("write", "persist", "after"),
    "W5p": ("write", "persist", "onError"),
}
NO_W2 = tuple(label for label in PATHS if label != "W2")


def middleware(hooks: Mapping[str, Hook]) -> dict[str, Any]:
    """A dict middleware holding ``hooks`` keyed by label (``"R1"`` ... ``"W5p"``)."""
    tree: dict[str, Any] = {}
    for label, hook in hooks.items():
        *parents, leaf = PATHS[label]
        node = tree
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = hook
    return tree


def trace(tag: str, log: list[str], labels: Iterable[str] = PATHS) -> dict[str, Any]:
    """Every hook in ``labels`` appends ``"<tag>:<label>"`` to ``log`` and declines/keeps."""

    def hook_for(label: str) -> Hook:
        def hook(ctx: Any, *rest: Any) -> None:
            log.append(f"{tag}:{label}")

        return hook

    return middleware({label: hook_for(label) for label in labels})


class Spy:
    """Records every hook call as ``(label, ctx, args)``; ``overrides`` give return values."""

    def __init__(self, labels: Iterable[str] = PATHS, **overrides: Hook) -> None:
        self.calls: list[tuple[str, Any, tuple[Any, ...]]] = []
        self.threads: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        wanted = list(labels) + [label for label in overrides if label not in labels]
        self.tree = middleware({label: self._hook(label, overrides.get(label)) for label in wanted})

    def _hook(self, label: str, inner: Hook | None) -> Hook:
        def hook(ctx: Any, *rest: Any) -> Any:
            with self._lock:
                self.calls.append((label, ctx, rest))
                self.threads.append((label, threading.get_ident()))
            return inner(ctx, *rest) if inner is not None else None

        return hook

    @property
    def labels(self) -> list[str]:
        return [label for label, _, _ in self.calls]

    def ctxs(self, label: str) -> list[Any]:
        return [ctx for name, ctx, _ in self.calls if name == label]

    def args(self, label: str) -> list[tuple[Any, ...]]:
        return [rest for name, _, rest in self.calls if name == label]


def plain(value: Any) -> Any:
    """Mappings to dicts and tuples to lists, recursively (EntityMeta is deep-frozen)."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _order(actual: Any, expected: Any, path: str) -> None:
    if isinstance(expected, dict):
        assert list(actual) == list(expected), f"key order at {path}"
        for key, value in expected.items():
            _order(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _order(a, e, f"{path}[{i}]")


def assert_exact(actual: Any, expected: Any) -> None:
    """Equal values and equal dict key order at every level."""
    assert actual == expected
    _order(actual, expected, "$")


def manifest_entity(name: str) -> dict[str, Any]:
    manifest = json.loads((MIDDLEWARE_SPEC / "manifest.json").read_text(encoding="utf-8"))
    entity: dict[str, Any] = manifest["entities"][name]
    return entity


def model(entity: str | None) -> dict[str, Any]:
    """The expected ``ctx.model`` with meta thawed (compare with ``plain(ctx.model)``)."""
    if entity is None:
        return {"entity": None, "meta": {}}
    return {"entity": entity, "meta": manifest_entity(entity)}


class Boom(Exception):
    """An exception raised by a hook."""


# --- requests of section 43.4 (and their relatives) -----------------------------------------------

USER: dict[str, Any] = CREATE_USER_PARAMS
USER_ITEM: dict[str, Any] = CREATE_USER["Item"]
ORDER: dict[str, Any] = {
    "orderId": "o1",
    "tenantId": "t1",
    "userId": "u1",
    "total": 99.5,
    "createdAt": "2024-06-01T12:00:00.000Z",
}
ORDER_ITEM: dict[str, Any] = {
    "orderId": {"S": "o1"},
    "tenantId": {"S": "t1"},
    "userId": {"S": "u1"},
    "status": {"S": "PENDING"},
    "total": {"N": "99.5"},
    "createdAt": {"S": "2024-06-01T12:00:00.000Z"},
    "PK": {"S": "ORDER#o1"},
    "SK": {"S": "META"},
    "GSI1PK": {"S": "TENANT#t1#STATUS#PENDING"},
    "GSI1SK": {"S": "ORDER#o1"},
}
ORDER_ROW: dict[str, Any] = {
    "orderId": "o1",
    "tenantId": "t1",
    "userId": "u1",
    "status": "PENDING",
    "total": Decimal("99.5"),
    "createdAt": "2024-06-01T12:00:00.000Z",
    "PK": "ORDER#o1",
    "SK": "META",
    "GSI1PK": "TENANT#t1#STATUS#PENDING",
    "GSI1SK": "ORDER#o1",
}
PLACE_ORDER: dict[str, Any] = {"TableName": TABLE, "Item": ORDER_ITEM}
ORDER_KEY: dict[str, Any] = {"PK": {"S": "ORDER#o1"}, "SK": {"S": "META"}}
STATUS: dict[str, Any] = {"orderId": "o1", "tenantId": "t1", "status": "SHIPPED"}
SET_STATUS: dict[str, Any] = {
    "TableName": TABLE,
    "Key": ORDER_KEY,
    "UpdateExpression": "SET #c0 = :c0, #gsi0pk = :gsi0pk, #gsi0sk = :gsi0sk",
    "ExpressionAttributeNames": {"#c0": "status", "#gsi0pk": "GSI1PK", "#gsi0sk": "GSI1SK"},
    "ExpressionAttributeValues": {
        ":c0": {"S": "SHIPPED"},
        ":gsi0pk": {"S": "TENANT#t1#STATUS#SHIPPED"},
        ":gsi0sk": {"S": "ORDER#o1"},
    },
}
RAISE: dict[str, Any] = {"orderId": "o1", "total": 120}
RAISE_TOTAL: dict[str, Any] = {
    "TableName": TABLE,
    "Key": ORDER_KEY,
    "UpdateExpression": "SET #c0 = :c0",
    "ExpressionAttributeNames": {"#c0": "total", "#f0": "status", "#f1": "total"},
    "ExpressionAttributeValues": {
        ":c0": {"N": "120"},
        ":vf0": {"S": "CANCELLED"},
        ":vf1": {"N": "120"},
    },
    "ConditionExpression": "(#f0 <> :vf0 AND #f1 < :vf1)",
}
REMOVE: dict[str, Any] = {"groupId": "eng", "userId": "bob"}
BOB_KEY: dict[str, Any] = {"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#bob"}}
REMOVE_MEMBER: dict[str, Any] = {"TableName": TABLE, "Key": BOB_KEY}

#: (command, params, exact request) for one command of each kind.
COMMANDS = [
    ("createUser", USER, "put_item", CREATE_USER),
    ("setOrderStatus", STATUS, "update_item", SET_STATUS),
    ("removeMember", REMOVE, "delete_item", REMOVE_MEMBER),
]
COMMAND_IDS = ["put", "update", "delete"]

LIST_MEMBERS: dict[str, Any] = {
    "TableName": TABLE,
    "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
    "ExpressionAttributeNames": {"#k0": "PK", "#kr": "SK"},
    "ExpressionAttributeValues": {":k0": {"S": "GROUP#eng"}, ":kr": {"S": "USER#"}},
}
ALICE_KEY: dict[str, Any] = {"PK": {"S": "USER#alice"}, "SK": {"S": "PROFILE"}}
GET_ALICE: dict[str, Any] = {"TableName": TABLE, "Key": ALICE_KEY}
ALICE: dict[str, Any] = {
    "userId": "alice",
    "name": "Alice",
    "email": "alice@example.com",
    "status": "active",
    "createdAt": datetime(2023, 11, 20, 8, 0, tzinfo=UTC),
}


# --- recovery convention ------------------------------------------------------------------------


def _failing_read_runtime(
    error: BaseException, method: str = "query"
) -> tuple[FakeDynamo, Runtime]:
    client = fake_client()
    client.fail_on(method, error)
    return client, runtime(client)


# --- kind rewrites ------------------------------------------------------------------------------


def _rewrite(kind: str, changes: dict[str, Any] | None = None) -> Hook:
    def w1(ctx: Any) -> None:
        ctx.kind = kind
        if changes is not None:
            ctx.input["changes"] = changes

    return w1


# ==================================================================================================
# Section 40: transaction hooks (expected to fail until transaction hooks land)
# ==================================================================================================

JOIN: dict[str, Any] = {
    "groupId": "ghost",
    "userId": "frank",
    "role": "member",
    "joinedAt": "2024-05-02T00:00:00.000Z",
}
