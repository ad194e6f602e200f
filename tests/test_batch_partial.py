"""Partial batch failures say what is left (docs/format.md sections 21.3, 13.1, 34.3, 31.2, 19).

A BatchGetItem or BatchWriteItem chunk whose call fails (throttling after botocore's retries, a
connection error, a read timeout, a server error) raises the error with its class unchanged,
carrying ``.unprocessed`` (never sent, returned unprocessed, or rejected by DynamoDB) and, for
writes, ``.unknown`` (the failed call may or may not have been applied). Chunks that completed
are done; chunks in flight finish first; nothing more is sent after the failure.

Everything runs through the public API (contract batch methods, relation legs) on an in-memory
client that fails the chunk that starts with a given key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from graphddb_runtime import (
    BatchIncompleteError,
    GraphDDBRuntime,
    OperationExecutionError,
    RuntimeLimits,
    ThrottledError,
)
from graphddb_runtime.demo import example_spec

from ._fake_dynamo import FakeDynamo

AV = dict[str, Any]
TABLE = "app-prod"
JOINED = "2024-05-01T00:00:00.000Z"
SPECS = Path(__file__).resolve().parent / "specs" / "contracts"
URL = "https://dynamodb.us-east-1.amazonaws.com"


def client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "failed"},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "req-9"},
    }
    return ClientError(response, "BatchWriteItem")


def throttled() -> ClientError:
    return client_error("ProvisionedThroughputExceededException", 400)


#: name -> (error factory, raised class, whether a failed write's outcome is unknown)
FAILURES: dict[str, tuple[Callable[[], BaseException], type[Exception], bool]] = {
    "throttled": (throttled, ThrottledError, False),
    "validation": (
        lambda: client_error("ValidationException", 400),
        OperationExecutionError,
        False,
    ),
    "connection": (
        lambda: EndpointConnectionError(endpoint_url=URL),
        OperationExecutionError,
        True,
    ),
    "read-timeout": (
        lambda: ReadTimeoutError(endpoint_url=URL, error="timed out"),
        OperationExecutionError,
        True,
    ),
    "server": (lambda: client_error("InternalServerError", 500), OperationExecutionError, True),
}


def _key_text(key: dict[str, Any]) -> str:
    return f"{key['PK']['S']}|{key['SK']['S']}"


def _request_key(request: dict[str, Any]) -> dict[str, Any]:
    if "PutRequest" in request:
        return dict(request["PutRequest"]["Item"])
    return dict(request["DeleteRequest"]["Key"])


def _first_key(method: str, kwargs: dict[str, Any]) -> str:
    ((_, entry),) = kwargs["RequestItems"].items()
    if method == "batch_get_item":
        return _key_text(entry["Keys"][0])
    return _key_text(_request_key(entry[0]))


class FailChunk:
    """A ``FakeDynamo.fail`` script: fails the batch chunk that starts with a given key.

    With ``together`` set, the failing call first waits until that many batch calls are in
    flight, and every other batch call waits for the failure before it completes: the other
    chunks are provably in flight when one fails.
    """

    def __init__(self, client: FakeDynamo) -> None:
        self.client = client
        self.failing: dict[str, BaseException] = {}
        self.together = 0
        self.failed = threading.Event()

    def __call__(self, method: str, kwargs: dict[str, Any]) -> BaseException | None:
        if not method.startswith("batch_"):
            return None
        error = self.failing.get(_first_key(method, kwargs))
        if error is None:
            if self.together:
                assert self.failed.wait(5), "the failing chunk never ran"
                time.sleep(0.01)  # finish well after the failure
            return None
        if self.together:
            deadline = time.monotonic() + 5
            while self.client.in_flight < self.together and time.monotonic() < deadline:
                time.sleep(0.001)
            assert self.client.in_flight == self.together, "the other chunks are not in flight"
        self.failed.set()
        return error


def dynamo() -> tuple[FakeDynamo, FailChunk]:
    """The shared fake with one table, scripted by a :class:`FailChunk`."""
    client = FakeDynamo({TABLE: (("PK", "SK"), {"GSI1": ("GSI1PK", "GSI1SK")})})
    chunks = FailChunk(client)
    client.fail = chunks
    return client, chunks


def stuck(*keys: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """An ``unprocessed_writes`` script: the requests for ``keys`` (``PK|SK``) are never done."""
    return lambda requests: [r for r in requests if _key_text(_request_key(r)) in keys]


def no_sleep(_: float) -> None:
    return None


def contracts(client: FakeDynamo, **limits: Any) -> GraphDDBRuntime:
    return GraphDDBRuntime(
        client,
        SPECS / "manifest.json",
        SPECS / "operations.json",
        table_mapping={"AppTable": TABLE},
        limits=RuntimeLimits(**limits),
        sleep=no_sleep,
    )


# --- BatchWriteItem: contract parallel mode (section 34.3) ------------------------------------


def add_members(rt: GraphDDBRuntime, count: int) -> Any:
    keys = [{"userId": f"u{i}"} for i in range(count)]
    shared = {"groupId": "eng", "role": "member", "joinedAt": JOINED}
    return rt.execute_command_method("MembershipCommands", "add", keys, shared)


def user_ids(entries: tuple[Any, ...]) -> list[str]:
    """The users of ``{"table", "request": PutRequest}`` entries, checking their shape."""
    out = []
    for entry in entries:
        assert set(entry) == {"table", "request"} and entry["table"] == TABLE
        out.append(entry["request"]["PutRequest"]["Item"]["userId"]["S"])
    return out


def written(client: FakeDynamo, count: int) -> list[str]:
    return [
        f"u{i}"
        for i in range(count)
        if client.row(TABLE, {"PK": {"S": "GROUP#eng"}, "SK": {"S": f"USER#u{i}"}}) is not None
    ]


def chunk(*users: int) -> list[str]:
    return [f"u{i}" for i in users]


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_sequential_writes_report_the_failed_chunk_and_the_chunks_never_sent(name: str) -> None:
    make, raised, unknown = FAILURES[name]
    client, chunks = dynamo()
    chunks.failing["GROUP#eng|USER#u2"] = make()  # the second chunk of four
    rt = contracts(client, max_batch_write_items=2, batch_concurrency=1)
    with pytest.raises(raised) as caught:
        add_members(rt, 8)
    error = caught.value
    assert type(error) is raised
    assert isinstance(error.original, type(chunks.failing["GROUP#eng|USER#u2"]))
    assert error.operation_id == "MembershipCommands.add"
    failed, never_sent = chunk(2, 3), chunk(4, 5, 6, 7)
    assert user_ids(error.unprocessed) == (never_sent if unknown else failed + never_sent)
    assert user_ids(error.unknown) == (failed if unknown else [])
    assert client.count("batch_write_item") == 2  # nothing is sent after the failure
    assert written(client, 8) == chunk(0, 1)  # the completed chunk is done


def test_a_failed_write_entry_is_the_request_as_sent() -> None:
    client, chunks = dynamo()
    chunks.failing["GROUP#eng|USER#u0"] = EndpointConnectionError(endpoint_url=URL)
    rt = contracts(client, max_batch_write_items=25)
    with pytest.raises(OperationExecutionError) as caught:
        add_members(rt, 1)
    sent = client.requests("batch_write_item")[0]["RequestItems"][TABLE]
    assert caught.value.unknown == ({"table": TABLE, "request": sent[0]},)
    assert caught.value.unprocessed == ()


@pytest.mark.parametrize("name", ["throttled", "connection"])
def test_concurrent_writes_wait_for_the_chunks_in_flight_and_send_nothing_more(name: str) -> None:
    make, raised, unknown = FAILURES[name]
    client, chunks = dynamo()
    chunks.failing["GROUP#eng|USER#u2"] = make()  # chunk 1 of 6, while chunks 0 and 2 run
    chunks.together = 3
    rt = contracts(client, max_batch_write_items=2, batch_concurrency=3)
    with pytest.raises(raised) as caught:
        add_members(rt, 12)
    failed, never_sent = chunk(2, 3), chunk(6, 7, 8, 9, 10, 11)
    assert user_ids(caught.value.unprocessed) == (never_sent if unknown else failed + never_sent)
    assert user_ids(caught.value.unknown) == (failed if unknown else [])
    assert client.count("batch_write_item") == 3
    assert written(client, 12) == chunk(0, 1, 4, 5)  # the chunks in flight finished


def test_concurrent_writes_with_every_chunk_in_flight_report_only_the_failed_one() -> None:
    client, chunks = dynamo()
    chunks.failing["GROUP#eng|USER#u4"] = throttled()
    chunks.together = 4
    rt = contracts(client, max_batch_write_items=2, batch_concurrency=4)
    with pytest.raises(ThrottledError) as caught:
        add_members(rt, 8)
    assert user_ids(caught.value.unprocessed) == chunk(4, 5)
    assert caught.value.unknown == ()
    assert written(client, 8) == chunk(0, 1, 2, 3, 6, 7)


def test_leftovers_of_an_exhausted_chunk_are_reported_with_another_chunks_error() -> None:
    client, chunks = dynamo()
    client.unprocessed_writes = stuck(
        "GROUP#eng|USER#u1"
    )  # chunk 0 keeps returning u1 as unprocessed
    chunks.failing["GROUP#eng|USER#u2"] = EndpointConnectionError(endpoint_url=URL)
    rt = contracts(client, max_batch_write_items=2, batch_concurrency=1, batch_max_retries=2)
    with pytest.raises(OperationExecutionError) as caught:
        add_members(rt, 6)
    assert type(caught.value) is OperationExecutionError
    assert user_ids(caught.value.unprocessed) == chunk(1, 4, 5)
    assert user_ids(caught.value.unknown) == chunk(2, 3)
    assert client.count("batch_write_item") == 4  # chunk 0 with its 2 retries, then chunk 1


def test_exhaustion_alone_raises_batch_incomplete_with_nothing_unknown() -> None:
    client, _ = dynamo()
    client.unprocessed_writes = stuck("GROUP#eng|USER#u3")
    rt = contracts(client, max_batch_write_items=2, batch_max_retries=1)
    with pytest.raises(BatchIncompleteError) as caught:
        add_members(rt, 4)
    assert user_ids(caught.value.unprocessed) == chunk(3)
    assert caught.value.unknown == ()
    assert written(client, 4) == chunk(0, 1, 2)


def test_deletes_report_delete_requests() -> None:
    client, chunks = dynamo()
    for i in range(4):
        client.put(TABLE, {"PK": {"S": "GROUP#eng"}, "SK": {"S": f"USER#u{i}"}})
    chunks.failing["GROUP#eng|USER#u2"] = throttled()
    rt = contracts(client, max_batch_write_items=2, batch_concurrency=1)
    keys = [{"groupId": "eng", "userId": f"u{i}"} for i in range(4)]
    with pytest.raises(ThrottledError) as caught:
        rt.execute_command_method("MembershipCommands", "remove", keys)
    assert caught.value.unprocessed == tuple(
        {
            "table": TABLE,
            "request": {
                "DeleteRequest": {"Key": {"PK": {"S": "GROUP#eng"}, "SK": {"S": f"USER#u{i}"}}}
            },
        }
        for i in (2, 3)
    )
    assert written(client, 4) == chunk(2, 3)  # u0 and u1 are deleted


# --- BatchGetItem: contract point arrays (section 31.2) and relation legs (section 19) ---------


def group_keys(entries: tuple[Any, ...]) -> list[str]:
    out = []
    for entry in entries:
        assert set(entry) == {"table", "key"} and entry["table"] == TABLE
        assert entry["key"]["SK"] == {"S": "META"}
        out.append(entry["key"]["PK"]["S"])
    return out


def groups(*ids: int) -> list[str]:
    return [f"GROUP#g{i}" for i in ids]


def seed_groups(client: FakeDynamo, count: int) -> None:
    for i in range(count):
        client.put(
            TABLE, {"PK": {"S": f"GROUP#g{i}"}, "SK": {"S": "META"}, "groupId": {"S": f"g{i}"}}
        )


@pytest.mark.parametrize("name", sorted(FAILURES))
@pytest.mark.parametrize("concurrency", [1, 3])
def test_point_array_reads_report_every_key_not_read(name: str, concurrency: int) -> None:
    make, raised, _ = FAILURES[name]
    client, chunks = dynamo()
    seed_groups(client, 6)
    chunks.failing["GROUP#g2|META"] = make()  # chunk 1 of 3
    chunks.together = concurrency if concurrency > 1 else 0
    rt = contracts(client, max_batch_get_items=2, batch_concurrency=concurrency)
    with pytest.raises(raised) as caught:
        rt.execute_query_method("GroupById", "get", [{"groupId": f"g{i}"} for i in range(6)])
    assert type(caught.value) is raised
    # a read has no effect: the failed chunk's keys are unprocessed, never unknown
    expected = groups(2, 3) if concurrency > 1 else groups(2, 3, 4, 5)
    assert group_keys(caught.value.unprocessed) == expected
    assert caught.value.unknown == ()
    assert client.count("batch_get_item") == (3 if concurrency > 1 else 2)


def test_a_read_retry_that_fails_reports_only_the_keys_still_pending() -> None:
    client, chunks = dynamo()
    seed_groups(client, 4)
    rounds = [0]

    def unprocessed(keys: list[AV]) -> list[AV]:
        rounds[0] += 1
        if rounds[0] == 1:  # the first call leaves g1 unprocessed; its retry then fails
            chunks.failing["GROUP#g1|META"] = EndpointConnectionError(endpoint_url=URL)
            return [k for k in keys if k["PK"]["S"] == "GROUP#g1"]
        return []

    client.unprocessed = unprocessed
    rt = contracts(client, max_batch_get_items=2, batch_concurrency=1)
    with pytest.raises(OperationExecutionError) as caught:
        rt.execute_query_method("GroupById", "get", [{"groupId": f"g{i}"} for i in range(4)])
    assert group_keys(caught.value.unprocessed) == groups(1, 2, 3)


def example(client: FakeDynamo, **limits: Any) -> GraphDDBRuntime:
    manifest, operations = example_spec()
    return GraphDDBRuntime(
        client,
        manifest,
        operations,
        table_mapping={"AppTable": TABLE},
        limits=RuntimeLimits(**limits),
        sleep=no_sleep,
    )


def test_relation_batch_get_legs_raise_with_the_keys_not_read() -> None:
    client, chunks = dynamo()
    client.put(TABLE, {"PK": {"S": "USER#alice"}, "SK": {"S": "PROFILE"}, "userId": {"S": "alice"}})
    seed_groups(client, 5)
    for i in range(5):
        client.put(
            TABLE,
            {
                "PK": {"S": f"GROUP#g{i}"},
                "SK": {"S": "USER#alice"},
                "GSI1PK": {"S": "USER#alice"},
                "GSI1SK": {"S": f"GROUP#g{i}"},
                "groupId": {"S": f"g{i}"},
                "role": {"S": "member"},
            },
        )
    chunks.failing["GROUP#g2|META"] = throttled()
    rt = example(client, max_batch_get_items=2, batch_concurrency=1)
    with pytest.raises(ThrottledError) as caught:
        rt.execute_query("getUserAccess", {"userId": "alice"})
    assert caught.value.operation_id == "getUserAccess"
    assert group_keys(caught.value.unprocessed) == groups(2, 3, 4)
    assert caught.value.unknown == ()
    # with middleware, the op-level hooks run the same executor
    seen: list[BaseException] = []
    rt.use({"read": {"op": {"onError": lambda ctx, error: seen.append(error)}}})
    with pytest.raises(ThrottledError) as hooked:
        rt.execute_query("getUserAccess", {"userId": "alice"})
    assert group_keys(hooked.value.unprocessed) == groups(2, 3, 4)
    assert seen == [hooked.value]


def test_other_failures_carry_empty_attributes() -> None:
    client, _ = dynamo()
    client.fail = lambda method, kwargs: throttled() if method == "get_item" else None
    rt = example(client)
    with pytest.raises(ThrottledError) as caught:
        rt.execute_query("getUser", {"userId": "alice"})
    assert caught.value.unprocessed == ()
    assert caught.value.unknown == ()
