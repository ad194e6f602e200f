"""Hooks under concurrency: shared runtimes, threads and the async adapter."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from graphddb_runtime import (
    AsyncGraphDDBRuntime,
)

from .._golden import ACCESS
from ._support import (
    ALICE,
    REMOVE,
    USER,
    Spy,
    fake_client,
    middleware,
    runtime,
    trace,
)

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
