"""One path for hooks, one page fetcher, one send-and-translate, a typed engine cache.

The executors always run their (possibly empty) hook lists: these tests pin what that design
promises beyond the middleware spec (tests/test_middleware.py): the empty hook sets are shared
and free, a level without hooks changes nothing on the wire, every DynamoDB operation goes
through the one translating send, and compiled forms are cached per runtime and per plan.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from graphddb_runtime import (
    ConditionFailedError,
    GraphDDBRuntime,
    MiddlewareRuntime,
    OperationExecutionError,
    ThrottledError,
    WriteRuntime,
)
from graphddb_runtime._execute.client import METHODS, Sender
from graphddb_runtime._execute.engine import Cache, CacheKind
from graphddb_runtime._execute.fetch import read_plan
from graphddb_runtime._execute.legs import compiled_legs
from graphddb_runtime.demo import example_spec, seed

from ._fake_dynamo import FakeDynamo
from ._golden import ACCESS, CREATE_USER_PARAMS

TABLE = "graphddb-example"
QID = "getUserAccess"


def _fake() -> FakeDynamo:
    fake = FakeDynamo({TABLE: (("PK", "SK"), {"GSI1": ("GSI1PK", "GSI1SK")})})
    seed(fake, TABLE)
    return fake


def _runtime(client: Any) -> GraphDDBRuntime:
    manifest, operations = example_spec()
    return GraphDDBRuntime(client, manifest, operations, table_mapping={"AppTable": TABLE})


# --- hook sets ---------------------------------------------------------------------------------


def test_no_middleware_gives_the_shared_empty_hook_sets() -> None:
    reads, writes = MiddlewareRuntime.of(()), WriteRuntime.of(())
    assert reads is MiddlewareRuntime.of([]) and writes is WriteRuntime.of([])
    assert not (reads.request or reads.op or writes.logical or writes.persist)
    assert reads.before == reads.op_on_error == writes.before == writes.persist_after == ()


def test_each_level_flag_says_whether_that_level_has_a_hook() -> None:
    def hook(*_: Any) -> None:
        return None

    empty = MiddlewareRuntime.of([{"name": "nothing"}])
    assert empty is not MiddlewareRuntime.of(()) and not (empty.request or empty.op)
    op_only = MiddlewareRuntime.of([{"read": {"op": {"onError": hook}}}])
    assert (op_only.request, op_only.op) == (False, True)
    request_only = MiddlewareRuntime.of([{"read": {"afterFetch": hook}}])
    assert (request_only.request, request_only.op) == (True, False)
    persist_only = WriteRuntime.of([{"write": {"persist": {"before": hook}}}])
    assert (persist_only.logical, persist_only.persist) == (False, True)
    logical_only = WriteRuntime.of([{"write": {"onError": hook}}])
    assert (logical_only.logical, logical_only.persist) == (True, False)
    # The flags are computed from the hook lists, whatever the constructor is given.
    assert MiddlewareRuntime(before=(hook,), request=False).request is True
    assert dataclasses.replace(op_only, op_on_error=()).op is False


@pytest.mark.parametrize(
    "middleware",
    [
        {"name": "empty"},
        {"read": {"op": {"afterFetch": lambda ctx, items: None}}},
        {"read": {"afterFetch": lambda ctx, result: None}},
        {"write": {"persist": {"after": lambda ctx, results: None}}},
        {"write": {"after": lambda ctx, change: None}},
    ],
)
def test_hooks_that_change_nothing_send_and_return_what_no_hooks_do(middleware: Any) -> None:
    plain_client, hooked_client = _fake(), _fake()
    plain_client.forget()  # the seeding puts
    hooked_client.forget()
    plain, hooked = _runtime(plain_client), _runtime(hooked_client)
    hooked.use(middleware)
    for rt in (plain, hooked):
        assert rt.execute_query(QID, {"userId": "alice"}) == ACCESS
    assert hooked.execute_command("createUser", CREATE_USER_PARAMS) == plain.execute_command(
        "createUser", CREATE_USER_PARAMS
    )
    expected = plain_client.calls
    if "after" in middleware.get("write", {}):
        # A W2 hook observes the old image: the put asks for it (docs/format.md section 39,
        # step 8), and that is the only difference on the wire.
        expected = [
            (m, {**kw, "ReturnValues": "ALL_OLD"} if m == "put_item" else kw) for m, kw in expected
        ]
    # A stage's requests run concurrently: compare the calls made, not their completion order.
    assert sorted(map(repr, hooked_client.calls)) == sorted(map(repr, expected))


# --- the one send-and-translate ----------------------------------------------------------------


class _Raising:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def call(**_: Any) -> Any:
            raise self.error

        return call


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, "Op")


@pytest.mark.parametrize("operation", sorted(METHODS))
def test_every_operation_is_translated_by_the_one_send(operation: str) -> None:
    with pytest.raises(ConditionFailedError) as caught:
        Sender(_Raising(_client_error("ConditionalCheckFailedException"))).send("op", operation, {})
    assert caught.value.operation_id == "op" and isinstance(caught.value.__cause__, ClientError)
    with pytest.raises(ThrottledError):
        Sender(_Raising(_client_error("ThrottlingException"))).send("op", operation, {})
    with pytest.raises(OperationExecutionError):
        Sender(_Raising(BotoCoreError())).send("op", operation, {})
    with pytest.raises(KeyError):  # not botocore's: propagates unchanged
        Sender(_Raising(KeyError("x"))).send("op", operation, {})


def test_the_send_calls_the_client_method_of_the_operation() -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    class Client:
        def __getattr__(self, name: str) -> Any:
            return lambda **kwargs: seen.append((name, kwargs)) or {"ok": name}

    sender = Sender(Client())
    for operation, method in METHODS.items():
        assert sender.send("op", operation, {"TableName": "t"}) == {"ok": method}
    assert seen == [(method, {"TableName": "t"}) for method in METHODS.values()]


# --- the typed engine cache ----------------------------------------------------------------------


def test_the_cache_makes_each_form_once_per_source_object() -> None:
    cache, made = Cache(), []
    kind: CacheKind[tuple[int], list[int]] = CacheKind("test")
    other: CacheKind[tuple[int], list[int]] = CacheKind("other")

    def make(source: tuple[int]) -> list[int]:
        made.append(source)
        return list(source)

    first, equal = (1,), tuple([1])
    assert cache.get(kind, first, make) is cache.get(kind, first, make)
    assert cache.get(kind, equal, make) is not cache.get(kind, first, make)  # identity, not ==
    assert cache.get(other, first, make) is not cache.get(kind, first, make)  # kinds apart
    assert made == [first, equal, first]


def test_the_datetimes_text_twin_and_its_legs_are_built_once_per_runtime() -> None:
    engine = _runtime(_fake())._engine
    for query_id in (QID, "getUser"):
        plan = engine.catalog.queries[query_id]
        twin = read_plan(engine, plan, "text")
        assert read_plan(engine, plan, "text") is twin
        assert read_plan(engine, plan, "datetime") is plan
        assert compiled_legs(engine, twin) is compiled_legs(engine, twin)
    assert twin is not plan and not any(op.formats for op in twin.operations)
    assert read_plan(_runtime(_fake())._engine, plan, "text") is not twin  # per runtime
