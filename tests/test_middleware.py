"""Middleware, unit level (docs/format.md sections 35 to 41, with 13, 15, 25, 28 and 43).

Every test drives the public API (``use`` then ``execute_*``) against an in-memory client that
records each request, so hook orders, contexts and wire kwargs are compared exactly (dict key
order included where the contract gives one).

Two groups cover work that is still landing and fail until it does:

- ``test_relation_*``: R2/R3/R5-op around relation fetches (section 37 BatchGetItem
  ``operation``, section 38.1 step 4, section 41.3);
- ``test_tx_*``: transaction hooks (section 40).
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType, SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

import graphddb_runtime
from graphddb_runtime import (
    RECOVER_NONE,
    AsyncGraphDDBRuntime,
    CommandNotFoundError,
    ConditionFailedError,
    CursorError,
    GraphDDBError,
    LimitExceededError,
    OperationExecutionError,
    ParameterValidationError,
    PersistCtx,
    QueryNotFoundError,
    ReadOpCtx,
    ReadRequestCtx,
    RuntimeLimits,
    TransactionCanceledError,
    TransactionCollapseError,
    TransactionNotFoundError,
    WriteCtx,
)
from graphddb_runtime import GraphDDBRuntime as Runtime
from graphddb_runtime.demo import SEED

from ._cases import SPECS
from ._fake_dynamo import FakeDynamo
from ._golden import ACCESS, CREATE_USER, CREATE_USER_PARAMS

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


@pytest.fixture(scope="module")
def boto_client() -> Any:
    return boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture
def stub(boto_client: Any) -> Iterator[Stubber]:
    with Stubber(boto_client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


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


# ==================================================================================================
# Section 35: registration and hook tree
# ==================================================================================================


def test_use_appends_and_get_middleware_is_a_tuple_snapshot_in_registration_order() -> None:
    rt = runtime(fake_client())
    a, b, c = {"name": "a"}, {"name": "b"}, {"name": "c"}
    assert rt.get_middleware() == ()
    rt.use(a)
    rt.use(b)
    snapshot = rt.get_middleware()
    assert type(snapshot) is tuple
    assert [id(m) for m in snapshot] == [id(a), id(b)]
    rt.use(c)
    assert [id(m) for m in snapshot] == [id(a), id(b)]  # a snapshot, not a view
    rt.use(a)  # appended again
    assert [id(m) for m in rt.get_middleware()] == [id(a), id(b), id(c), id(a)]


def test_clear_middleware_removes_every_middleware_and_its_hooks() -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []
    rt.use(trace("a", log))
    rt.use(trace("b", log))
    rt.clear_middleware()
    assert rt.get_middleware() == ()
    assert rt.execute_query("getUser", {"userId": "alice"}) == ALICE
    assert rt.execute_command("removeMember", REMOVE) is None
    assert log == []
    assert client.requests("delete_item") == [REMOVE_MEMBER]  # no ReturnValues=ALL_OLD
    rt.use(trace("c", log))
    rt.execute_query("getUser", {"userId": "alice"})
    assert log == ["c:R1", "c:R2", "c:R3", "c:R4"]


def test_a_middleware_registered_during_a_read_does_not_affect_that_read() -> None:
    rt = runtime(fake_client())
    log: list[str] = []
    late = trace("late", log)

    def register(ctx: Any) -> None:
        log.append("R1")
        rt.use(late)

    rt.use(middleware({"R1": register}))
    assert rt.execute_query("getUser", {"userId": "alice"}) == ALICE
    assert log == ["R1"]
    log.clear()
    rt.execute_query("getUser", {"userId": "alice"})
    assert log == ["R1", "late:R1", "late:R2", "late:R3", "late:R4"]


def test_a_middleware_registered_during_a_write_does_not_affect_that_write() -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []

    def register(ctx: Any) -> None:
        log.append("W1")
        rt.use(trace("late", log))

    rt.use(middleware({"W1": register}))
    rt.execute_command("removeMember", REMOVE)
    assert log == ["W1"]
    assert client.requests("delete_item") == [REMOVE_MEMBER]  # the late W2 adds no ALL_OLD


def test_tx_a_middleware_registered_during_a_transaction_does_not_affect_it() -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []

    def register(ctx: Any) -> None:
        log.append("W1")
        rt.use(trace("late", log))

    rt.use(middleware({"W1": register}))
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    assert log == ["W1"]
    assert client.methods == ["transact_write_items"]


class _ObjectReadHooks:
    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.op = SimpleNamespace(
            before=lambda ctx: log.append("obj:R2"),
            afterFetch=lambda ctx, items: log.append("obj:R3"),
        )

    def before(self, ctx: Any) -> None:
        self.log.append("obj:R1")

    def afterFetch(self, ctx: Any, result: Any) -> None:
        self.log.append("obj:R4")


class ObjectMiddleware:
    """A middleware whose tree is made of attributes (bound methods and namespaces)."""

    name = "object"

    def __init__(self, log: list[str]) -> None:
        self.read = _ObjectReadHooks(log)
        self.write = SimpleNamespace(
            before=lambda ctx: log.append("obj:W1"),
            after=lambda ctx, change: log.append("obj:W2"),
            persist={  # a dict under an attribute: each level is looked up by its own kind
                "before": lambda ctx: log.append("obj:W3"),
                "after": lambda ctx, results: log.append("obj:W4"),
            },
        )


def test_dict_attribute_object_and_other_mapping_middlewares_are_all_honoured() -> None:
    rt = runtime(fake_client())
    log: list[str] = []
    rt.use(trace("dict", log, ("R1", "R2", "R3", "R4", "W1", "W2", "W3", "W4")))
    rt.use(ObjectMiddleware(log))
    proxy = trace("proxy", log, ("R1", "R2", "R3", "R4", "W1", "W2", "W3", "W4"))
    rt.use(MappingProxyType({k: MappingProxyType(v) for k, v in proxy.items()}))
    assert rt.execute_query("getUser", {"userId": "alice"}) == ALICE
    assert log == [
        "dict:R1",
        "obj:R1",
        "proxy:R1",
        "dict:R2",
        "obj:R2",
        "proxy:R2",
        "proxy:R3",
        "obj:R3",
        "dict:R3",
        "proxy:R4",
        "obj:R4",
        "dict:R4",
    ]
    log.clear()
    rt.execute_command("removeMember", REMOVE)
    assert log == [
        "dict:W1",
        "obj:W1",
        "proxy:W1",
        "dict:W3",
        "obj:W3",
        "proxy:W3",
        "proxy:W4",
        "obj:W4",
        "dict:W4",
        "proxy:W2",
        "obj:W2",
        "dict:W2",
    ]


def _never(*args: Any) -> None:
    raise AssertionError("an ignored entry was called")


def test_extra_keys_and_non_callable_leaves_are_ignored() -> None:
    plain_client, hooked_client = fake_client(), fake_client()
    reference, rt = runtime(plain_client), runtime(hooked_client)
    rt.use(
        {
            "name": "decorative",
            "version": 3,
            "priority": _never,
            "read": {
                "before": "not callable",
                "afterFetch": 42,
                "onError": None,
                "op": ["not", "a", "tree"],
                "around": _never,
            },
            "write": {
                "before": {"nested": _never},
                "after": None,
                "persist": "nope",
                "cleanup": _never,
            },
            "transaction": {"before": _never},
        }
    )
    rt.use(object())  # an object without any of the attributes
    rt.use(SimpleNamespace(read=SimpleNamespace(before=3), write=7))
    for target in (reference, rt):
        target.execute_query("getUser", {"userId": "alice"})
        target.execute_query("listMembers", {"groupId": "eng"})
        target.execute_command("createUser", USER)
        target.execute_command("setOrderStatus", STATUS, {"returnValues": "ALL_NEW"})
        target.execute_command("removeMember", REMOVE)
    assert hooked_client.calls == plain_client.calls


def test_pass_through_middleware_sends_exactly_the_unhooked_requests() -> None:
    """Hooks that change nothing (and no W2 hook) leave every request as without middleware."""
    plain_client, hooked_client = fake_client(), fake_client()
    reference, rt = runtime(plain_client), runtime(hooked_client)
    rt.use(trace("noop", [], NO_W2))
    results = []
    for target in (reference, rt):
        results.append(
            [
                target.execute_query("getUser", {"userId": "alice"}),
                target.execute_query("listMembers", {"groupId": "eng"}, {"limit": 1}),
                target.execute_query("listUserGroups", {"userId": "alice"}),
                target.execute_command("createUser", USER),
                target.execute_command("placeOrder", ORDER),
                target.execute_command("raiseOrderTotal", RAISE),
                target.execute_command("removeMember", REMOVE, {"returnValues": "ALL_OLD"}),
            ]
        )
    assert results[0] == results[1]
    assert hooked_client.calls == plain_client.calls
    for (_, ours), (_, theirs) in zip(hooked_client.calls, plain_client.calls, strict=True):
        assert_exact(ours, theirs)


def test_the_middleware_api_is_exported() -> None:
    """Section 15.1: the middleware names are part of ``graphddb_runtime.__all__``."""
    names = {
        "MiddlewareRegistry",
        "MiddlewareRuntime",
        "WriteRuntime",
        "ReadRequestCtx",
        "ReadOpCtx",
        "WriteCtx",
        "PersistCtx",
        "RECOVER_NONE",
    }
    assert names <= set(graphddb_runtime.__all__)
    assert graphddb_runtime.RECOVER_NONE is RECOVER_NONE
    assert RECOVER_NONE is not None


# ==================================================================================================
# Section 36: ordering and recovery
# ==================================================================================================


@pytest.mark.parametrize(
    ("query_id", "params"),
    [("getUser", {"userId": "alice"}), ("listMembers", {"groupId": "eng"})],
)
def test_read_before_hooks_run_fifo_and_after_hooks_lifo(
    query_id: str, params: dict[str, Any]
) -> None:
    rt = runtime(fake_client())
    log: list[str] = []
    rt.use(trace("A", log))
    rt.use(trace("B", log))
    rt.execute_query(query_id, params)
    assert log == ["A:R1", "B:R1", "A:R2", "B:R2", "B:R3", "A:R3", "B:R4", "A:R4"]


@pytest.mark.parametrize(("command", "params", "method", "request_"), COMMANDS, ids=COMMAND_IDS)
def test_write_hooks_follow_the_exact_example_order(
    command: str, params: dict[str, Any], method: str, request_: dict[str, Any]
) -> None:
    rt = runtime(fake_client())
    log: list[str] = []
    for n in (1, 2):
        rt.use(
            {
                "write": {
                    "before": lambda ctx, n=n: log.append(f"b{n}"),
                    "after": lambda ctx, change, n=n: log.append(f"a{n}"),
                    "persist": {
                        "before": lambda ctx, n=n: log.append(f"pb{n}"),
                        "after": lambda ctx, results, n=n: log.append(f"pa{n}"),
                    },
                }
            }
        )
    rt.execute_command(command, params)
    assert log == ["b1", "b2", "pb1", "pb2", "pa2", "pa1", "a2", "a1"]


def test_read_on_error_hooks_run_lifo_at_both_levels() -> None:
    client = fake_client()
    error = RuntimeError("network down")
    client.fail_on("get_item", error)
    rt = runtime(client)
    log: list[str] = []
    for tag in "ABC":
        rt.use(trace(tag, log))
    with pytest.raises(RuntimeError) as info:
        rt.execute_query("getUser", {"userId": "alice"})
    assert info.value is error
    assert log == [
        "A:R1",
        "B:R1",
        "C:R1",
        "A:R2",
        "B:R2",
        "C:R2",
        "C:R5op",
        "B:R5op",
        "A:R5op",
        "C:R5",
        "B:R5",
        "A:R5",
    ]


def test_write_on_error_hooks_run_lifo_at_both_levels() -> None:
    client = fake_client()
    client.fail_on("put_item", client_error("ConditionalCheckFailedException"))
    rt = runtime(client)
    log: list[str] = []
    for tag in "AB":
        rt.use(trace(tag, log, NO_W2))
    with pytest.raises(ConditionFailedError):
        rt.execute_command("createUser", USER)
    assert log == ["A:W1", "B:W1", "A:W3", "B:W3", "B:W5p", "A:W5p", "B:W5", "A:W5"]


def test_r3_threads_each_hook_result_into_the_next_and_none_keeps_the_list() -> None:
    rt = runtime(fake_client())
    seen: dict[str, Any] = {}

    def first_registered(ctx: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen["first_in"] = items
        return [{**items[0], "status": "from-first"}]

    def keeps(ctx: Any, items: list[dict[str, Any]]) -> None:
        seen["keeps_in"] = items

    def last_registered(ctx: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen["last_in"] = items
        out = [{**items[0], "name": "from-last"}]
        seen["last_out"] = out
        return out

    rt.use(middleware({"R3": first_registered}))
    rt.use(middleware({"R3": keeps}))
    rt.use(middleware({"R3": last_registered}))
    result = rt.execute_query("getUser", {"userId": "alice"})
    assert seen["last_in"] == [seed_row("USER#alice", "PROFILE")]  # LIFO: the last one first
    assert seen["keeps_in"] is seen["last_out"]
    assert seen["first_in"] is seen["last_out"]  # None kept the list
    assert result == {**ALICE, "name": "from-last", "status": "from-first"}


def test_r4_threads_each_hook_result_into_the_next_and_none_keeps_the_result() -> None:
    rt = runtime(fake_client())
    seen: dict[str, Any] = {}
    replaced = {"replaced": True}

    def first_registered(ctx: Any, result: Any) -> Any:
        seen["first_in"] = result
        return {**result, "first": True}

    def keeps(ctx: Any, result: Any) -> None:  # implementation decision: None keeps the result
        seen["keeps_in"] = result

    def last_registered(ctx: Any, result: Any) -> Any:
        seen["last_in"] = result
        return replaced

    rt.use(middleware({"R4": first_registered}))
    rt.use(middleware({"R4": keeps}))
    rt.use(middleware({"R4": last_registered}))
    assert rt.execute_query("getUser", {"userId": "alice"}) == {"replaced": True, "first": True}
    assert seen["last_in"] == ALICE
    assert seen["keeps_in"] is replaced
    assert seen["first_in"] is replaced


# --- recovery convention ------------------------------------------------------------------------


def _failing_read_runtime(
    error: BaseException, method: str = "query"
) -> tuple[FakeDynamo, Runtime]:
    client = fake_client()
    client.fail_on(method, error)
    return client, runtime(client)


def test_on_error_returning_none_declines_and_the_original_exception_is_re_raised() -> None:
    error = client_error("InternalServerError", "Query")
    _, rt = _failing_read_runtime(error)
    spy = Spy(("R5", "R5op"))
    rt.use(spy.tree)
    rt.use(spy.tree)
    with pytest.raises(OperationExecutionError) as info:
        rt.execute_query("listMembers", {"groupId": "eng"})
    raised = info.value
    assert type(raised) is OperationExecutionError
    assert raised.original is error and raised.code == "InternalServerError"
    assert raised.operation_id == "listMembers"
    assert spy.labels == ["R5op", "R5op", "R5", "R5"]
    assert all(args[0] is raised for args in spy.args("R5op") + spy.args("R5"))


def test_non_botocore_errors_reach_hooks_and_callers_unchanged() -> None:
    error = ValueError("not a botocore error")
    _, rt = _failing_read_runtime(error)
    spy = Spy(("R5", "R5op"))
    rt.use(spy.tree)
    with pytest.raises(ValueError) as info:
        rt.execute_query("listMembers", {"groupId": "eng"})
    assert info.value is error
    assert [args[0] for args in spy.args("R5op") + spy.args("R5")] == [error, error]


def test_recover_none_recovers_with_none_at_request_level() -> None:
    _, rt = _failing_read_runtime(RuntimeError("x"))
    rt.use(middleware({"R5": lambda ctx, err: RECOVER_NONE}))
    assert rt.execute_query("listMembers", {"groupId": "eng"}) is None


def test_a_recovered_value_becomes_the_result() -> None:
    _, rt = _failing_read_runtime(RuntimeError("x"))
    value = {"items": [], "cursor": "custom"}
    rt.use(middleware({"R5": lambda ctx, err: value}))
    assert rt.execute_query("listMembers", {"groupId": "eng"}) is value


def test_falsy_values_other_than_none_recover() -> None:
    _, rt = _failing_read_runtime(RuntimeError("x"))
    rt.use(middleware({"R5": lambda ctx, err: 0}))
    assert rt.execute_query("listMembers", {"groupId": "eng"}) == 0


def test_the_first_recovering_hook_in_lifo_order_wins_and_the_rest_are_not_called() -> None:
    _, rt = _failing_read_runtime(RuntimeError("x"))
    log: list[str] = []

    def hook(tag: str, value: Any) -> Hook:
        def on_error(ctx: Any, err: BaseException) -> Any:
            log.append(tag)
            return value

        return on_error

    rt.use(middleware({"R5": hook("A", "from A")}))
    rt.use(middleware({"R5": hook("B", "from B")}))
    rt.use(middleware({"R5": hook("C", None)}))
    assert rt.execute_query("listMembers", {"groupId": "eng"}) == "from B"
    assert log == ["C", "B"]


def test_op_level_recovery_with_recover_none_yields_no_items() -> None:
    _, rt = _failing_read_runtime(RuntimeError("x"))
    spy = Spy(("R3", "R4", "R5"), R5op=lambda ctx, err: RECOVER_NONE)
    rt.use(spy.tree)
    assert rt.execute_query("listMembers", {"groupId": "eng"}) == {"items": [], "cursor": None}
    assert spy.labels == ["R5op", "R4"]  # no R3 after a failed send, no request-level R5
    _, rt = _failing_read_runtime(RuntimeError("x"), "get_item")
    rt.use(middleware({"R5op": lambda ctx, err: RECOVER_NONE}))
    assert rt.execute_query("getUser", {"userId": "alice"}) is None


def test_op_level_decline_passes_the_original_exception_to_the_request_level() -> None:
    error = RuntimeError("x")
    _, rt = _failing_read_runtime(error)
    spy = Spy(("R5op",), R5=lambda ctx, err: {"recovered": err})
    rt.use(spy.tree)
    assert rt.execute_query("listMembers", {"groupId": "eng"}) == {"recovered": error}
    assert spy.args("R5op") == [(error,)] and spy.args("R5") == [(error,)]


@pytest.mark.parametrize("label", ["R1", "R2", "R3", "R4"])
def test_read_hook_exceptions_propagate_unwrapped_unless_recovered(label: str) -> None:
    error = Boom(label)

    def raise_(*args: Any) -> None:
        raise error

    rt = runtime(fake_client())
    spy = Spy(("R5",))
    rt.use(middleware({label: raise_}))
    rt.use(spy.tree)
    with pytest.raises(Boom) as info:
        rt.execute_query("getUser", {"userId": "alice"})
    assert info.value is error
    assert spy.args("R5") == [(error,)]
    rt.use(middleware({"R5": lambda ctx, err: {"recovered": err}}))
    assert rt.execute_query("getUser", {"userId": "alice"}) == {"recovered": error}


def test_an_exception_raised_by_an_on_error_hook_propagates_unchanged() -> None:
    _, rt = _failing_read_runtime(RuntimeError("x"))
    error = Boom("from onError")

    def raise_(ctx: Any, err: BaseException) -> None:
        raise error

    rt.use(middleware({"R5": raise_}))
    with pytest.raises(Boom) as info:
        rt.execute_query("listMembers", {"groupId": "eng"})
    assert info.value is error


@pytest.mark.parametrize("label", ["W1", "W3", "W4", "W2"])
def test_write_hook_exceptions_propagate_unwrapped_unless_recovered(label: str) -> None:
    error = Boom(label)

    def raise_(*args: Any) -> None:
        raise error

    rt = runtime(fake_client())
    spy = Spy(("W5", "W5p"))
    rt.use(middleware({label: raise_}))
    rt.use(spy.tree)
    with pytest.raises(Boom) as info:
        rt.execute_command("removeMember", REMOVE)
    assert info.value is error
    expected = ["W5p", "W5"] if label == "W3" else ["W5"]  # a W3 raise is a send failure
    assert spy.labels == expected
    assert all(args == (error,) for args in spy.args("W5") + spy.args("W5p"))


# ==================================================================================================
# Section 37: contexts
# ==================================================================================================


def test_read_request_ctx_fields() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R1",))
    rt.use(spy.tree)
    caller_context = {"tenant": "t1", "nested": {"k": 1}}
    options = {"consistentRead": True, "context": caller_context}
    rt.execute_query("getUser", {"userId": "alice"}, options)
    (ctx,) = spy.ctxs("R1")
    assert type(ctx) is ReadRequestCtx and dataclasses.is_dataclass(ctx)
    assert ctx.kind == "query"
    assert plain(ctx.model) == model("UserModel")
    assert ctx.context == caller_context and ctx.context is not caller_context
    assert type(ctx.context) is dict
    assert ctx.params == {"params": {"userId": "alice"}, "options": options}
    assert ctx.state == {}


def test_unknown_options_never_reach_r1_per_call_data_goes_through_context() -> None:
    # Section 7.4: an unknown key is an error (0.6 let R1 see it); hooks get per-call data
    # through ``context`` (section 37).
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("R1",))
    rt.use(spy.tree)
    with pytest.raises(ParameterValidationError, match=r"getUser: unknown option 'custom'"):
        rt.execute_query("getUser", {"userId": "alice"}, {"custom": "for R1"})
    assert spy.ctxs("R1") == [] and client.calls == []
    rt.execute_query("getUser", {"userId": "alice"}, {"context": {"custom": "for R1"}})
    (ctx,) = spy.ctxs("R1")
    assert ctx.context == {"custom": "for R1"}


def test_r1_cannot_add_an_unknown_option() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"R1": lambda ctx: ctx.params["options"].update(Limit=1)}))
    with pytest.raises(ParameterValidationError) as caught:
        rt.execute_query("listMembers", {"groupId": "eng"})
    assert str(caught.value) == "listMembers: unknown option 'Limit'; did you mean 'limit'?"
    assert client.calls == []


def test_read_request_ctx_options_are_empty_without_options() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R1",))
    rt.use(spy.tree)
    rt.execute_query("getUser", {"userId": "alice"})
    (ctx,) = spy.ctxs("R1")
    assert ctx.params == {"params": {"userId": "alice"}, "options": {}}
    assert ctx.context == {} and type(ctx.context) is dict


def test_r1_mutations_do_not_touch_the_caller_params() -> None:
    rt = runtime(fake_client())
    params = {"userId": "alice"}
    options: dict[str, Any] = {"context": {"a": 1}}

    def r1(ctx: Any) -> None:
        ctx.params["params"]["userId"] = "bob"
        ctx.params["options"]["numbers"] = "native"
        ctx.context["a"] = 2

    rt.use(middleware({"R1": r1}))
    assert rt.execute_query("getUser", params, options) is None
    assert params == {"userId": "alice"}
    assert options == {"context": {"a": 1}}


def test_read_op_ctx_fields_for_get_item_and_query() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R1", "R2"))
    rt.use(spy.tree)
    options = {"consistentRead": True, "context": {"c": 1}}
    rt.execute_query("getUser", {"userId": "alice"}, options)
    rt.execute_query("listMembers", {"groupId": "eng"}, {"limit": 1, "order": "desc"})
    request_ctx, _ = spy.ctxs("R1")
    get, query = spy.ctxs("R2")
    assert type(get) is ReadOpCtx and dataclasses.is_dataclass(get)
    assert get.kind == "GetItem"
    assert plain(get.model) == model("UserModel")
    assert get.context is request_ctx.context
    assert get.operation == {"type": "GetItem", **GET_ALICE, "ConsistentRead": True}
    assert get.relation_path == ()
    assert get.state == {}
    assert query.kind == "Query"
    assert plain(query.model) == model("GroupMembershipModel")
    assert query.operation == {
        "type": "Query",
        **LIST_MEMBERS,
        "Limit": 1,
        "ScanIndexForward": False,
    }
    assert query.relation_path == ()
    assert query.state == {}


def test_one_context_dict_is_shared_even_when_the_caller_gives_no_context() -> None:
    """Section 37: ``{}`` when absent, and still the same dict object for every hook."""
    rt = runtime(fake_client())
    spy = Spy(("R1", "R2", "R3", "R4"))
    rt.use(spy.tree)
    rt.execute_query("getUser", {"userId": "alice"})
    rt.execute_query("listMembers", {"groupId": "eng"}, {"context": {}})
    for call in (spy.calls[:4], spy.calls[4:]):
        assert [label for label, _, _ in call] == ["R1", "R2", "R3", "R4"]
        assert {id(ctx.context) for _, ctx, _ in call} == {id(call[0][1].context)}


def test_r1_context_mutations_are_seen_by_every_later_hook() -> None:
    rt = runtime(fake_client())
    seen: list[Any] = []

    def r1(ctx: Any) -> None:
        ctx.context["user"] = "from R1"

    rt.use(
        middleware(
            {
                "R1": r1,
                "R2": lambda ctx: seen.append(ctx.context.get("user")),
                "R3": lambda ctx, items: seen.append(ctx.context.get("user")),
                "R4": lambda ctx, result: seen.append(ctx.context.get("user")),
            }
        )
    )
    rt.execute_query("getUser", {"userId": "alice"})
    assert seen == ["from R1"] * 3


def test_model_has_no_entity_when_none_is_declared_or_inferred() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("R1", "R2", "W1", "W3"))
    rt.use(spy.tree)
    assert rt.execute_query("getThing", {"thingId": "x"}) is None
    rt.execute_command("renameThing", {"thingId": "x", "name": "n"})
    for ctx in spy.ctxs("R1") + spy.ctxs("R2") + spy.ctxs("W1"):
        assert ctx.model == {"entity": None, "meta": {}}
    (persist,) = spy.ctxs("W3")
    assert persist.origins == ({"model": {"entity": None, "meta": {}}, "kind": "update"},)


def test_request_level_model_is_the_root_op_entity() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R1",))
    rt.use(spy.tree)
    rt.execute_query("getUserAccess", {"userId": "alice"})
    rt.execute_query("listUserGroups", {"userId": "alice"})
    rt.execute_query("getGroup", {"groupId": "eng"})
    assert [ctx.model["entity"] for ctx in spy.ctxs("R1")] == [
        "UserModel",
        "GroupMembershipModel",
        "GroupModel",
    ]


def test_one_context_dict_is_shared_by_every_hook_of_a_read() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy()
    rt.use(spy.tree)
    rt.use(spy.tree)
    caller_context = {"who": "me"}
    rt.execute_query("getUser", {"userId": "alice"}, {"context": caller_context})
    client.fail_on("get_item", RuntimeError("x"))
    with pytest.raises(RuntimeError):
        rt.execute_query("getUser", {"userId": "alice"}, {"context": caller_context})
    first = {id(ctx.context) for ctx in [c for _, c, _ in spy.calls[:8]]}
    second = {id(ctx.context) for ctx in [c for _, c, _ in spy.calls[8:]]}
    assert spy.labels[8:] == ["R1", "R1", "R2", "R2", "R5op", "R5op", "R5", "R5"]
    assert len(first) == 1 and len(second) == 1 and first != second
    assert id(caller_context) not in first | second


def test_state_is_fresh_per_ctx_and_the_request_state_is_shared_from_r1_to_r4_and_r5() -> None:
    client = fake_client()
    rt = runtime(client)
    seen: dict[str, Any] = {}

    def r1(ctx: Any) -> None:
        assert ctx.state == {}
        ctx.state["r1"] = True

    def r2(ctx: Any) -> None:
        seen["r2_state"] = dict(ctx.state)
        ctx.state["r2"] = True

    def r3(ctx: Any, items: Any) -> None:
        seen["r3_state"] = dict(ctx.state)

    def r4(ctx: Any, result: Any) -> None:
        seen["r4_state"] = dict(ctx.state)

    def r5(ctx: Any, err: BaseException) -> None:
        seen["r5_state"] = dict(ctx.state)

    def r5op(ctx: Any, err: BaseException) -> None:
        seen["r5op_state"] = dict(ctx.state)

    rt.use(middleware({"R1": r1, "R2": r2, "R3": r3, "R4": r4, "R5": r5, "R5op": r5op}))
    rt.execute_query("getUser", {"userId": "alice"})
    assert seen == {"r2_state": {}, "r3_state": {"r2": True}, "r4_state": {"r1": True}}
    seen.clear()
    rt.execute_query("getUser", {"userId": "alice"})  # a new call: fresh states again
    assert seen["r2_state"] == {} and seen["r4_state"] == {"r1": True}
    client.fail_on("get_item", RuntimeError("x"))
    with pytest.raises(RuntimeError):
        rt.execute_query("getUser", {"userId": "alice"})
    assert seen["r5op_state"] == {"r2": True}
    assert seen["r5_state"] == {"r1": True}


@pytest.mark.parametrize(
    ("command", "params", "kind", "entity"),
    [
        ("createUser", USER, "put", "UserModel"),
        ("setOrderStatus", STATUS, "update", "OrderModel"),
        ("removeMember", REMOVE, "delete", "GroupMembershipModel"),
    ],
    ids=COMMAND_IDS,
)
def test_write_and_persist_ctx_fields(
    command: str, params: dict[str, Any], kind: str, entity: str
) -> None:
    rt = runtime(fake_client())
    spy = Spy()
    rt.use(spy.tree)
    caller_context = {"user": "admin"}
    rt.execute_command(command, params, {"context": caller_context})
    assert spy.labels == ["W1", "W3", "W4", "W2"]
    (write,) = spy.ctxs("W1")
    assert type(write) is WriteCtx and dataclasses.is_dataclass(write)
    assert write.kind == kind
    assert plain(write.model) == model(entity)
    assert write.context == caller_context and write.context is not caller_context
    assert write.state == {}
    assert write.transaction is None
    (persist,) = spy.ctxs("W3")
    assert type(persist) is PersistCtx and dataclasses.is_dataclass(persist)
    assert persist.context is write.context
    assert persist.state == {} and persist.state is not write.state
    assert persist.transaction is None
    assert persist.origins == ({"model": write.model, "kind": kind},)
    assert spy.ctxs("W4") == [persist] and spy.ctxs("W4")[0] is persist
    assert spy.ctxs("W2")[0] is write


def test_one_context_dict_is_shared_by_every_hook_of_a_write_including_errors() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy()
    rt.use(spy.tree)
    rt.execute_command("removeMember", REMOVE)
    client.fail_on("delete_item", client_error("ConditionalCheckFailedException", "DeleteItem"))
    with pytest.raises(ConditionFailedError):
        rt.execute_command("removeMember", REMOVE, {"context": {"x": 1}})
    assert spy.labels == ["W1", "W3", "W4", "W2", "W1", "W3", "W5p", "W5"]
    assert len({id(ctx.context) for ctx in spy.ctxs("W1")}) == 2
    first = {id(c.context) for _, c, _ in spy.calls[:4]}
    second = {id(c.context) for _, c, _ in spy.calls[4:]}
    assert len(first) == 1 and len(second) == 1
    assert spy.calls[4][1].context == {"x": 1}


def test_write_state_is_per_ctx_w1_to_w2_and_w3_to_w4() -> None:
    rt = runtime(fake_client())
    seen: dict[str, Any] = {}

    def w1(ctx: Any) -> None:
        ctx.state["w1"] = 1

    def w3(ctx: Any) -> None:
        seen["w3"] = dict(ctx.state)
        ctx.state["w3"] = 3

    def w4(ctx: Any, results: Any) -> None:
        seen["w4"] = dict(ctx.state)

    def w2(ctx: Any, change: Any) -> None:
        seen["w2"] = dict(ctx.state)

    rt.use(middleware({"W1": w1, "W2": w2, "W3": w3, "W4": w4}))
    rt.execute_command("removeMember", REMOVE)
    assert seen == {"w3": {}, "w4": {"w3": 3}, "w2": {"w1": 1}}


# ==================================================================================================
# Section 38.1: execute_query
# ==================================================================================================


@pytest.mark.parametrize(
    ("query_id", "params", "options", "error"),
    [
        ("nope", {}, None, QueryNotFoundError),
        ("getUser", {}, None, ParameterValidationError),
        ("getUser", {"userId": 5}, None, ParameterValidationError),
        ("getUser", {"userId": "alice"}, "not a mapping", ParameterValidationError),
        ("getUser", {"userId": "alice"}, {"context": ["x"]}, ParameterValidationError),
        ("getUser", {"userId": "alice"}, {"numbers": "float"}, ParameterValidationError),
        ("listMembers", {"groupId": "eng"}, {"limit": 0}, ParameterValidationError),
        ("listMembers", {"groupId": "eng"}, {"order": "up"}, ParameterValidationError),
        ("listMembers", {"groupId": "eng"}, {"limit": 101}, LimitExceededError),
        ("listMembers", {"groupId": "eng"}, {"cursor": "%%%"}, CursorError),
        ("getUserByEmail", {"email": "a@b"}, {"consistentRead": True}, ParameterValidationError),
    ],
)
def test_validation_and_pre_flight_errors_never_reach_hooks(
    query_id: str, params: Any, options: Any, error: type[Exception]
) -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []
    rt.use(trace("A", log))
    with pytest.raises(error):
        rt.execute_query(query_id, params, options)
    assert log == []
    assert client.calls == []


def test_pre_flight_limits_never_reach_hooks() -> None:
    client = fake_client()
    log: list[str] = []
    for limits in (RuntimeLimits(max_operations=3), RuntimeLimits(max_depth=1)):
        rt = runtime(client, limits=limits)
        rt.use(trace("A", log))
        with pytest.raises(LimitExceededError):
            rt.execute_query("getUserAccess", {"userId": "alice"})
    rt = runtime(client, limits=RuntimeLimits(max_items=10))  # static limit 20 > 10
    rt.use(trace("A", log))
    with pytest.raises(LimitExceededError):
        rt.execute_query("listUserGroups", {"userId": "alice"})
    assert log == []
    assert client.calls == []


def test_r1_can_mutate_params_and_the_request_follows() -> None:
    client = fake_client()
    rt = runtime(client)

    def r1(ctx: Any) -> None:
        ctx.params["params"]["groupId"] = "ops"

    rt.use(middleware({"R1": r1}))
    rt.execute_query("getGroup", {"groupId": "eng"})
    assert client.requests("get_item") == [
        {"TableName": TABLE, "Key": {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}}}
    ]


def test_r1_can_replace_params_and_options() -> None:
    client = fake_client()
    rt = runtime(client)

    def r1(ctx: Any) -> None:
        ctx.params = {"params": {"groupId": "ops"}, "options": {"consistentRead": True}}

    rt.use(middleware({"R1": r1}))
    result = rt.execute_query("getGroup", {"groupId": "eng"}, {"numbers": "native"})
    assert client.requests("get_item") == [
        {
            "TableName": TABLE,
            "Key": {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}},
            "ConsistentRead": True,
        }
    ]
    assert result == {"groupId": "ops", "name": "Operations", "memberCount": Decimal("5")}
    assert isinstance(result["memberCount"], Decimal)  # the rewritten options have no numbers


def test_r1_option_rewrites_are_honoured() -> None:
    client = fake_client()
    rt = runtime(client)

    def r1(ctx: Any) -> None:
        ctx.params["options"].update(limit=1, order="desc", numbers="native")

    rt.use(middleware({"R1": r1}))
    result = rt.execute_query("listMembers", {"groupId": "eng"})
    assert client.requests("query") == [{**LIST_MEMBERS, "Limit": 1, "ScanIndexForward": False}]
    assert [m["userId"] for m in result["items"]] == ["bob"]
    assert result["cursor"] is not None
    result = rt.execute_query("getGroup", {"groupId": "eng"})
    assert result["memberCount"] == 2 and type(result["memberCount"]) is int


@pytest.mark.parametrize(
    ("query_id", "params", "rewrite", "error"),
    [
        ("getUser", {"userId": "alice"}, {"params": {"userId": 5}}, ParameterValidationError),
        ("getUser", {"userId": "alice"}, {"params": {}}, ParameterValidationError),
        ("getUser", {"userId": "alice"}, {"options": {"limit": "x"}}, ParameterValidationError),
        ("listMembers", {"groupId": "eng"}, {"options": {"limit": 1000}}, LimitExceededError),
        ("listMembers", {"groupId": "eng"}, {"options": {"cursor": "%%%"}}, CursorError),
        (
            "getUserByEmail",
            {"email": "alice@example.com"},
            {"options": {"consistentRead": True}},
            ParameterValidationError,
        ),
    ],
)
def test_r1_rewrites_are_re_validated_and_pre_flight_runs_again(
    query_id: str, params: dict[str, Any], rewrite: dict[str, Any], error: type[Exception]
) -> None:
    client = fake_client()
    rt = runtime(client)

    def r1(ctx: Any) -> None:
        for part, values in rewrite.items():
            if part == "params" and not values:
                ctx.params["params"] = {}
            ctx.params[part].update(values)

    spy = Spy(("R2", "R4", "R5"))
    rt.use(middleware({"R1": r1}))
    rt.use(spy.tree)
    with pytest.raises(error) as info:
        rt.execute_query(query_id, params)
    assert spy.labels == ["R5"]  # errors after R1 go to R5 (section 38.1 step 6)
    assert spy.args("R5") == [(info.value,)]
    assert client.calls == []


def test_r2_mutations_reach_the_wire_and_type_is_stripped(boto_client: Any, stub: Stubber) -> None:
    rt = runtime(boto_client)

    def r2(ctx: Any) -> None:
        operation = ctx.operation
        operation["FilterExpression"] = "#role = :role"
        operation["ExpressionAttributeNames"]["#role"] = "role"
        operation["ExpressionAttributeValues"][":role"] = {"S": "admin"}
        operation["ReturnConsumedCapacity"] = "TOTAL"

    rt.use(middleware({"R2": r2}))
    alice = item_av({k: v for k, v in seed_row("GROUP#eng", "USER#alice").items()})
    stub.add_response(
        "query",
        {"Items": [alice]},
        {
            "TableName": TABLE,
            "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
            "ExpressionAttributeNames": {"#k0": "PK", "#kr": "SK", "#role": "role"},
            "ExpressionAttributeValues": {
                ":k0": {"S": "GROUP#eng"},
                ":kr": {"S": "USER#"},
                ":role": {"S": "admin"},
            },
            "FilterExpression": "#role = :role",
            "ReturnConsumedCapacity": "TOTAL",
        },
    )
    result = rt.execute_query("listMembers", {"groupId": "eng"})
    assert [m["userId"] for m in result["items"]] == ["alice"]


def test_r2_can_redirect_a_get_item_and_the_request_has_no_type() -> None:
    client = fake_client()
    rt = runtime(client)

    def r2(ctx: Any) -> None:
        ctx.operation["Key"] = {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}}
        ctx.operation["ConsistentRead"] = True

    rt.use(middleware({"R2": r2}))
    result = rt.execute_query("getGroup", {"groupId": "eng"})
    assert result == {"groupId": "ops", "name": "Operations", "memberCount": Decimal("5")}
    assert_exact(
        client.calls,
        [
            (
                "get_item",
                {
                    "TableName": TABLE,
                    "Key": {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}},
                    "ConsistentRead": True,
                },
            )
        ],
    )


def test_r3_receives_deserialized_raw_items() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R3",))
    rt.use(spy.tree)
    rt.execute_query("getGroup", {"groupId": "eng"})
    rt.execute_query("getGroup", {"groupId": "missing"})
    rt.execute_query("listMembers", {"groupId": "eng"})
    (group,), (missing,), (members,) = spy.args("R3")
    assert group == [seed_row("GROUP#eng", "META")]  # every attribute, keys included
    assert type(group[0]["memberCount"]) is Decimal
    assert missing == []
    assert members == [seed_row("GROUP#eng", "USER#alice"), seed_row("GROUP#eng", "USER#bob")]
    assert members[0]["joinedAt"] == "2024-03-01T09:30:00.000Z"  # raw: not yet hydrated


def test_hook_payloads_use_decimal_even_when_the_runtime_returns_native_numbers() -> None:
    """Section 9.4: R3 raw items and W2 images always use Decimal."""
    client = fake_client()
    client.replies["update_item"] = {"Attributes": ORDER_ITEM}
    rt = runtime(client, limits=RuntimeLimits(numbers="native"))
    spy = Spy(("R3", "R4", "W2"))
    rt.use(spy.tree)
    result = rt.execute_query("getGroup", {"groupId": "eng"})
    assert type(result["memberCount"]) is int
    ((items,),) = spy.args("R3")
    assert type(items[0]["memberCount"]) is Decimal
    assert type(spy.args("R4")[0][0]["memberCount"]) is Decimal
    rt.execute_command("raiseOrderTotal", RAISE)
    ((change,),) = spy.args("W2")
    assert type(change["oldImage"]["total"]) is Decimal
    assert type(change["newImage"]["total"]) is Decimal


def test_r3_receives_query_items_after_truncation() -> None:
    rt = runtime(fake_client(), limits=RuntimeLimits(max_items=1))
    spy = Spy(("R3",))
    rt.use(spy.tree)
    result = rt.execute_query("listMembers", {"groupId": "eng"})
    assert spy.args("R3") == [([seed_row("GROUP#eng", "USER#alice")],)]
    assert [m["userId"] for m in result["items"]] == ["alice"]
    assert result["cursor"] is not None


@pytest.mark.parametrize("returned", ["text", {"a": 1}, (1, 2), 0])
def test_r3_returning_a_non_list_raises_graphddb_error(returned: Any) -> None:
    rt = runtime(fake_client())
    rt.use(middleware({"R3": lambda ctx, items: returned}))
    with pytest.raises(GraphDDBError):
        rt.execute_query("getUser", {"userId": "alice"})


def test_r3_replacement_items_are_hydrated_with_the_op_projection() -> None:
    rt = runtime(fake_client())
    replacement = [{**seed_row("GROUP#eng", "USER#bob"), "extra": "dropped"}]
    rt.use(middleware({"R3": lambda ctx, items: replacement}))
    result = rt.execute_query("listMembers", {"groupId": "eng"})
    assert result == {
        "items": [
            {
                "groupId": "eng",
                "userId": "bob",
                "role": "member",
                "joinedAt": datetime(2024, 3, 2, tzinfo=UTC),
            }
        ],
        "cursor": None,
    }


def test_r5_op_recovery_replaces_the_items_and_the_cursor_becomes_none() -> None:
    rt = runtime(fake_client())
    assert rt.execute_query("listUserGroups", {"userId": "alice"}, {"limit": 1})["cursor"]

    def r3(ctx: Any, items: Any) -> None:
        raise Boom("after the page arrived")

    rt.use(middleware({"R3": r3, "R5op": lambda ctx, err: [{"groupId": "zzz", "role": "owner"}]}))
    result = rt.execute_query("listUserGroups", {"userId": "alice"}, {"limit": 1})
    assert result == {"items": [{"groupId": "zzz", "role": "owner"}], "cursor": None}


def test_r5_op_recovery_with_a_non_list_raises_graphddb_error() -> None:
    """Implementation decision: an op-level recovery value must be a list."""
    _, rt = _failing_read_runtime(RuntimeError("x"))
    rt.use(middleware({"R5op": lambda ctx, err: {"not": "a list"}}))
    with pytest.raises(GraphDDBError):
        rt.execute_query("listMembers", {"groupId": "eng"})


def test_r4_runs_after_every_op_and_an_r4_error_goes_to_r5() -> None:
    rt = runtime(fake_client())
    error = Boom("R4")
    log: list[str] = []

    def r4(ctx: Any, result: Any) -> None:
        log.append("R4")
        raise error

    def r5(ctx: Any, err: BaseException) -> Any:
        log.append("R5")
        return {"recovered": err}

    rt.use(trace("t", log, ("R1", "R2", "R3")))
    rt.use(middleware({"R4": r4, "R5": r5}))
    assert rt.execute_query("getUser", {"userId": "alice"}) == {"recovered": error}
    assert log == ["t:R1", "t:R2", "t:R3", "R4", "R5"]


def test_hooks_see_decimals_and_native_numbers_apply_after_r4() -> None:
    rt = runtime(fake_client())
    seen: dict[str, Any] = {}

    def r3(ctx: Any, items: Any) -> None:
        seen["r3"] = items[0]["memberCount"]

    def r4(ctx: Any, result: Any) -> Any:
        seen["r4"] = result["memberCount"]
        return {**result, "extra": Decimal("1.5")}

    rt.use(middleware({"R3": r3, "R4": r4}))
    result = rt.execute_query("getGroup", {"groupId": "eng"}, {"numbers": "native"})
    assert type(seen["r3"]) is Decimal and type(seen["r4"]) is Decimal
    assert result == {"groupId": "eng", "name": "Engineering", "memberCount": 2, "extra": 1.5}
    assert type(result["memberCount"]) is int and type(result["extra"]) is float


# --- relation fetches (section 38.1 step 4; expected to fail until relation hooks land) ---------

MEMBERSHIPS_QUERY: dict[str, Any] = {
    "TableName": TABLE,
    "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
    "ExpressionAttributeNames": {"#k0": "GSI1PK", "#kr": "GSI1SK"},
    "ExpressionAttributeValues": {":k0": {"S": "USER#alice"}, ":kr": {"S": "GROUP#"}},
    "IndexName": "GSI1",
    "Limit": 20,
}
GROUP_KEYS = [
    {"PK": {"S": "GROUP#eng"}, "SK": {"S": "META"}},
    {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}},
]
GROUP_REQUEST_EXTRA: dict[str, Any] = {
    "ProjectionExpression": "#p0, #p1, #p2, #p3",
    "ExpressionAttributeNames": {"#p0": "groupId", "#p1": "name", "#p2": "PK", "#p3": "SK"},
}


def permissions_query(group: str) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
        "ExpressionAttributeNames": {"#k0": "PK", "#kr": "SK", "#f0": "resource"},
        "ExpressionAttributeValues": {":k0": {"S": f"GROUP#{group}"}, ":kr": {"S": "PERM#"}},
        "Limit": 20,
        "FilterExpression": "attribute_exists(#f0)",
    }


def _by_path(spy: Spy, label: str) -> dict[tuple[str, ...], list[Any]]:
    found: dict[tuple[str, ...], list[Any]] = {}
    for ctx in spy.ctxs(label):
        found.setdefault(ctx.relation_path, []).append(ctx)
    return found


def test_relation_every_fetch_goes_through_r2_and_r3() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R2", "R3"))
    rt.use(spy.tree)
    assert rt.execute_query("getUserAccess", {"userId": "alice"}) == ACCESS
    ops = _by_path(spy, "R2")
    assert sorted((path, len(ctxs)) for path, ctxs in ops.items()) == [
        ((), 1),
        (("groups",), 1),
        (("groups", "group"), 1),  # each belongsTo leg once
        (("groups", "permissions"), 2),  # each per-parent Query
    ]
    assert [ctx.kind for ctx in spy.ctxs("R2")[:2]] == ["GetItem", "Query"]
    (root,), (memberships,) = ops[()], ops[("groups",)]
    (groups,), permissions = ops[("groups", "group")], ops[("groups", "permissions")]
    assert root.operation == {"type": "GetItem", "TableName": TABLE, "Key": ALICE_KEY}
    assert memberships.operation == {"type": "Query", **MEMBERSHIPS_QUERY}
    assert groups.kind == "BatchGetItem"
    assert groups.operation == {
        "type": "BatchGetItem",
        "tableName": TABLE,
        "keys": GROUP_KEYS,
        "requestExtra": GROUP_REQUEST_EXTRA,
    }
    assert sorted(
        (ctx.kind, ctx.operation["ExpressionAttributeValues"][":k0"]["S"]) for ctx in permissions
    ) == [("Query", "GROUP#eng"), ("Query", "GROUP#ops")]
    for ctx in permissions:
        group = ctx.operation["ExpressionAttributeValues"][":k0"]["S"].split("#")[1]
        assert ctx.operation == {"type": "Query", **permissions_query(group)}
    assert [plain(c.model)["entity"] for c in (root, memberships, groups, permissions[0])] == [
        "UserModel",
        "GroupMembershipModel",
        "GroupModel",
        "PermissionModel",
    ]
    assert plain(groups.model) == model("GroupModel")
    r3_ctxs = spy.ctxs("R3")
    assert len(r3_ctxs) == 5
    assert {id(c) for c in r3_ctxs} == {id(c) for c in spy.ctxs("R2")}  # R2 -> send -> R3


def test_relation_op_states_are_fresh_and_every_hook_shares_the_context() -> None:
    rt = runtime(fake_client())
    states: list[dict[str, Any]] = []
    contexts: list[int] = []

    def r2(ctx: Any) -> None:
        states.append(dict(ctx.state))
        ctx.state["mine"] = id(ctx)
        contexts.append(id(ctx.context))

    def r3(ctx: Any, items: Any) -> None:
        assert ctx.state == {"mine": id(ctx)}
        contexts.append(id(ctx.context))

    def r1(ctx: Any) -> None:
        contexts.append(id(ctx.context))

    rt.use(middleware({"R1": r1, "R2": r2, "R3": r3, "R4": lambda ctx, r: r1(ctx)}))
    rt.execute_query("getUserAccess", {"userId": "alice"}, {"context": {"t": 1}})
    assert states == [{}] * 5
    assert len(contexts) == 12 and len(set(contexts)) == 1


def test_relation_r3_receives_raw_items_of_each_leg() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R3",))
    rt.use(spy.tree)
    rt.execute_query("getUserAccess", {"userId": "alice"})
    by_path: dict[tuple[str, ...], list[Any]] = {c.relation_path: [] for c in spy.ctxs("R3")}
    for label, ctx, (items,) in spy.calls:
        assert label == "R3"
        by_path[ctx.relation_path].append(items)
    assert by_path[("groups",)] == [
        [seed_row("GROUP#eng", "USER#alice"), seed_row("GROUP#ops", "USER#alice")]
    ]
    (groups,) = by_path[("groups", "group")]
    assert sorted(groups, key=lambda g: g["groupId"]) == [  # projected by BatchGetItem
        {"groupId": "eng", "name": "Engineering", "PK": "GROUP#eng", "SK": "META"},
        {"groupId": "ops", "name": "Operations", "PK": "GROUP#ops", "SK": "META"},
    ]
    assert sorted(by_path[("groups", "permissions")], key=len) == [
        [],
        [seed_row("GROUP#eng", "PERM#codebase#read"), seed_row("GROUP#eng", "PERM#codebase#write")],
    ]


def test_relation_a_chunked_batch_get_leg_runs_its_hooks_once() -> None:
    client = fake_client()
    rt = runtime(client, limits=RuntimeLimits(max_batch_get_items=1))
    spy = Spy(("R2", "R3"))
    rt.use(spy.tree)
    assert rt.execute_query("getUserAccess", {"userId": "alice"}) == ACCESS
    assert client.count("batch_get_item") == 2  # the executor chunks the keys
    legs = [ctx for ctx in spy.ctxs("R2") if ctx.kind == "BatchGetItem"]
    assert len(legs) == 1
    leg = legs[0]
    assert leg.operation["keys"] == GROUP_KEYS
    ((items,),) = [args for label, ctx, args in spy.calls if label == "R3" and ctx is leg]
    assert sorted(item["groupId"] for item in items) == ["eng", "ops"]


def test_relation_r2_mutations_of_batch_get_and_per_parent_queries_reach_the_wire() -> None:
    client = fake_client()
    rt = runtime(client)

    def r2(ctx: Any) -> None:
        if ctx.kind == "BatchGetItem":
            ctx.operation["keys"] = ctx.operation["keys"][:1]
            ctx.operation["requestExtra"]["ConsistentRead"] = True
        elif ctx.relation_path == ("groups", "permissions"):
            ctx.operation["Limit"] = 1

    rt.use(middleware({"R2": r2}))
    result = rt.execute_query("getUserAccess", {"userId": "alice"})
    (batch,) = client.requests("batch_get_item")
    assert batch == {
        "RequestItems": {
            TABLE: {"Keys": GROUP_KEYS[:1], **GROUP_REQUEST_EXTRA, "ConsistentRead": True}
        }
    }
    permission_requests = [r for r in client.requests("query") if "FilterExpression" in r]
    assert sorted(r["ExpressionAttributeValues"][":k0"]["S"] for r in permission_requests) == [
        "GROUP#eng",
        "GROUP#ops",
    ]
    assert all(r["Limit"] == 1 for r in permission_requests)
    eng, ops = result["groups"]["items"]
    assert eng["group"] == {"groupId": "eng", "name": "Engineering"}
    assert ops["group"] is None
    assert eng["permissions"]["items"] == [{"resource": "codebase", "action": "read"}]
    assert eng["permissions"]["cursor"] is not None


def test_relation_r3_replacements_are_used_for_the_assembly() -> None:
    rt = runtime(fake_client())

    def r3(ctx: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        if ctx.kind == "BatchGetItem":
            return [{**item, "name": item["name"].upper()} for item in items]
        if ctx.relation_path == ("groups", "permissions"):
            return [item for item in items if item["action"] != "write"]
        return None

    rt.use(middleware({"R3": r3}))
    result = rt.execute_query("getUserAccess", {"userId": "alice"})
    eng, ops = result["groups"]["items"]
    assert eng["group"] == {"groupId": "eng", "name": "ENGINEERING"}
    assert ops["group"] == {"groupId": "ops", "name": "OPERATIONS"}
    assert eng["permissions"]["items"] == [{"resource": "codebase", "action": "read"}]


def test_relation_r5_op_recovers_a_failed_batch_get_and_a_failed_per_parent_query() -> None:
    client = fake_client()

    def fail(method: str, kwargs: dict[str, Any]) -> BaseException | None:
        if method == "batch_get_item":
            return RuntimeError("batch down")
        if method == "query" and kwargs["ExpressionAttributeValues"][":k0"]["S"] == "GROUP#eng":
            return RuntimeError("eng permissions down")
        return None

    client.fail = fail
    rt = runtime(client)
    spy = Spy(("R5",), R5op=lambda ctx, err: RECOVER_NONE)
    rt.use(spy.tree)
    result = rt.execute_query("getUserAccess", {"userId": "alice"})
    eng, ops = result["groups"]["items"]
    assert eng["group"] is None and ops["group"] is None
    assert eng["permissions"] == {"items": [], "cursor": None}
    assert ops["permissions"] == {"items": [], "cursor": None}
    assert sorted(ctx.kind for ctx in spy.ctxs("R5op")) == ["BatchGetItem", "Query"]
    assert spy.ctxs("R5") == []


def test_relation_r5_op_recovery_value_replaces_the_leg_items() -> None:
    client = fake_client()
    client.fail_on("batch_get_item", RuntimeError("batch down"))
    rt = runtime(client)
    recovered = [{"PK": "GROUP#ops", "SK": "META", "groupId": "ops", "name": "Cached ops"}]
    rt.use(middleware({"R5op": lambda ctx, err: recovered}))
    eng, ops = rt.execute_query("getUserAccess", {"userId": "alice"})["groups"]["items"]
    assert eng["group"] is None
    assert ops["group"] == {"groupId": "ops", "name": "Cached ops"}


def test_relation_failure_declined_at_op_level_reaches_r5_unchanged() -> None:
    client = fake_client()
    error = RuntimeError("batch down")
    client.fail_on("batch_get_item", error)
    rt = runtime(client)
    spy = Spy(("R5op", "R5"))
    rt.use(spy.tree)
    with pytest.raises(RuntimeError) as info:
        rt.execute_query("getUserAccess", {"userId": "alice"})
    assert info.value is error
    assert [(label, args) for label, _, args in spy.calls] == [
        ("R5op", (error,)),
        ("R5", (error,)),
    ]
    assert spy.ctxs("R5op")[0].kind == "BatchGetItem"


# ==================================================================================================
# Section 38.2: contract query methods
# ==================================================================================================


def test_contract_single_point_call_runs_r1_to_r4_with_context_from_params() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy()
    rt.use(spy.tree)
    caller_context = {"tenant": "t1"}
    result = rt.execute_query_method(
        "UserById", "get", {"userId": "alice"}, {"context": caller_context, "consistentRead": True}
    )
    assert result == ALICE
    assert spy.labels == ["R1", "R2", "R3", "R4"]
    request_ctx, op_ctx, _, _ = (ctx for _, ctx, _ in spy.calls)
    assert type(request_ctx) is ReadRequestCtx and request_ctx.kind == "query"
    assert request_ctx.params["params"] == {"userId": "alice"}
    assert request_ctx.context == caller_context and request_ctx.context is not caller_context
    assert {id(ctx.context) for _, ctx, _ in spy.calls} == {id(request_ctx.context)}
    assert plain(request_ctx.model) == model("UserModel")
    assert type(op_ctx) is ReadOpCtx and op_ctx.kind == "GetItem"
    assert op_ctx.operation == {"type": "GetItem", **GET_ALICE, "ConsistentRead": True}
    assert spy.args("R4") == [(ALICE,)]


def test_contract_single_call_without_context_gets_an_empty_context() -> None:
    rt = runtime(fake_client(), CONTRACTS_SPEC)
    spy = Spy(("R1", "R2", "R3", "R4"))
    rt.use(spy.tree)
    rt.execute_query_method("UserById", "get", {"userId": "alice"})
    rt.execute_query_method("UserById", "get", {"userId": "alice"}, {"context": {}})
    for call in (spy.calls[:4], spy.calls[4:]):
        assert [label for label, _, _ in call] == ["R1", "R2", "R3", "R4"]
        assert call[0][1].context == {}
        assert {id(ctx.context) for _, ctx, _ in call} == {id(call[0][1].context)}


def test_contract_single_range_call_runs_the_pipeline() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy()
    rt.use(spy.tree)
    result = rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"})
    assert [m["userId"] for m in result["items"]] == ["alice", "bob"]
    assert spy.labels == ["R1", "R2", "R3", "R4"]
    op_ctx = spy.ctxs("R2")[0]
    assert op_ctx.kind == "Query"
    assert op_ctx.operation == {"type": "Query", **LIST_MEMBERS, "Limit": 50}
    assert spy.args("R3")[0][0] == [
        seed_row("GROUP#eng", "USER#alice"),
        seed_row("GROUP#eng", "USER#bob"),
    ]


def test_contract_r1_may_redirect_the_key() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)

    def r1(ctx: Any) -> None:
        ctx.params["params"] = {"groupId": "ops"}

    rt.use(middleware({"R1": r1}))
    result = rt.execute_query_method("GroupById", "get", {"groupId": "eng"})
    assert result == {"groupId": "ops", "name": "Operations", "memberCount": Decimal("5")}
    assert client.requests("get_item") == [
        {"TableName": TABLE, "Key": {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}}}
    ]


@pytest.mark.parametrize("redirect", [{"groupId": 5}, {}, {"groupId": None}])
def test_contract_r1_key_redirects_are_re_validated(redirect: dict[str, Any]) -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)

    def r1(ctx: Any) -> None:
        ctx.params["params"] = redirect

    spy = Spy(("R5",))
    rt.use(middleware({"R1": r1}))
    rt.use(spy.tree)
    with pytest.raises(ParameterValidationError):
        rt.execute_query_method("GroupById", "get", {"groupId": "eng"})
    assert client.calls == []


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"limit": 1000}, LimitExceededError),
        ({"limit": "x"}, ParameterValidationError),
        ({"after": "%%%"}, CursorError),
    ],
)
def test_contract_r1_option_rewrites_are_re_checked_before_any_call(
    options: dict[str, Any], error: type[Exception]
) -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    rt.use(middleware({"R1": lambda ctx: ctx.params["options"].update(options)}))
    with pytest.raises(error):
        rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"})
    assert client.calls == []


def test_contract_r1_option_rewrites_reach_the_request() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    rt.use(middleware({"R1": lambda ctx: ctx.params["options"].update(limit=1, order="desc")}))
    result = rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"})
    assert client.requests("query") == [{**LIST_MEMBERS, "Limit": 1, "ScanIndexForward": False}]
    assert [m["userId"] for m in result["items"]] == ["bob"]


@pytest.mark.parametrize(
    ("key", "params"),
    [({"groupId": 5}, None), ({}, None), ({"groupId": "eng"}, {"limit": 0})],
)
def test_contract_validation_errors_never_reach_hooks(key: Any, params: Any) -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    log: list[str] = []
    rt.use(trace("A", log))
    with pytest.raises(ParameterValidationError):
        rt.execute_query_method("GroupById", "get", key, params)
    assert log == [] and client.calls == []


def test_contract_point_arrays_fire_no_hooks() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    log: list[str] = []
    rt.use(trace("A", log))
    result = rt.execute_query_method("GroupById", "get", [{"groupId": "eng"}, {"groupId": "x"}])
    assert result['{"groupId":"eng"}']["name"] == "Engineering"
    assert result['{"groupId":"x"}'] is None
    assert client.methods == ["batch_get_item"]
    assert log == []


def test_contract_compositions_fire_no_hooks() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy()
    rt.use(spy.tree)
    result = rt.execute_query_method("MemberAccess", "get", {"groupId": "eng", "userId": "alice"})
    assert result["group"]["name"] == "Engineering"
    assert result["user"]["name"] == "Alice"
    assert client.methods == ["get_item", "batch_get_item", "batch_get_item"]
    assert spy.labels == ["R1", "R2", "R3", "R4"]  # the root GetItem only
    assert spy.ctxs("R2")[0].kind == "GetItem"


def test_contract_command_read_backs_fire_no_read_hooks() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy(("R1", "R2", "R3", "R4", "R5", "R5op", "W1", "W3", "W4"))
    rt.use(spy.tree)
    result = rt.execute_command_method(
        "MembershipCommands",
        "add",
        {"groupId": "eng", "userId": "zed"},
        {"role": "member", "joinedAt": JOINED},
    )
    assert result == {"groupId": "eng", "userId": "zed", "role": "member"}
    assert client.methods == ["put_item", "get_item"]
    assert spy.labels == ["W1", "W3", "W4"]


def test_contract_parallel_coalesced_batch_writes_fire_no_hooks() -> None:
    """Section 34.3: the coalesced BatchWriteItem path fires no hooks."""
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    log: list[str] = []
    rt.use(trace("A", log))
    keys = [{"groupId": "eng", "userId": "bob"}, {"groupId": "ops", "userId": "alice"}]
    result = rt.execute_command_method("MembershipCommands", "remove", keys)
    assert result == {"results": [{"ok": True}, {"ok": True}]}
    assert client.methods == ["batch_write_item"]
    assert log == []


def test_contract_parallel_per_key_commands_run_the_write_hooks_per_key() -> None:
    """Section 34.3: the per-key path calls execute_command, so W1..W4 fire for each key."""
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy(("W1", "W3", "W4"))
    rt.use(spy.tree)
    keys = [{"userId": "alice"}, {"userId": "bob"}]
    result = rt.execute_command_method(
        "MembershipCommands", "setStatus", keys, {"status": "disabled"}, {"context": {"by": "ops"}}
    )
    assert result == {"results": [{"ok": True}, {"ok": True}]}
    assert spy.labels == ["W1", "W3", "W4"] * 2
    assert [ctx.input["key"]["userId"] for ctx in spy.ctxs("W1")] == ["alice", "bob"]
    assert all(ctx.context == {"by": "ops"} for ctx in spy.ctxs("W1"))
    assert client.methods == ["update_item", "update_item"]


def test_contract_single_command_methods_run_the_write_hooks() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy(("W1", "W3", "W4"))
    rt.use(spy.tree)
    rt.execute_command_method(
        "UserCommands", "disable", {"userId": "alice"}, {"status": "disabled"}
    )
    assert spy.labels == ["W1", "W3", "W4"]
    (ctx,) = spy.ctxs("W1")
    assert ctx.kind == "update" and ctx.model["entity"] == "UserModel"
    assert ctx.input == {
        "params": {"userId": "alice", "status": "disabled"},
        "key": {"userId": "alice", "status": "disabled"},
        "changes": {},
    }


# ==================================================================================================
# Section 39: single-op write hooks
# ==================================================================================================


@pytest.mark.parametrize(
    ("command", "params", "error"),
    [
        ("nope", USER, CommandNotFoundError),
        ("createUser", {**USER, "userId": 5}, ParameterValidationError),
        ("createUser", {"userId": "u1"}, ParameterValidationError),
        ("setOrderStatus", {"orderId": "o1"}, ParameterValidationError),
        ("removeMember", {"groupId": "eng", "userId": ["bob"]}, ParameterValidationError),
    ],
)
def test_write_validation_runs_outside_the_hooks(
    command: str, params: dict[str, Any], error: type[Exception]
) -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []
    rt.use(trace("A", log))
    with pytest.raises(error):
        rt.execute_command(command, params)
    assert log == [] and client.calls == []


@pytest.mark.parametrize(
    "options",
    [{"returnValues": "ALL_NEW"}, {"returnValues": "NONE"}, {"numbers": "x"}, {"context": 1}, 5],
)
def test_write_option_errors_run_outside_the_hooks(options: Any) -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []
    rt.use(trace("A", log))
    with pytest.raises(ParameterValidationError):
        rt.execute_command("createUser", USER, options)
    assert log == [] and client.calls == []


def test_write_input_shapes_per_kind() -> None:
    rt = runtime(fake_client())
    spy = Spy(("W1",))
    rt.use(spy.tree)
    for command, params, _, _ in COMMANDS:
        rt.execute_command(command, params)
    put, update, delete = spy.ctxs("W1")
    assert put.input == {"params": USER, "item": USER}
    assert update.input == {"params": STATUS, "key": STATUS, "changes": {}}
    assert delete.input == {"params": REMOVE, "key": REMOVE}
    for ctx, params, other in (
        (put, USER, "item"),
        (update, STATUS, "key"),
        (delete, REMOVE, "key"),
    ):
        assert ctx.input["params"] is not params and ctx.input[other] is not params
        assert ctx.input["params"] is not ctx.input[other]


def test_w1_mutations_never_touch_the_caller_params() -> None:
    rt = runtime(fake_client())
    params = dict(USER)

    def w1(ctx: Any) -> None:
        ctx.input["params"]["name"] = "Changed"
        ctx.input["item"]["name"] = "Changed"
        ctx.input["item"]["injected"] = 1

    rt.use(middleware({"W1": w1}))
    rt.execute_command("createUser", params)
    assert params == USER


def test_w1_put_rewrites_of_declared_params_are_re_derived() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["item"]["email"] = "bea@example.com"
        ctx.input["params"]["name"] = "from params"
        ctx.input["item"]["name"] = "Bea"  # input["item"] wins over input["params"]
        ctx.input["params"]["createdAt"] = "2025-01-01T00:00:00.000Z"

    rt.use(middleware({"W1": w1}))
    rt.execute_command("createUser", USER)
    expected = copy.deepcopy(CREATE_USER)
    expected["Item"].update(
        name={"S": "Bea"},
        email={"S": "bea@example.com"},
        GSI1PK={"S": "EMAIL#bea@example.com"},
    )
    # createdAt is still {createdAt} from input["item"], which overrides input["params"]
    assert_exact(client.requests("put_item"), [expected])


def test_w1_params_rewrite_applies_when_no_item_entry_overrides_it() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        del ctx.input["item"]["createdAt"]
        ctx.input["params"]["createdAt"] = "2025-01-01T00:00:00.000Z"

    rt.use(middleware({"W1": w1}))
    rt.execute_command("createUser", USER)
    expected = copy.deepcopy(CREATE_USER)
    expected["Item"]["createdAt"] = {"S": "2025-01-01T00:00:00.000Z"}
    assert_exact(client.requests("put_item"), [expected])


def test_w1_update_and_delete_key_rewrites_are_re_derived() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "update":
            ctx.input["key"]["orderId"] = "o2"
            ctx.input["key"]["tenantId"] = "t2"
        else:
            ctx.input["params"]["userId"] = "carol"  # overridden by input["key"]
            ctx.input["key"]["groupId"] = "ops"

    rt.use(middleware({"W1": w1}))
    rt.execute_command("setOrderStatus", STATUS)
    rt.execute_command("removeMember", REMOVE)
    expected = copy.deepcopy(SET_STATUS)
    expected["Key"] = {"PK": {"S": "ORDER#o2"}, "SK": {"S": "META"}}
    expected["ExpressionAttributeValues"].update(
        {":gsi0pk": {"S": "TENANT#t2#STATUS#SHIPPED"}, ":gsi0sk": {"S": "ORDER#o2"}}
    )
    assert_exact(client.requests("update_item"), [expected])
    assert_exact(
        client.requests("delete_item"),
        [{"TableName": TABLE, "Key": {"PK": {"S": "GROUP#ops"}, "SK": {"S": "USER#bob"}}}],
    )


def _set_in(part: str, name: str, value: Any) -> Hook:
    def w1(ctx: Any) -> None:
        if value is _DELETE:
            ctx.input["params"].pop(name, None)
            ctx.input[part].pop(name, None)
        else:
            ctx.input[part][name] = value

    return w1


_DELETE = object()


@pytest.mark.parametrize(
    ("command", "params", "w1"),
    [
        ("createUser", USER, _set_in("item", "userId", 5)),
        ("createUser", USER, _set_in("item", "email", None)),
        ("createUser", USER, _set_in("item", "name", _DELETE)),
        ("createUser", USER, _set_in("item", "name", ["not", "a", "string"])),
        ("setOrderStatus", STATUS, _set_in("key", "status", 7)),
        ("setOrderStatus", STATUS, _set_in("key", "orderId", _DELETE)),
        ("removeMember", REMOVE, _set_in("key", "groupId", {"S": "eng"})),
    ],
)
def test_w1_rewrites_are_re_validated(command: str, params: dict[str, Any], w1: Hook) -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W3", "W5"))
    rt.use(middleware({"W1": w1}))
    rt.use(spy.tree)
    with pytest.raises(ParameterValidationError) as info:
        rt.execute_command(command, params)
    assert spy.labels == ["W5"] and spy.args("W5") == [(info.value,)]
    assert client.calls == []


def test_w1_item_template_fields_replace_the_record_before_key_derivation() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["item"]["status"] = "SHIPPED"  # a literal template field, not a param

    rt.use(middleware({"W1": w1}))
    rt.execute_command("placeOrder", ORDER)
    expected = copy.deepcopy(PLACE_ORDER)
    expected["Item"]["status"] = {"S": "SHIPPED"}
    expected["Item"]["GSI1PK"] = {"S": "TENANT#t1#STATUS#SHIPPED"}
    assert_exact(client.requests("put_item"), [expected])


def test_w1_extra_put_attributes_are_typed_and_follow_the_derived_keys() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["item"].update(
            tags=["a", "b"],
            score=Decimal("1.5"),
            ratio=0.25,
            active=True,
            meta={"k": 1},
            nothing=None,
        )

    rt.use(middleware({"W1": w1}))
    rt.execute_command("createUser", USER)
    expected = copy.deepcopy(CREATE_USER)
    expected["Item"].update(
        tags={"L": [{"S": "a"}, {"S": "b"}]},
        score={"N": "1.5"},
        ratio={"N": "0.25"},
        active={"BOOL": True},
        meta={"M": {"k": {"N": "1"}}},
        nothing={"NULL": True},
    )
    assert_exact(client.requests("put_item"), [expected])


def test_undeclared_key_names_are_ignored() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["key"].update(bogus="x", PK="USER#evil")

    rt.use(middleware({"W1": w1}))
    rt.execute_command("setOrderStatus", STATUS)
    rt.execute_command("removeMember", REMOVE)
    assert_exact(client.requests("update_item"), [SET_STATUS])
    assert_exact(client.requests("delete_item"), [REMOVE_MEMBER])


def test_w1_changes_add_typed_set_entries_after_the_spec_changes() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["changes"] = {"note": "rush", "priority": 2, "flags": ["a"]}

    rt.use(middleware({"W1": w1}))
    rt.execute_command("setOrderStatus", STATUS)
    assert_exact(
        client.requests("update_item"),
        [
            {
                "TableName": TABLE,
                "Key": ORDER_KEY,
                "UpdateExpression": (
                    "SET #c0 = :c0, #c1 = :c1, #c2 = :c2, #c3 = :c3, "
                    "#gsi0pk = :gsi0pk, #gsi0sk = :gsi0sk"
                ),
                "ExpressionAttributeNames": {
                    "#c0": "status",
                    "#c1": "note",
                    "#c2": "priority",
                    "#c3": "flags",
                    "#gsi0pk": "GSI1PK",
                    "#gsi0sk": "GSI1SK",
                },
                "ExpressionAttributeValues": {
                    ":c0": {"S": "SHIPPED"},
                    ":c1": {"S": "rush"},
                    ":c2": {"N": "2"},
                    ":c3": {"L": [{"S": "a"}]},
                    ":gsi0pk": {"S": "TENANT#t1#STATUS#SHIPPED"},
                    ":gsi0sk": {"S": "ORDER#o1"},
                },
            }
        ],
    )


def test_w1_changes_of_an_existing_field_keep_its_position_and_re_derive_gsis() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["changes"] = {"status": "HELD"}

    rt.use(middleware({"W1": w1}))
    rt.execute_command("setOrderStatus", STATUS)
    expected = copy.deepcopy(SET_STATUS)
    expected["ExpressionAttributeValues"].update(
        {":c0": {"S": "HELD"}, ":gsi0pk": {"S": "TENANT#t1#STATUS#HELD"}}
    )
    assert_exact(client.requests("update_item"), [expected])


def test_w1_changes_that_touch_a_gsi_dependency_re_derive_it_with_the_condition_after() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["changes"] = {"status": "X", "tenantId": "t9"}

    rt.use(middleware({"W1": w1}))
    rt.execute_command("raiseOrderTotal", RAISE)
    assert_exact(
        client.requests("update_item"),
        [
            {
                "TableName": TABLE,
                "Key": ORDER_KEY,
                "UpdateExpression": (
                    "SET #c0 = :c0, #c1 = :c1, #c2 = :c2, #gsi0pk = :gsi0pk, #gsi0sk = :gsi0sk"
                ),
                "ExpressionAttributeNames": {
                    "#c0": "total",
                    "#c1": "status",
                    "#c2": "tenantId",
                    "#gsi0pk": "GSI1PK",
                    "#gsi0sk": "GSI1SK",
                    "#f0": "status",
                    "#f1": "total",
                },
                "ExpressionAttributeValues": {
                    ":c0": {"N": "120"},
                    ":c1": {"S": "X"},
                    ":c2": {"S": "t9"},
                    ":gsi0pk": {"S": "TENANT#t9#STATUS#X"},
                    ":gsi0sk": {"S": "ORDER#o1"},
                    ":vf0": {"S": "CANCELLED"},
                    ":vf1": {"N": "120"},
                },
                "ConditionExpression": "(#f0 <> :vf0 AND #f1 < :vf1)",
            }
        ],
    )


def test_w1_changes_that_leave_a_gsi_dependency_unbound_raise_before_the_call() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W1": lambda ctx: ctx.input.update(changes={"status": "X"})}))
    with pytest.raises(ParameterValidationError, match="also depends on 'tenantId'"):
        rt.execute_command("raiseOrderTotal", RAISE)
    assert client.calls == []


def test_gsi_dependencies_are_checked_on_the_effective_params_after_w1() -> None:
    """The GSI check of section 10.3 runs on the re-derived request, so W1 may supply a
    missing dependency; without it the error is raised inside the hooks (W5 sees it)."""
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W5",))
    rt.use(spy.tree)
    without_tenant = {"orderId": "o1", "status": "SHIPPED"}
    with pytest.raises(ParameterValidationError, match="also depends on 'tenantId'") as info:
        rt.execute_command("setOrderStatus", without_tenant)
    assert spy.args("W5") == [(info.value,)]
    assert client.calls == []
    rt.use(middleware({"W1": lambda ctx: ctx.input["key"].update(tenantId="t1")}))
    rt.execute_command("setOrderStatus", without_tenant)
    assert_exact(client.requests("update_item"), [SET_STATUS])


# --- kind rewrites ------------------------------------------------------------------------------


def _rewrite(kind: str, changes: dict[str, Any] | None = None) -> Hook:
    def w1(ctx: Any) -> None:
        ctx.kind = kind
        if changes is not None:
            ctx.input["changes"] = changes

    return w1


def test_delete_to_update_is_a_soft_delete_on_the_original_key() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W3",))
    rt.use(middleware({"W1": _rewrite("update", {"deletedAt": "2024-07-01T00:00:00.000Z"})}))
    rt.use(spy.tree)
    assert rt.execute_command("removeMember", REMOVE) is None
    expected = {
        "TableName": TABLE,
        "Key": BOB_KEY,
        "UpdateExpression": "SET #c0 = :c0",
        "ExpressionAttributeNames": {"#c0": "deletedAt"},
        "ExpressionAttributeValues": {":c0": {"S": "2024-07-01T00:00:00.000Z"}},
    }
    assert_exact(client.calls, [("update_item", expected)])
    (persist,) = spy.ctxs("W3")
    assert persist.items == [{"Update": expected}]
    assert persist.origins[0]["kind"] == "update"


def test_put_to_update_sets_every_non_key_field_plus_changes_on_the_derived_key() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W3",))
    rt.use(middleware({"W1": _rewrite("update", {"visits": 1})}))
    rt.use(spy.tree)
    rt.execute_command("createUser", USER)
    expected = {
        "TableName": TABLE,
        "Key": {"PK": {"S": "USER#u1"}, "SK": {"S": "PROFILE"}},
        "UpdateExpression": (
            "SET #c0 = :c0, #c1 = :c1, #c2 = :c2, #c3 = :c3, #c4 = :c4, #c5 = :c5, "
            "#gsi0pk = :gsi0pk, #gsi0sk = :gsi0sk"
        ),
        "ExpressionAttributeNames": {
            "#c0": "userId",
            "#c1": "name",
            "#c2": "email",
            "#c3": "status",
            "#c4": "createdAt",
            "#c5": "visits",
            "#gsi0pk": "GSI1PK",
            "#gsi0sk": "GSI1SK",
            "#pk": "PK",
        },
        "ExpressionAttributeValues": {
            ":c0": {"S": "u1"},
            ":c1": {"S": "Ada"},
            ":c2": {"S": "ada@example.com"},
            ":c3": {"S": "active"},
            ":c4": {"S": "2024-01-02T03:04:05.000Z"},
            ":c5": {"N": "1"},
            ":gsi0pk": {"S": "EMAIL#ada@example.com"},
            ":gsi0sk": {"S": "PROFILE"},
        },
        "ConditionExpression": "attribute_not_exists(#pk)",  # the spec condition is kept
    }
    assert_exact(client.calls, [("update_item", expected)])
    assert spy.ctxs("W3")[0].origins[0]["kind"] == "update"


def test_update_to_delete_uses_the_original_key_and_keeps_the_condition() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W1": _rewrite("delete")}))
    rt.execute_command("raiseOrderTotal", RAISE)
    assert_exact(
        client.calls,
        [
            (
                "delete_item",
                {
                    "TableName": TABLE,
                    "Key": ORDER_KEY,
                    "ExpressionAttributeNames": {"#f0": "status", "#f1": "total"},
                    "ExpressionAttributeValues": {
                        ":vf0": {"S": "CANCELLED"},
                        ":vf1": {"N": "120"},
                    },
                    "ConditionExpression": "(#f0 <> :vf0 AND #f1 < :vf1)",
                },
            )
        ],
    )


def test_put_to_delete_uses_the_key_derived_from_the_item_record() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W3",))
    rt.use(middleware({"W1": _rewrite("delete")}))
    rt.use(spy.tree)
    rt.execute_command("placeOrder", ORDER)
    assert_exact(client.calls, [("delete_item", {"TableName": TABLE, "Key": ORDER_KEY})])
    assert spy.ctxs("W3")[0].items == [{"Delete": {"TableName": TABLE, "Key": ORDER_KEY}}]
    assert spy.ctxs("W3")[0].origins[0]["kind"] == "delete"


@pytest.mark.parametrize(
    ("command", "params", "kind"),
    [("setOrderStatus", STATUS, "update"), ("removeMember", REMOVE, "delete")],
)
def test_nothing_can_be_rewritten_into_a_put(command: str, params: Any, kind: str) -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W5",))
    rt.use(middleware({"W1": _rewrite("put")}))
    rt.use(spy.tree)
    with pytest.raises(GraphDDBError) as info:
        rt.execute_command(command, params)
    assert str(info.value) == f"{command}: W1 cannot rewrite a {kind} into a put"
    assert spy.args("W5") == [(info.value,)]
    assert client.calls == []


# --- W3, send, W4, W5-persist ---------------------------------------------------------------------


@pytest.mark.parametrize(("command", "params", "method", "request_"), COMMANDS, ids=COMMAND_IDS)
def test_w3_sees_the_transact_shaped_item_and_one_origin(
    command: str, params: dict[str, Any], method: str, request_: dict[str, Any]
) -> None:
    rt = runtime(fake_client())
    spy = Spy(("W1", "W3"))
    rt.use(spy.tree)
    rt.execute_command(command, params)
    (persist,) = spy.ctxs("W3")
    key = {"put_item": "Put", "update_item": "Update", "delete_item": "Delete"}[method]
    assert_exact(persist.items, [{key: request_}])
    assert type(persist.items) is list
    write = spy.ctxs("W1")[0]
    assert persist.origins == ({"model": write.model, "kind": write.kind},)


def test_w3_mutations_are_honoured_and_extra_keys_become_kwargs(
    boto_client: Any, stub: Stubber
) -> None:
    rt = runtime(boto_client)

    def w3(ctx: Any) -> None:
        body = ctx.items[0]["Put"]
        body["Item"]["audit"] = {"S": "w3"}
        body["ReturnConsumedCapacity"] = "TOTAL"

    rt.use(middleware({"W3": w3}))
    expected = copy.deepcopy(CREATE_USER)
    expected["Item"]["audit"] = {"S": "w3"}
    stub.add_response("put_item", {}, {**expected, "ReturnConsumedCapacity": "TOTAL"})
    assert rt.execute_command("createUser", USER) is None


def test_w3_may_replace_the_item_and_the_method_follows_its_key() -> None:
    client = fake_client()
    rt = runtime(client)

    def w3(ctx: Any) -> None:
        ctx.items[0] = {"Delete": {"TableName": TABLE, "Key": ORDER_KEY}}

    rt.use(middleware({"W3": w3}))
    rt.execute_command("placeOrder", ORDER)
    assert client.calls == [("delete_item", {"TableName": TABLE, "Key": ORDER_KEY})]


def test_return_values_all_old_is_sent_only_when_a_w2_hook_exists() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(trace("x", [], NO_W2))
    for command, params, _, _ in COMMANDS:
        rt.execute_command(command, params)
    rt.use(middleware({"W2": lambda ctx, change: None}))
    for command, params, _, _ in COMMANDS:
        rt.execute_command(command, params)
    sent = [kwargs for _, kwargs in client.calls]
    for before, (_, _, _, request_) in zip(sent[:3], COMMANDS, strict=True):
        assert_exact(before, request_)
    for after, (_, _, _, request_) in zip(sent[3:], COMMANDS, strict=True):
        assert_exact(after, {**request_, "ReturnValues": "ALL_OLD"})


def test_a_caller_return_values_is_sent_even_with_a_w2_hook() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W2": lambda ctx, change: None}))
    rt.execute_command("setOrderStatus", STATUS, {"returnValues": "UPDATED_NEW"})
    assert_exact(client.requests("update_item"), [{**SET_STATUS, "ReturnValues": "UPDATED_NEW"}])


def test_w4_receives_the_boto3_response() -> None:
    client = fake_client()
    response = {"Attributes": ORDER_ITEM, "ConsumedCapacity": {"TableName": TABLE}}
    client.replies["update_item"] = response
    rt = runtime(client)
    spy = Spy(("W4",))
    rt.use(spy.tree)
    rt.execute_command("setOrderStatus", STATUS)
    ((results,),) = spy.args("W4")
    assert results == response


def test_w5_persist_recovery_replaces_the_send_result() -> None:
    client = fake_client()
    client.fail_on("delete_item", client_error("ConditionalCheckFailedException", "DeleteItem"))
    rt = runtime(client)
    bob = item_av(seed_row("GROUP#eng", "USER#bob"))
    recovered = {"Attributes": bob}
    spy = Spy(("W4", "W2", "W5"), W5p=lambda ctx, err: recovered)
    rt.use(spy.tree)
    result = rt.execute_command("removeMember", REMOVE, {"returnValues": "ALL_OLD"})
    assert result == {
        "groupId": "eng",
        "userId": "bob",
        "role": "member",
        "joinedAt": datetime(2024, 3, 2, tzinfo=UTC),
    }
    assert spy.labels == ["W5p", "W4", "W2"]
    assert spy.args("W4")[0][0] is recovered
    assert spy.args("W2") == [({"oldImage": seed_row("GROUP#eng", "USER#bob")},)]
    assert isinstance(spy.args("W5p")[0][0], ConditionFailedError)
    assert type(spy.ctxs("W5p")[0]) is PersistCtx


def test_w5_persist_recover_none_gives_w4_none_and_the_call_returns_none() -> None:
    client = fake_client()
    client.fail_on("delete_item", RuntimeError("x"))
    rt = runtime(client)
    spy = Spy(("W4",), W5p=lambda ctx, err: RECOVER_NONE)
    rt.use(spy.tree)
    assert rt.execute_command("removeMember", REMOVE, {"returnValues": "ALL_OLD"}) is None
    assert spy.args("W4") == [(None,)]


def test_a_w3_raise_goes_to_w5_persist_which_may_recover_it() -> None:
    client = fake_client()
    rt = runtime(client)
    error = Boom("W3")

    def w3(ctx: Any) -> None:
        raise error

    spy = Spy(("W4",), W5p=lambda ctx, err: {"skipped": True})
    rt.use(middleware({"W3": w3}))
    rt.use(spy.tree)
    assert rt.execute_command("removeMember", REMOVE) is None
    assert spy.args("W5p") == [(error,)]
    assert spy.args("W4") == [({"skipped": True},)]
    assert client.calls == []


def test_w5_persist_decline_passes_the_original_exception_to_w5_logical() -> None:
    client = fake_client()
    client.fail_on("put_item", client_error("ConditionalCheckFailedException"))
    rt = runtime(client)
    spy = Spy(("W5p", "W5", "W4", "W2"))
    rt.use(spy.tree)
    with pytest.raises(ConditionFailedError) as info:
        rt.execute_command("createUser", USER)
    assert spy.labels == ["W5p", "W5"]
    assert spy.args("W5p") == [(info.value,)] and spy.args("W5") == [(info.value,)]
    assert info.value.operation_id == "createUser"


# --- W2 change images -----------------------------------------------------------------------------


def _audit(client: FakeDynamo) -> tuple[Runtime, list[dict[str, Any]]]:
    rt = runtime(client)
    changes: list[dict[str, Any]] = []
    rt.use(middleware({"W2": lambda ctx, change: changes.append(change)}))
    return rt, changes


def test_put_change_has_the_old_image_and_the_written_item() -> None:
    client = fake_client()
    old = {**ORDER_ITEM, "total": {"N": "10"}}
    client.replies["put_item"] = {"Attributes": old}
    rt, changes = _audit(client)
    assert rt.execute_command("placeOrder", ORDER) is None
    assert changes == [{"oldImage": {**ORDER_ROW, "total": Decimal("10")}, "newImage": ORDER_ROW}]
    assert type(changes[0]["newImage"]["total"]) is Decimal
    assert type(changes[0]["oldImage"]["total"]) is Decimal


def test_put_change_without_an_old_row_has_only_the_new_image() -> None:
    rt, changes = _audit(fake_client())
    rt.execute_command("placeOrder", ORDER)
    assert changes == [{"newImage": ORDER_ROW}]


def test_put_change_new_image_includes_w1_and_w3_changes() -> None:
    client = fake_client()
    rt, changes = _audit(client)

    def w1(ctx: Any) -> None:
        ctx.input["item"]["note"] = "w1"

    def w3(ctx: Any) -> None:
        ctx.items[0]["Put"]["Item"]["stamp"] = {"N": "7"}

    rt.use(middleware({"W1": w1, "W3": w3}))
    rt.execute_command("placeOrder", ORDER)
    assert changes == [{"newImage": {**ORDER_ROW, "note": "w1", "stamp": Decimal("7")}}]


def test_update_change_is_the_old_image_merged_with_the_resolved_changes() -> None:
    client = fake_client()
    client.replies["update_item"] = {"Attributes": ORDER_ITEM}
    rt, changes = _audit(client)
    rt.execute_command("setOrderStatus", STATUS)
    rt.execute_command("raiseOrderTotal", RAISE)
    shipped = {
        **ORDER_ROW,
        "status": "SHIPPED",
        "GSI1PK": "TENANT#t1#STATUS#SHIPPED",
        "GSI1SK": "ORDER#o1",
    }
    assert changes == [
        {"oldImage": ORDER_ROW, "newImage": shipped},
        {"oldImage": ORDER_ROW, "newImage": {**ORDER_ROW, "total": Decimal("120")}},
    ]
    assert type(changes[1]["newImage"]["total"]) is Decimal


def test_update_change_with_return_values_all_new_uses_the_returned_attributes() -> None:
    client = fake_client()
    returned = {**ORDER_ITEM, "status": {"S": "SHIPPED"}, "extra": {"N": "1"}}
    client.replies["update_item"] = {"Attributes": returned}
    rt, changes = _audit(client)
    result = rt.execute_command("setOrderStatus", STATUS, {"returnValues": "ALL_NEW"})
    assert changes == [{"newImage": {**ORDER_ROW, "status": "SHIPPED", "extra": Decimal("1")}}]
    assert result == {
        "orderId": "o1",
        "tenantId": "t1",
        "userId": "u1",
        "status": "SHIPPED",
        "total": Decimal("99.5"),
        "createdAt": datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
        "extra": Decimal("1"),
    }


def test_update_change_with_return_values_all_old_has_the_old_image() -> None:
    client = fake_client()
    client.replies["update_item"] = {"Attributes": ORDER_ITEM}
    rt, changes = _audit(client)
    result = rt.execute_command("raiseOrderTotal", RAISE, {"returnValues": "ALL_OLD"})
    assert changes == [{"oldImage": ORDER_ROW, "newImage": {**ORDER_ROW, "total": Decimal("120")}}]
    assert result is not None and result["total"] == Decimal("99.5")


@pytest.mark.parametrize("return_values", ["UPDATED_NEW", "UPDATED_OLD"])
def test_update_change_has_no_old_image_for_other_return_values(return_values: str) -> None:
    client = fake_client()
    client.replies["update_item"] = {"Attributes": {"total": {"N": "120"}}}
    rt, changes = _audit(client)
    rt.execute_command("raiseOrderTotal", RAISE, {"returnValues": return_values})
    assert "oldImage" not in changes[0]


def test_delete_change_has_the_removed_row_and_no_new_image() -> None:
    client = fake_client()
    client.replies["delete_item"] = {"Attributes": item_av(seed_row("GROUP#eng", "USER#bob"))}
    rt, changes = _audit(client)
    rt.execute_command("removeMember", REMOVE)
    assert changes == [{"oldImage": seed_row("GROUP#eng", "USER#bob")}]
    client.replies["delete_item"] = {}
    rt.execute_command("removeMember", REMOVE)
    assert changes[1] == {}


def test_soft_delete_change_is_an_update_change() -> None:
    client = fake_client()
    bob = seed_row("GROUP#eng", "USER#bob")
    client.replies["update_item"] = {"Attributes": item_av(bob)}
    rt, changes = _audit(client)
    rt.use(middleware({"W1": _rewrite("update", {"deletedAt": "2024-07-01T00:00:00.000Z"})}))
    rt.execute_command("removeMember", REMOVE)
    assert client.requests("update_item")[0]["ReturnValues"] == "ALL_OLD"
    assert changes == [
        {"oldImage": bob, "newImage": {**bob, "deletedAt": "2024-07-01T00:00:00.000Z"}}
    ]


# --- W5-logical and return values -----------------------------------------------------------------


def _raising_w1(ctx: Any) -> None:
    raise Boom("W1")


@pytest.mark.parametrize(
    ("recovery", "options", "expected"),
    [
        ("recovered", None, None),
        ("recovered", {"returnValues": "ALL_OLD"}, "recovered"),
        (RECOVER_NONE, {"returnValues": "ALL_OLD"}, None),
        (RECOVER_NONE, None, None),
        ({"items": 1}, {"returnValues": "ALL_OLD"}, {"items": 1}),
    ],
)
def test_w5_logical_recovery_return_rules(recovery: Any, options: Any, expected: Any) -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W1": _raising_w1, "W5": lambda ctx, err: recovery}))
    assert rt.execute_command("removeMember", REMOVE, options) == expected
    assert client.calls == []


def test_w5_logical_recovers_send_failures_too() -> None:
    client = fake_client()
    client.fail_on("update_item", client_error("ConditionalCheckFailedException", "UpdateItem"))
    rt = runtime(client)
    spy = Spy(("W5",), W5=lambda ctx, err: "fallback")
    rt.use(spy.tree)
    assert rt.execute_command("raiseOrderTotal", RAISE, {"returnValues": "ALL_NEW"}) == "fallback"
    assert rt.execute_command("raiseOrderTotal", RAISE) is None
    assert all(isinstance(args[0], ConditionFailedError) for args in spy.args("W5"))
    assert type(spy.ctxs("W5")[0]) is WriteCtx


def test_w5_logical_unrecovered_re_raises_the_original_exception() -> None:
    rt = runtime(fake_client())
    errors: list[BaseException] = []
    rt.use(middleware({"W1": _raising_w1, "W5": lambda ctx, err: errors.append(err)}))
    with pytest.raises(Boom) as info:
        rt.execute_command("removeMember", REMOVE)
    assert errors == [info.value]


def test_with_hooks_and_return_values_the_hydrated_attributes_are_returned() -> None:
    client = fake_client()
    client.replies["update_item"] = {"Attributes": {**ORDER_ITEM, "status": {"S": "SHIPPED"}}}
    rt = runtime(client)
    rt.use(trace("x", []))
    result = rt.execute_command(
        "setOrderStatus", STATUS, {"returnValues": "ALL_NEW", "numbers": "native"}
    )
    assert result == {
        "orderId": "o1",
        "tenantId": "t1",
        "userId": "u1",
        "status": "SHIPPED",
        "total": 99.5,
        "createdAt": datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
    }
    assert type(result["total"]) is float
    assert rt.execute_command("setOrderStatus", STATUS) is None


# ==================================================================================================
# Section 40: transaction hooks (expected to fail until transaction hooks land)
# ==================================================================================================

JOIN: dict[str, Any] = {
    "groupId": "ghost",
    "userId": "frank",
    "role": "member",
    "joinedAt": "2024-05-02T00:00:00.000Z",
}
MEMBERS = [
    {"userId": "carol", "role": "member"},
    {"userId": "dan", "role": ""},
    {"userId": "erin", "role": "admin"},
]
ADD_MEMBERS: dict[str, Any] = {"groupId": "eng", "joinedAt": JOINED, "members": MEMBERS}
GROUP_META: dict[str, Any] = {"PK": {"S": "GROUP#eng"}, "SK": {"S": "META"}}


def membership_put(
    user: str, role: str, joined: str = JOINED, group: str = "eng"
) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": TABLE,
            "Item": {
                "groupId": {"S": group},
                "userId": {"S": user},
                "role": {"S": role},
                "joinedAt": {"S": joined},
                "PK": {"S": f"GROUP#{group}"},
                "SK": {"S": f"USER#{user}"},
                "GSI1PK": {"S": f"USER#{user}"},
                "GSI1SK": {"S": f"GROUP#{group}"},
            },
            "ExpressionAttributeNames": {"#pk": "PK"},
            "ConditionExpression": "attribute_not_exists(#pk)",
        }
    }


ADD_TWO: dict[str, Any] = {
    "Update": {
        "TableName": TABLE,
        "Key": GROUP_META,
        "UpdateExpression": "ADD #a0 :a0",
        "ExpressionAttributeNames": {"#a0": "memberCount"},
        "ExpressionAttributeValues": {":a0": {"N": "2"}},
    }
}
ADD_MEMBERS_ITEMS = [membership_put("carol", "member"), membership_put("erin", "admin"), ADD_TWO]
GHOST_CHECK: dict[str, Any] = {
    "ConditionCheck": {
        "TableName": TABLE,
        "Key": {"PK": {"S": "GROUP#ghost"}, "SK": {"S": "META"}},
        "ExpressionAttributeNames": {"#ce": "PK"},
        "ConditionExpression": "attribute_exists(#ce)",
    }
}
FRANK_ITEM: dict[str, Any] = {
    "groupId": {"S": "ghost"},
    "userId": {"S": "frank"},
    "role": {"S": "member"},
    "joinedAt": {"S": "2024-05-02T00:00:00.000Z"},
    "PK": {"S": "GROUP#ghost"},
    "SK": {"S": "USER#frank"},
    "GSI1PK": {"S": "USER#frank"},
    "GSI1SK": {"S": "GROUP#ghost"},
}
JOIN_ITEMS = [GHOST_CHECK, {"Put": {"TableName": TABLE, "Item": FRANK_ITEM}}]
RETIRE: dict[str, Any] = {"groupId": "eng", "userId": "bob"}
RETIRE_ITEMS = [
    {
        "ConditionCheck": {
            "TableName": TABLE,
            "Key": {"PK": {"S": "USER#bob"}, "SK": {"S": "PROFILE"}},
            "ExpressionAttributeNames": {"#ce": "PK"},
            "ConditionExpression": "attribute_exists(#ce)",
        }
    },
    {"Delete": {"TableName": TABLE, "Key": BOB_KEY}},
    {
        "Update": {
            "TableName": TABLE,
            "Key": GROUP_META,
            "UpdateExpression": "ADD #a0 :a0",
            "ExpressionAttributeNames": {"#a0": "memberCount"},
            "ExpressionAttributeValues": {":a0": {"N": "-1"}},
        }
    },
]


def sent_items(client: FakeDynamo) -> list[Any]:
    return [kwargs["TransactItems"] for kwargs in client.requests("transact_write_items")]


def test_tx_hooks_keep_the_section_43_requests() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(trace("x", []))
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    rt.execute_transaction("addMemberIfGroupExists", JOIN, {"idempotencyToken": "req-7f3a"})
    rt.execute_transaction("retireMember", RETIRE)
    calls = client.requests("transact_write_items")
    assert_exact(
        calls,
        [
            {"TransactItems": ADD_MEMBERS_ITEMS},
            {"TransactItems": JOIN_ITEMS, "ClientRequestToken": "req-7f3a"},
            {"TransactItems": RETIRE_ITEMS},
        ],
    )


@pytest.mark.parametrize("members", [[], [{"userId": "dan", "role": ""}]])
def test_tx_zero_items_run_no_hook_and_make_no_call(members: list[dict[str, Any]]) -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []
    rt.use(trace("x", log))
    rt.execute_transaction("addMembers", {**ADD_MEMBERS, "members": members})
    assert log == [] and client.calls == []


@pytest.mark.parametrize(
    ("transaction_id", "params", "options", "error"),
    [
        ("nope", {}, None, TransactionNotFoundError),
        ("addMembers", {"groupId": "eng"}, None, ParameterValidationError),
        ("addMembers", {**ADD_MEMBERS, "members": [{"userId": 1}]}, None, ParameterValidationError),
        ("addMembers", ADD_MEMBERS, {"idempotencyToken": ""}, ParameterValidationError),
        (
            "addMembers",
            {**ADD_MEMBERS, "members": [{"userId": f"u{i}", "role": "m"} for i in range(50)]},
            None,
            LimitExceededError,
        ),
    ],
)
def test_tx_validation_expansion_and_pre_flight_run_before_any_hook(
    transaction_id: str, params: Any, options: Any, error: type[Exception]
) -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []
    rt.use(trace("x", log))
    with pytest.raises(error):
        rt.execute_transaction(transaction_id, params, options)
    assert log == [] and client.calls == []


def test_tx_w1_runs_fifo_once_per_logical_op_in_spec_and_element_order() -> None:
    rt = runtime(fake_client())
    log: list[str] = []
    spy = Spy(("W1",))
    rt.use(spy.tree)
    rt.use(trace("second", log, ("W1",)))
    rt.execute_transaction("addMembers", ADD_MEMBERS, {"context": {"req": 1}})
    ctxs = spy.ctxs("W1")
    assert [(c.kind, c.model["entity"]) for c in ctxs] == [
        ("put", "GroupMembershipModel"),
        ("put", "GroupMembershipModel"),
        ("update", "GroupModel"),
        ("update", "GroupModel"),
    ]
    assert log == ["second:W1"] * 4
    assert [type(c) for c in ctxs] == [WriteCtx] * 4
    assert plain(ctxs[0].model) == model("GroupMembershipModel")
    assert plain(ctxs[2].model) == model("GroupModel")
    assert all(c.context == {"req": 1} for c in ctxs)
    assert len({id(c.context) for c in ctxs}) == 1
    assert len({id(c.state) for c in ctxs}) == 4 and all(c.state == {} for c in ctxs)


def test_tx_condition_checks_are_not_logical_ops() -> None:
    rt = runtime(fake_client())
    spy = Spy(("W1", "W2"))
    rt.use(spy.tree)
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    rt.execute_transaction("retireMember", RETIRE)
    assert [(c.kind, c.model["entity"]) for c in spy.ctxs("W1")] == [
        ("put", "GroupMembershipModel"),
        ("delete", "GroupMembershipModel"),
        ("update", "GroupModel"),
    ]
    assert len(spy.ctxs("W2")) == 3


def test_tx_input_is_flat_params_then_dotted_then_bare_element_fields() -> None:
    rt = runtime(fake_client())
    spy = Spy(("W1",))
    rt.use(spy.tree)
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    carol_put, erin_put, carol_update, erin_update, join = spy.ctxs("W1")

    def flat(member: dict[str, Any]) -> dict[str, Any]:
        return {
            "groupId": "eng",
            "joinedAt": JOINED,
            "members": MEMBERS,
            "item.userId": member["userId"],
            "item.role": member["role"],
            "userId": member["userId"],
            "role": member["role"],
        }

    assert_exact(carol_put.input, flat(MEMBERS[0]))
    assert_exact(erin_put.input, flat(MEMBERS[2]))
    assert_exact(carol_update.input, flat(MEMBERS[0]))
    assert_exact(erin_update.input, flat(MEMBERS[2]))
    assert_exact(join.input, JOIN)


def test_tx_every_ctx_shares_one_transaction_dict_fresh_per_call() -> None:
    rt = runtime(fake_client())
    spy = Spy(("W1", "W3", "W4", "W2"))
    rt.use(spy.tree)
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    first, second = spy.calls[: len(spy.calls) // 2], spy.calls[len(spy.calls) // 2 :]
    for calls in (first, second):
        transactions = {id(ctx.transaction) for _, ctx, _ in calls}
        assert len(transactions) == 1
        transaction = calls[0][1].transaction
        assert type(transaction) is dict and list(transaction) == ["id"]
        assert len({id(ctx.context) for _, ctx, _ in calls}) == 1
    assert first[0][1].transaction is not second[0][1].transaction
    assert first[0][1].transaction["id"] is not second[0][1].transaction["id"]
    assert type(spy.ctxs("W3")[0]) is PersistCtx


def test_tx_a_w1_raise_aborts_before_any_call_without_w5_logical() -> None:
    client = fake_client()
    rt = runtime(client)
    error = Boom("W1")
    count = [0]

    def w1(ctx: Any) -> None:
        count[0] += 1
        if count[0] == 2:
            raise error

    spy = Spy(("W3", "W4", "W2", "W5", "W5p"))
    rt.use(middleware({"W1": w1}))
    rt.use(spy.tree)
    with pytest.raises(Boom) as info:
        rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert info.value is error
    assert spy.labels == []
    assert client.calls == []


def test_tx_w1_rewrites_of_params_and_element_fields_are_honoured() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "put" and ctx.input["item.userId"] == "carol":
            ctx.input["item.role"] = "owner"
        elif ctx.kind == "put":
            ctx.input["joinedAt"] = "2025-01-01T00:00:00.000Z"

    rt.use(middleware({"W1": w1}))
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert_exact(
        sent_items(client),
        [
            [
                membership_put("carol", "owner"),
                membership_put("erin", "admin", "2025-01-01T00:00:00.000Z"),
                ADD_TWO,
            ]
        ],
    )


def test_tx_w1_element_key_rewrites_re_derive_the_keys() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "put":
            ctx.input["item.userId"] = ctx.input["item.userId"].upper()

    rt.use(middleware({"W1": w1}))
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert_exact(
        sent_items(client),
        [[membership_put("CAROL", "member"), membership_put("ERIN", "admin"), ADD_TWO]],
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("item.role", 5), ("joinedAt", 5), ("groupId", ["eng"]), ("item.userId", {"x": 1})],
)
def test_tx_w1_rewrites_are_re_validated(name: str, value: Any) -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input[name] = value

    rt.use(middleware({"W1": w1}))
    with pytest.raises(ParameterValidationError):
        rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert client.calls == []


def test_tx_w1_changes_mapping_adds_set_entries_to_an_update() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "update" and ctx.input["item.userId"] == "carol":
            ctx.input["changes"] = {"name": "Eng"}

    rt.use(middleware({"W1": w1}))
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    merged = {
        "Update": {
            "TableName": TABLE,
            "Key": GROUP_META,
            "UpdateExpression": "SET #c0 = :c0 ADD #a0 :a0",
            "ExpressionAttributeNames": {"#c0": "name", "#a0": "memberCount"},
            "ExpressionAttributeValues": {":c0": {"S": "Eng"}, ":a0": {"N": "2"}},
        }
    }
    assert_exact(sent_items(client), [[*ADD_MEMBERS_ITEMS[:2], merged]])


def test_tx_a_declared_changes_param_is_a_param_not_extra_sets() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W1",))
    rt.use(spy.tree)
    rt.use(middleware({"W1": lambda ctx: ctx.input.update(changes="Platform")}))
    rt.execute_transaction("renameGroup", {"groupId": "eng", "changes": "Core"})
    assert spy.ctxs("W1")[0].input == {"groupId": "eng", "changes": "Platform"}
    assert_exact(
        sent_items(client),
        [
            [
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": GROUP_META,
                        "UpdateExpression": "SET #c0 = :c0",
                        "ExpressionAttributeNames": {"#c0": "name"},
                        "ExpressionAttributeValues": {":c0": {"S": "Platform"}},
                    }
                }
            ]
        ],
    )
    rt.use(middleware({"W1": lambda ctx: ctx.input.update(changes={"name": "X"})}))
    with pytest.raises(ParameterValidationError):  # re-validated as the string param
        rt.execute_transaction("renameGroup", {"groupId": "eng", "changes": "Core"})


def test_tx_kind_rewrite_put_to_delete_uses_the_derived_key() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W1": _rewrite("delete")}))
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    delete = {
        "Delete": {
            "TableName": TABLE,
            "Key": {"PK": {"S": "GROUP#ghost"}, "SK": {"S": "USER#frank"}},
        }
    }
    assert_exact(sent_items(client), [[GHOST_CHECK, delete]])


def test_tx_kind_rewrite_put_to_update_sets_the_record_and_re_derives_gsis() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W1": _rewrite("update")}))
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    update = {
        "Update": {
            "TableName": TABLE,
            "Key": {"PK": {"S": "GROUP#ghost"}, "SK": {"S": "USER#frank"}},
            "UpdateExpression": (
                "SET #c0 = :c0, #c1 = :c1, #c2 = :c2, #c3 = :c3, #gsi0pk = :gsi0pk, "
                "#gsi0sk = :gsi0sk"
            ),
            "ExpressionAttributeNames": {
                "#c0": "groupId",
                "#c1": "userId",
                "#c2": "role",
                "#c3": "joinedAt",
                "#gsi0pk": "GSI1PK",
                "#gsi0sk": "GSI1SK",
            },
            "ExpressionAttributeValues": {
                ":c0": {"S": "ghost"},
                ":c1": {"S": "frank"},
                ":c2": {"S": "member"},
                ":c3": {"S": "2024-05-02T00:00:00.000Z"},
                ":gsi0pk": {"S": "USER#frank"},
                ":gsi0sk": {"S": "GROUP#ghost"},
            },
        }
    }
    assert_exact(sent_items(client), [[GHOST_CHECK, update]])


def test_tx_kind_rewrites_delete_to_update_and_update_to_delete() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "delete":
            ctx.kind = "update"
            ctx.input["changes"] = {"deletedAt": "2024-07-01T00:00:00.000Z"}
        else:
            ctx.kind = "delete"

    rt.use(middleware({"W1": w1}))
    rt.execute_transaction("retireMember", RETIRE)
    soft = {
        "Update": {
            "TableName": TABLE,
            "Key": BOB_KEY,
            "UpdateExpression": "SET #c0 = :c0",
            "ExpressionAttributeNames": {"#c0": "deletedAt"},
            "ExpressionAttributeValues": {":c0": {"S": "2024-07-01T00:00:00.000Z"}},
        }
    }
    assert_exact(
        sent_items(client),
        [[RETIRE_ITEMS[0], soft, {"Delete": {"TableName": TABLE, "Key": GROUP_META}}]],
    )


def test_tx_nothing_can_be_rewritten_into_a_put() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W1": _rewrite("put")}))
    with pytest.raises(GraphDDBError, match="W1 cannot rewrite a delete into a put"):
        rt.execute_transaction("retireMember", RETIRE)
    assert client.calls == []


def test_tx_collapse_runs_again_after_rewrites() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "put":
            # both Puts now write one row, with identical content: they collapse to one
            ctx.input.update({"item.userId": "carol", "item.role": "member"})

    rt.use(middleware({"W1": w1}))
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert_exact(sent_items(client), [[membership_put("carol", "member"), ADD_TWO]])


def test_tx_rewrites_that_make_two_different_puts_of_one_row_raise_before_the_call() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "put":
            ctx.input["item.userId"] = "carol"  # erin's Put (role admin) now writes carol's row

    rt.use(middleware({"W1": w1}))
    with pytest.raises(TransactionCollapseError) as info:
        rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert str(info.value) == (
        "addMembers: 2 Puts on the same row with different content: items[0] (element 0) and "
        "items[0] (element 2) (table 'app-prod', key PK='GROUP#eng', SK='USER#carol'); "
        "attribute 'role' differs (S 'member' vs S 'admin')"
    )
    assert info.value.items == ((0, 0), (0, 2))
    assert client.calls == []


def test_tx_a_collapse_error_after_rewrites_is_raised_before_the_call() -> None:
    client = fake_client()
    rt = runtime(client)
    seen = [0]

    def w1(ctx: Any) -> None:
        if ctx.kind == "update" and not seen[0]:
            seen[0] = 1
            ctx.kind = "delete"  # Delete + Update of GROUP#eng/META cannot collapse

    rt.use(middleware({"W1": w1}))
    with pytest.raises(TransactionCollapseError):
        rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert client.calls == []


def test_tx_pre_flight_runs_again_after_rewrites() -> None:
    client = fake_client()
    rt = runtime(client, limits=RuntimeLimits(max_transaction_bytes=2000))
    rt.execute_transaction("addMemberIfGroupExists", JOIN)  # fits without hooks
    rt.use(middleware({"W1": lambda ctx: ctx.input.update(role="x" * 5000)}))
    with pytest.raises(LimitExceededError, match="max_transaction_bytes 2000"):
        rt.execute_transaction("addMemberIfGroupExists", JOIN)
    assert client.methods == ["transact_write_items"]


def test_tx_w3_runs_once_with_all_items_and_one_origin_per_logical_op() -> None:
    rt = runtime(fake_client())
    spy = Spy(("W1", "W3"))
    rt.use(spy.tree)
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    first, second = spy.ctxs("W3")
    assert spy.labels == ["W1"] * 4 + ["W3", "W1", "W3"]
    assert_exact(first.items, ADD_MEMBERS_ITEMS)
    membership = {"model": spy.ctxs("W1")[0].model, "kind": "put"}
    group = {"model": spy.ctxs("W1")[2].model, "kind": "update"}
    assert first.origins == (membership, membership, group, group)
    assert_exact(second.items, JOIN_ITEMS)
    assert second.origins == (membership,)
    assert first.transaction is spy.ctxs("W1")[0].transaction


def test_tx_w3_mutations_are_honoured() -> None:
    client = fake_client()
    rt = runtime(client)
    extra = {"ConditionCheck": RETIRE_ITEMS[0]["ConditionCheck"]}

    def w3(ctx: Any) -> None:
        ctx.items[0]["Put"]["Item"]["source"] = {"S": "w3"}
        ctx.items.append(extra)

    rt.use(middleware({"W3": w3}))
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    carol = membership_put("carol", "member")
    carol["Put"]["Item"]["source"] = {"S": "w3"}
    assert_exact(sent_items(client), [[carol, ADD_MEMBERS_ITEMS[1], ADD_TWO, extra]])


def test_tx_send_failures_go_to_w5_persist_then_w4_then_w2() -> None:
    client = fake_client()
    client.fail_on("transact_write_items", client_error("TransactionCanceledException"))
    rt = runtime(client)
    spy = Spy(("W4", "W2", "W5"), W5p=lambda ctx, err: {"recovered": True})
    rt.use(spy.tree)
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert spy.labels == ["W5p", "W4"] + ["W2"] * 4
    assert isinstance(spy.args("W5p")[0][0], TransactionCanceledError)
    assert spy.args("W4") == [({"recovered": True},)]


def _cancelled(*codes: str) -> ClientError:
    response: Any = {
        "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
        "CancellationReasons": [{"Code": code} for code in codes],
    }
    return ClientError(response, "TransactWriteItems")


def test_tx_cancellation_reasons_map_back_to_spec_items_with_hooks() -> None:
    client = fake_client()
    client.fail_on("transact_write_items", _cancelled("ConditionalCheckFailed", "None"))
    rt = runtime(client)
    rt.use(trace("x", []))
    with pytest.raises(TransactionCanceledError) as info:
        rt.execute_transaction("addMemberIfGroupExists", JOIN)
    assert [(r.index, r.spec_item, r.element, r.code) for r in info.value.reasons] == [
        (0, 0, None, "ConditionalCheckFailed"),
        (1, 1, None, "None"),
    ]


def test_tx_cancellation_reasons_have_no_spec_item_when_w3_changed_the_item_count() -> None:
    """Section 13.3: ``spec_item`` is ``None`` if W3 changed the number of items."""
    client = fake_client()
    client.fail_on("transact_write_items", _cancelled("None", "None", "ConditionalCheckFailed"))
    rt = runtime(client)
    rt.use(middleware({"W3": lambda ctx: ctx.items.append(RETIRE_ITEMS[0])}))
    with pytest.raises(TransactionCanceledError) as info:
        rt.execute_transaction("addMemberIfGroupExists", JOIN)
    assert [(r.index, r.spec_item, r.code) for r in info.value.reasons] == [
        (0, None, "None"),
        (1, None, "None"),
        (2, None, "ConditionalCheckFailed"),
    ]


def test_tx_w4_receives_the_response_and_w2_runs_per_logical_op_with_an_empty_change() -> None:
    client = fake_client()
    client.replies["transact_write_items"] = {"ConsumedCapacity": []}
    rt = runtime(client)
    spy = Spy(("W1", "W4", "W2"))
    rt.use(spy.tree)
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert spy.args("W4") == [({"ConsumedCapacity": []},)]
    assert spy.args("W2") == [({},)] * 4
    assert {id(c) for c in spy.ctxs("W2")} == {id(c) for c in spy.ctxs("W1")}


def test_tx_unrecovered_send_failures_propagate_without_w5_logical() -> None:
    client = fake_client()
    client.fail_on("transact_write_items", client_error("TransactionCanceledException"))
    rt = runtime(client)
    spy = Spy(("W5p", "W5", "W4", "W2"))
    rt.use(spy.tree)
    with pytest.raises(TransactionCanceledError) as info:
        rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert spy.labels == ["W5p"]
    assert spy.args("W5p") == [(info.value,)]


def test_tx_w2_exceptions_propagate_without_w5_logical() -> None:
    client = fake_client()
    rt = runtime(client)
    error = Boom("W2")

    def w2(ctx: Any, change: Any) -> None:
        raise error

    spy = Spy(("W5", "W5p"))
    rt.use(middleware({"W2": w2}))
    rt.use(spy.tree)
    with pytest.raises(Boom) as info:
        rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert info.value is error
    assert spy.labels == []
    assert client.methods == ["transact_write_items"]


def test_tx_no_return_values_are_added_for_w2_hooks() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W2": lambda ctx, change: None}))
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    assert_exact(client.requests("transact_write_items"), [{"TransactItems": JOIN_ITEMS}])


def test_tx_contract_batch_transactions_run_the_transaction_hooks() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy(("W1", "W3"))
    rt.use(spy.tree)
    rt.execute_command_method(
        "UserCommands", "disable", [{"userId": "alice"}, {"userId": "bob"}], {"status": "disabled"}
    )
    assert [c.kind for c in spy.ctxs("W1")] == ["update", "update"]
    assert len(spy.ctxs("W3")) == 1
    assert client.methods == ["transact_write_items"]


# ==================================================================================================
# Section 41: concurrency and thread safety
# ==================================================================================================

WAIT = 5.0  # seconds; only a safety net so a broken implementation fails instead of hanging


def _run_threads(*targets: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # reported below, on the test thread
                errors.append(exc)

        return run

    threads = [threading.Thread(target=guarded(t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]


def test_a_shared_runtime_keeps_concurrent_calls_apart() -> None:
    rt = runtime(fake_client())
    barrier = threading.Barrier(2, timeout=WAIT)
    seen: dict[str, list[Any]] = {"alice": [], "ops": []}

    def r1(ctx: Any) -> None:
        ctx.state["who"] = ctx.context["who"]
        barrier.wait()  # both calls are inside their hooks at the same time

    def r2(ctx: Any) -> None:
        seen[ctx.context["who"]].append(("R2", ctx.operation["Key"]["PK"]["S"]))

    def r4(ctx: Any, result: Any) -> Any:
        seen[ctx.context["who"]].append(("R4", ctx.state["who"]))
        return {**result, "who": ctx.context["who"]}

    rt.use(middleware({"R1": r1, "R2": r2, "R4": r4}))
    results: dict[str, Any] = {}

    def read_user() -> None:
        results["alice"] = rt.execute_query(
            "getUser", {"userId": "alice"}, {"context": {"who": "alice"}}
        )

    def read_group() -> None:
        results["ops"] = rt.execute_query(
            "getGroup", {"groupId": "ops"}, {"context": {"who": "ops"}}
        )

    _run_threads(read_user, read_group)
    assert results["alice"] == {**ALICE, "who": "alice"}
    assert results["ops"]["name"] == "Operations" and results["ops"]["who"] == "ops"
    assert seen == {
        "alice": [("R2", "USER#alice"), ("R4", "alice")],
        "ops": [("R2", "GROUP#ops"), ("R4", "ops")],
    }


def test_concurrent_writes_on_a_shared_runtime_keep_their_contexts() -> None:
    client = fake_client()
    rt = runtime(client)
    barrier = threading.Barrier(2, timeout=WAIT)
    changes: dict[str, Any] = {}

    def w1(ctx: Any) -> None:
        ctx.input["item"]["writer"] = ctx.context["writer"]
        barrier.wait()

    def w2(ctx: Any, change: Any) -> None:
        changes[ctx.context["writer"]] = change["newImage"]["writer"]

    rt.use(middleware({"W1": w1, "W2": w2}))

    def write(writer: str, user: str) -> Callable[[], None]:
        def run() -> None:
            rt.execute_command(
                "createUser", {**USER, "userId": user}, {"context": {"writer": writer}}
            )

        return run

    _run_threads(write("w-a", "ua"), write("w-b", "ub"))
    assert changes == {"w-a": "w-a", "w-b": "w-b"}
    written = {
        kw["Item"]["userId"]["S"]: kw["Item"]["writer"]["S"] for kw in client.requests("put_item")
    }
    assert written == {"ua": "w-a", "ub": "w-b"}


def test_registering_from_another_thread_during_a_call_does_not_affect_it() -> None:
    rt = runtime(fake_client())
    entered, release = threading.Event(), threading.Event()
    log: list[str] = []

    def r1(ctx: Any) -> None:
        log.append("R1")
        entered.set()
        assert release.wait(WAIT)

    rt.use(middleware({"R1": r1}))
    results: list[Any] = []

    def call() -> None:
        results.append(rt.execute_query("getUser", {"userId": "alice"}))

    def register() -> None:
        assert entered.wait(WAIT)
        rt.use(trace("late", log))
        release.set()

    _run_threads(call, register)
    assert results == [ALICE]
    assert log == ["R1"]
    entered.clear()
    release.set()
    rt.execute_query("getUser", {"userId": "alice"})
    assert log == ["R1", "R1", "late:R1", "late:R2", "late:R3", "late:R4"]


def test_async_adapter_passes_registration_through_and_runs_hooks_in_the_worker() -> None:
    """Section 29: use/clear/get are synchronous pass-throughs; hooks run in the worker thread."""
    client = fake_client()
    adapter = AsyncGraphDDBRuntime(runtime(client))
    spy = Spy(("R1", "R4", "W1", "W2"))
    adapter.use(spy.tree)
    assert [id(m) for m in adapter.sync.get_middleware()] == [id(spy.tree)]
    assert [id(m) for m in adapter.get_middleware()] == [id(spy.tree)]

    async def run() -> Any:
        result = await adapter.execute_query("getUser", {"userId": "alice"})
        await adapter.execute_command("removeMember", REMOVE)
        return result

    assert asyncio.run(run()) == ALICE
    assert spy.labels == ["R1", "R4", "W1", "W2"]
    assert threading.get_ident() not in {thread for _, thread in spy.threads}
    adapter.clear_middleware()
    assert adapter.sync.get_middleware() == ()


def test_relation_hooks_of_concurrent_ops_run_on_worker_threads_sharing_one_context() -> None:
    rt = runtime(fake_client())
    barrier = threading.Barrier(3, timeout=WAIT)  # the BatchGetItem and both per-parent Queries
    caller_thread = threading.get_ident()
    seen: list[tuple[tuple[str, ...], int, int]] = []
    lock = threading.Lock()

    def r2(ctx: Any) -> None:
        with lock:
            seen.append((ctx.relation_path, threading.get_ident(), id(ctx.context)))
        if len(ctx.relation_path) == 2:
            barrier.wait()

    contexts: list[int] = []
    rt.use(middleware({"R2": r2, "R1": lambda ctx: contexts.append(id(ctx.context))}))
    assert rt.execute_query("getUserAccess", {"userId": "alice"}, {"context": {"c": 1}}) == ACCESS
    assert len(seen) == 5
    assert {context for _, _, context in seen} == set(contexts)
    stage = [thread for path, thread, _ in seen if len(path) == 2]
    assert len(stage) == 3 and len(set(stage)) == 3
    # The calling thread is one of the fan-out's workers (map_with_concurrency lets the caller
    # work, so nested fan-out cannot deadlock); the barrier proves the three ran concurrently.
    assert len(set(stage) - {caller_thread}) >= 2
