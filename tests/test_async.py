"""AsyncGraphDDBRuntime (docs/format.md section 29): signature parity, value parity, concurrency.

The parity tests derive the list of methods from ``GraphDDBRuntime`` itself, so a new public
method without a twin, or a twin whose signature drifts, fails here.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from graphddb_runtime import AsyncGraphDDBRuntime, ConfigurationError, GraphDDBRuntime
from graphddb_runtime.local import create_tables

from ._fake_dynamo import FakeDynamo

SPECS = Path(__file__).resolve().parent / "specs" / "contracts"
MANIFEST, OPERATIONS = SPECS / "manifest.json", SPECS / "operations.json"
PASS_THROUGH = {"use", "clear_middleware", "get_middleware"}


def _public_methods() -> list[str]:
    return sorted(
        name
        for name, member in vars(GraphDDBRuntime).items()
        if not name.startswith("_") and inspect.isfunction(member)
    )


def test_every_io_method_has_an_async_twin_with_the_same_signature() -> None:
    methods = _public_methods()
    assert {"execute_query", "explain", "execute_command", "execute_transaction"} <= set(methods)
    assert {"execute_query_method", "execute_command_method"} <= set(methods)
    for name in methods:
        twin = getattr(AsyncGraphDDBRuntime, name, None)
        assert twin is not None, f"AsyncGraphDDBRuntime has no twin for {name}"
        sync = getattr(GraphDDBRuntime, name)
        assert inspect.signature(twin) == inspect.signature(sync), name
        assert inspect.iscoroutinefunction(twin) is (name not in PASS_THROUGH), name


def test_the_parity_check_notices_a_drifting_signature() -> None:
    class Drifted(AsyncGraphDDBRuntime):
        async def explain(self, query_id: str, params: Any) -> Any:  # type: ignore[override]
            return None

    assert inspect.signature(Drifted.explain) != inspect.signature(GraphDDBRuntime.explain)


def test_sync_is_the_wrapped_runtime_and_middleware_passes_through() -> None:
    runtime = GraphDDBRuntime(object(), MANIFEST, OPERATIONS)
    wrapped = AsyncGraphDDBRuntime(runtime)
    assert wrapped.sync is runtime
    middleware = {"read": {}}
    wrapped.use(middleware)
    assert runtime.get_middleware() == (middleware,) == wrapped.get_middleware()
    wrapped.clear_middleware()
    assert runtime.get_middleware() == ()


def test_wrapping_something_else_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="wraps a GraphDDBRuntime"):
        AsyncGraphDDBRuntime(object())  # type: ignore[arg-type]


# --- value parity: the same calls, sync and async, on two fresh backends -----------------------

JOINED = "2024-05-01T00:00:00.000Z"
CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    (
        "execute_command",
        ("createUser", {"userId": "u1", "name": "Ada", "email": "a@x", "createdAt": JOINED}),
        {},
    ),
    (
        "execute_command",
        ("createUser", {"userId": "u1", "name": "Ada", "email": "a@x", "createdAt": JOINED}),
        {},
    ),  # ConditionFailedError
    (
        "execute_command",
        ("setOrderStatus", {"orderId": "o1", "status": "PAID"}, {"returnValues": "ALL_NEW"}),
        {},
    ),
    ("execute_query", ("getUser", {"userId": "u1"}), {}),
    ("execute_query", ("getUser", {"userId": "nobody"}), {}),  # None
    ("execute_query", ("getUser", {"userId": 7}), {}),  # ParameterValidationError
    ("execute_query", ("nope", {}), {}),  # QueryNotFoundError
    ("explain", ("getUserAccess", {"userId": "u1"}), {}),
    (
        "execute_transaction",
        (
            "addMembers",
            {"groupId": "eng", "joinedAt": JOINED, "members": [{"userId": "u1", "role": "admin"}]},
        ),
        {"client_request_token": "t-1"},
    ),
    (
        "execute_transaction",
        (
            "addMemberIfGroupExists",
            {"groupId": "ghost", "userId": "u2", "role": "member", "joinedAt": JOINED},
        ),
        {},
    ),  # TransactionCanceledError
    ("execute_query", ("getUserAccess", {"userId": "u1"}), {}),
    ("execute_query_method", ("GroupById", "get", [{"groupId": "eng"}, {"groupId": "x"}]), {}),
    ("execute_query_method", ("MembersByGroup", "list", {"groupId": "eng"}, {"limit": 1}), {}),
    ("execute_query_method", ("MembersByGroup", "list", [{"groupId": "eng"}]), {}),  # arity
    (
        "execute_command_method",
        (
            "MembershipCommands",
            "add",
            {"groupId": "eng", "userId": "u3"},
            {"role": "member", "joinedAt": JOINED},
        ),
        {},
    ),
    (
        "execute_command_method",
        ("MembershipCommands", "remove", [{"groupId": "eng", "userId": "u3"}]),
        {},
    ),
    ("execute_command_method", ("Nope", "x", {}), {}),  # ContractNotFoundError
]


def _outcome(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return ("ok", method(*args, **kwargs))
    except Exception as error:  # the parity compares exception types and messages
        return ("error", type(error), str(error))


@pytest.fixture
def fresh_runtime() -> Iterator[Callable[[], GraphDDBRuntime]]:
    def make() -> GraphDDBRuntime:
        client = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        create_tables(client, MANIFEST)
        client.put_item(
            TableName="app-prod",  # the manifest's physicalName (section 15.6)
            Item={
                "PK": {"S": "GROUP#eng"},
                "SK": {"S": "META"},
                "groupId": {"S": "eng"},
                "name": {"S": "Engineering"},
                "memberCount": {"N": "0"},
            },
        )
        return GraphDDBRuntime(client, MANIFEST, OPERATIONS)

    yield make


def test_every_twin_returns_what_the_sync_method_returns(
    fresh_runtime: Callable[[], GraphDDBRuntime],
) -> None:
    with mock_aws():
        runtime = fresh_runtime()
        expected = [_outcome(getattr(runtime, n), *a, **k) for n, a, k in CALLS]
    with mock_aws():
        wrapped = AsyncGraphDDBRuntime(fresh_runtime())

        async def run_all() -> list[Any]:
            outcomes = []
            for name, args, kwargs in CALLS:
                try:
                    outcomes.append(("ok", await getattr(wrapped, name)(*args, **kwargs)))
                except Exception as error:
                    outcomes.append(("error", type(error), str(error)))
            return outcomes

        actual = asyncio.run(run_all())
    assert [o[0] for o in expected].count("error") >= 6  # the error paths are really exercised
    assert any(o == ("ok", None) for o in expected)
    assert actual == expected


# --- concurrency ----------------------------------------------------------------------------------


def _slow_runtime(latency: float) -> tuple[GraphDDBRuntime, FakeDynamo]:
    fake = FakeDynamo({"app-prod": (("PK", "SK"), {"GSI1": ("GSI1PK", "GSI1SK")})})
    fake.put("app-prod", {"PK": {"S": "USER#u1"}, "SK": {"S": "PROFILE"}, "userId": {"S": "u1"}})
    fake.delay = lambda method, kwargs: latency
    return GraphDDBRuntime(fake, MANIFEST, OPERATIONS), fake


def test_32_concurrent_awaits_overlap_up_to_the_pool_size() -> None:
    latency, pool = 0.05, 8
    runtime, fake = _slow_runtime(latency)
    wrapped = AsyncGraphDDBRuntime(runtime)

    async def main() -> list[Any]:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=pool))
        return list(
            await asyncio.gather(
                *(wrapped.execute_query("getUser", {"userId": "u1"}) for _ in range(32))
            )
        )

    results = asyncio.run(main())
    assert results == [{"userId": "u1"}] * 32
    assert fake.count("get_item") == 32
    # The awaits run on the loop's executor: a full pool of calls in flight at once, never more
    # (sequential awaits would peak at one call in flight).
    assert fake.max_in_flight == pool


def test_cancelling_the_awaiting_task_does_not_stop_a_started_call() -> None:
    runtime, fake = _slow_runtime(0.0)
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def hold(method: str, kwargs: dict[str, Any]) -> float:
        started.set()
        release.wait(5)
        return 0.0

    fake.delay = hold
    runtime.use({"read": {"afterFetch": lambda ctx, result: finished.set()}})
    wrapped = AsyncGraphDDBRuntime(runtime)

    async def main() -> None:
        task = asyncio.create_task(wrapped.execute_query("getUser", {"userId": "u1"}))
        await asyncio.to_thread(started.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()
        assert await asyncio.to_thread(finished.wait, 5)  # the worker ran to the end

    asyncio.run(main())
    assert fake.count("get_item") == 1
