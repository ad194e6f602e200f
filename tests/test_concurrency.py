"""Unit tests for ``map_with_concurrency`` (docs/format.md section 41.1)."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from graphddb_runtime import concurrency
from graphddb_runtime.concurrency import map_with_concurrency

#: Generous bound for "did not deadlock": every test here finishes in well under a second.
GUARD_SECONDS = 10.0
#: Bound for waits that only fail when something is wrong.
WAIT_SECONDS = 5.0


class Boom(Exception):
    """A worker failure tagged with the index that raised it."""

    def __init__(self, index: int) -> None:
        super().__init__(f"boom {index}")
        self.index = index


def run_guarded(fn: Callable[[], Any], timeout: float = GUARD_SECONDS) -> Any:
    """Run ``fn`` on a daemon thread and fail (instead of hanging) if it does not return."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"map_with_concurrency did not return within {timeout}s"
    if "error" in box:
        raise box["error"]
    return box["value"]


class Gauge:
    """Counts workers running at once and remembers the peak."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current = 0
        self.peak = 0

    def __enter__(self) -> None:
        with self.lock:
            self.current += 1
            self.peak = max(self.peak, self.current)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.current -= 1


@pytest.fixture
def small_pool(monkeypatch: pytest.MonkeyPatch):
    """Replace the shared helper pool by a 2-thread one, so it is easy to exhaust."""
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="graphddb-test")
    monkeypatch.setattr(concurrency, "_pool", pool)
    yield pool
    pool.shutdown(wait=True)


# --- results and ordering ---------------------------------------------------------------------


def test_empty_input_returns_empty_list_without_calling_worker() -> None:
    calls: list[int] = []

    def worker(item: int, index: int) -> int:
        calls.append(index)
        return item

    assert map_with_concurrency([], 4, worker) == []
    assert map_with_concurrency([], 1, worker) == []
    assert map_with_concurrency(iter(()), 8, worker) == []
    assert calls == []


@pytest.mark.parametrize("limit", [2, 3, 4, 16])
def test_results_in_input_order_regardless_of_completion_order(limit: int) -> None:
    # Item 0 is slower than all the others together and the later ones get faster, so item 0
    # finishes last and completion order is (close to) the reverse of input order.
    delays = [0.08, 0.02, 0.015, 0.01, 0.005, 0.0, 0.0, 0.0]
    finished: list[int] = []
    lock = threading.Lock()

    def worker(delay: float, index: int) -> tuple[int, float]:
        time.sleep(delay)
        with lock:
            finished.append(index)
        return index, delay

    result = run_guarded(lambda: map_with_concurrency(delays, limit, worker))

    assert result == [(i, d) for i, d in enumerate(delays)]
    assert sorted(finished) == list(range(len(delays)))
    assert finished != sorted(finished), "completion order should differ from input order"
    assert finished[-1] == 0


def test_worker_receives_item_and_index_and_accepts_any_iterable() -> None:
    items = (f"item-{i}" for i in range(10))  # a generator, consumed once
    result = map_with_concurrency(items, 3, lambda item, index: (index, item))
    assert result == [(i, f"item-{i}") for i in range(10)]


# --- inline vs. pooled ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "count"),
    [(1, 5), (1, 1), (8, 1), (0, 3), (-1, 2)],
    ids=["limit-1", "limit-1-one-item", "one-item", "limit-0", "negative-limit"],
)
def test_runs_inline_on_calling_thread_when_width_at_most_one(limit: int, count: int) -> None:
    caller = threading.get_ident()
    seen: list[tuple[int, int]] = []

    def worker(item: int, index: int) -> int:
        seen.append((index, threading.get_ident()))
        return item * 10

    assert map_with_concurrency(range(count), limit, worker) == [i * 10 for i in range(count)]
    # Every call on the calling thread, one after the other in input order.
    assert seen == [(i, caller) for i in range(count)]


def test_width_above_one_runs_min_limit_n_workers_at_once_including_caller() -> None:
    barrier = threading.Barrier(4, timeout=WAIT_SECONDS)
    threads: list[int] = []
    lock = threading.Lock()

    def worker(item: int, index: int) -> int:
        with lock:
            threads.append(threading.get_ident())
        barrier.wait()  # only passes if 4 workers really run at the same time
        return item

    def call() -> tuple[list[int], int]:
        return map_with_concurrency(range(4), 4, worker), threading.get_ident()

    result, caller = run_guarded(call)
    assert result == [0, 1, 2, 3]
    assert len(set(threads)) == 4
    # Design (module docstring): the calling thread is itself one of the workers.
    assert caller in threads


def test_helper_threads_come_from_one_shared_pool_reused_across_calls() -> None:
    lock = threading.Lock()

    def helpers_of_one_call() -> set[str]:
        names: set[str] = set()
        barrier = threading.Barrier(3, timeout=WAIT_SECONDS)

        def worker(item: int, index: int) -> int:
            with lock:
                names.add(threading.current_thread().name)
            barrier.wait()
            return item

        def call() -> str:
            map_with_concurrency(range(3), 3, worker)
            return threading.current_thread().name

        return names - {run_guarded(call)}

    first = helpers_of_one_call()
    assert len(first) == 2
    assert all(name.startswith("graphddb") for name in first)
    alive = {thread.name for thread in threading.enumerate()}
    second = helpers_of_one_call()
    assert len(second) == 2
    assert second <= alive  # the second call's helpers already existed: reused, not recreated


@pytest.mark.parametrize(("limit", "count"), [(2, 20), (3, 20), (4, 9), (5, 5)])
def test_at_most_limit_workers_run_at_once(limit: int, count: int) -> None:
    gauge = Gauge()

    def worker(item: int, index: int) -> int:
        with gauge:
            time.sleep(0.005)
        return item

    assert run_guarded(lambda: map_with_concurrency(range(count), limit, worker)) == list(
        range(count)
    )
    assert 1 < gauge.peak <= min(limit, count)


# --- failures ---------------------------------------------------------------------------------


def test_inline_failure_stops_later_items() -> None:
    started: list[int] = []

    def worker(item: int, index: int) -> int:
        started.append(index)
        if index == 2:
            raise Boom(index)
        return item

    with pytest.raises(Boom) as info:
        map_with_concurrency(range(6), 1, worker)
    assert info.value.index == 2
    assert started == [0, 1, 2]


def test_after_a_failure_unstarted_items_never_start_and_running_ones_finish() -> None:
    # limit 2: items 0 and 1 run together. Item 0 fails only once item 1 is running; item 1
    # keeps running well after that, and must finish. No item after 1 may ever start.
    one_running = threading.Event()
    started: set[int] = set()
    finished: set[int] = set()
    lock = threading.Lock()

    def worker(item: int, index: int) -> int:
        with lock:
            started.add(index)
        if index == 0:
            assert one_running.wait(WAIT_SECONDS), "item 1 never ran next to item 0"
            raise Boom(0)
        if index == 1:
            one_running.set()
            time.sleep(0.05)  # item 0's failure is recorded long before this ends
        with lock:
            finished.add(index)
        return item

    with pytest.raises(Boom) as info:
        run_guarded(lambda: map_with_concurrency(range(10), 2, worker))

    assert info.value.index == 0
    assert started == {0, 1}
    assert finished == {1}, "the running item must be allowed to finish"


def test_failure_does_not_wait_for_items_that_never_started() -> None:
    # With a wide limit and a failure on the first item, the items not started yet never run.
    started: list[int] = []
    lock = threading.Lock()

    def worker(item: int, index: int) -> int:
        with lock:
            started.append(index)
        if index == 0:
            raise Boom(0)
        time.sleep(0.01)
        return item

    with pytest.raises(Boom):
        run_guarded(lambda: map_with_concurrency(range(1000), 4, worker))
    assert 0 in started
    # At most one item per worker may already be under way when the failure is seen.
    assert len(started) <= 2 * 4, "items kept starting after the failure"


def test_lowest_failed_index_wins_even_when_a_higher_index_fails_first() -> None:
    two_failed = threading.Event()
    order: list[int] = []
    lock = threading.Lock()
    errors = {0: Boom(0), 2: Boom(2)}

    def worker(item: int, index: int) -> int:
        if index == 2:
            with lock:
                order.append(2)
            two_failed.set()
            raise errors[2]
        if index == 0:
            assert two_failed.wait(WAIT_SECONDS), "item 2 never ran next to item 0"
            time.sleep(0.02)  # let item 2's failure be recorded first
            with lock:
                order.append(0)
            raise errors[0]
        return item

    with pytest.raises(Boom) as info:
        run_guarded(lambda: map_with_concurrency(range(3), 3, worker))

    assert order == [2, 0], "item 2 must fail before item 0"
    assert info.value is errors[0]


def test_lowest_failed_index_wins_when_it_fails_first() -> None:
    zero_failed = threading.Event()
    errors = {0: Boom(0), 1: Boom(1)}

    def worker(item: int, index: int) -> int:
        if index == 0:
            zero_failed.set()
            raise errors[0]
        if index == 1:
            assert zero_failed.wait(WAIT_SECONDS)
            raise errors[1]
        return item

    with pytest.raises(Boom) as info:
        run_guarded(lambda: map_with_concurrency(range(2), 2, worker))
    assert info.value is errors[0]


def test_failure_on_a_helper_thread_is_reraised_on_the_calling_thread() -> None:
    barrier = threading.Barrier(2, timeout=WAIT_SECONDS)
    caller: list[int] = []
    failed_on: list[int] = []

    def worker(item: int, index: int) -> int:
        barrier.wait()  # two distinct threads: the caller and one helper
        if threading.get_ident() == caller[0]:
            return item
        failed_on.append(threading.get_ident())
        raise Boom(index)

    def call() -> list[int]:
        caller.append(threading.get_ident())
        return map_with_concurrency(range(2), 2, worker)

    with pytest.raises(Boom):
        run_guarded(call)
    assert len(failed_on) == 1
    assert failed_on[0] != caller[0]


# --- nesting and pool exhaustion ---------------------------------------------------------------


def test_nested_width_4_inside_width_4_does_not_deadlock() -> None:
    def inner(item: int, index: int) -> int:
        time.sleep(0.001)
        return item * 10 + index

    def outer(item: int, index: int) -> list[int]:
        return map_with_concurrency(range(item, item + 4), 4, inner)

    result = run_guarded(lambda: map_with_concurrency(range(8), 4, outer))
    assert result == [[(o + i) * 10 + i for i in range(4)] for o in range(8)]


def test_three_levels_of_nesting_do_not_deadlock() -> None:
    def leaf(item: int, index: int) -> int:
        return item

    def middle(item: int, index: int) -> int:
        return sum(map_with_concurrency(range(4), 4, leaf)) + item

    def top(item: int, index: int) -> list[int]:
        return map_with_concurrency(range(4), 4, middle)

    result = run_guarded(lambda: map_with_concurrency(range(4), 4, top))
    assert result == [[6, 7, 8, 9]] * 4


def test_outer_width_beyond_shared_pool_size_does_not_deadlock() -> None:
    width = concurrency.POOL_SIZE + 36
    gauge = Gauge()

    def inner(item: int, index: int) -> int:
        with gauge:
            time.sleep(0.001)
        return item

    def outer(item: int, index: int) -> int:
        return sum(map_with_concurrency(range(4), 4, inner)) + item

    result = run_guarded(lambda: map_with_concurrency(range(width), width, outer))
    assert result == [6 + i for i in range(width)]


def test_nested_fan_out_with_tiny_pool_does_not_deadlock(small_pool: ThreadPoolExecutor) -> None:
    # Outer width 16 on a 2-thread pool: almost every helper is queued behind busy threads.
    def inner(item: int, index: int) -> int:
        time.sleep(0.001)
        return item

    def outer(item: int, index: int) -> list[int]:
        return map_with_concurrency(range(item, item + 4), 4, inner)

    result = run_guarded(lambda: map_with_concurrency(range(16), 16, outer))
    assert result == [list(range(o, o + 4)) for o in range(16)]


def test_busy_pool_degrades_to_calling_thread(small_pool: ThreadPoolExecutor) -> None:
    # Occupy every pool thread with unrelated work; the call must still complete on its own.
    release = threading.Event()
    occupied = threading.Barrier(3, timeout=WAIT_SECONDS)

    def hog() -> None:
        occupied.wait()
        release.wait(GUARD_SECONDS)

    hogs = [small_pool.submit(hog) for _ in range(2)]
    occupied.wait()
    try:
        threads: list[int] = []

        def worker(item: int, index: int) -> int:
            threads.append(threading.get_ident())
            return item

        caller: list[int] = []

        def call() -> list[int]:
            caller.append(threading.get_ident())
            return map_with_concurrency(range(6), 4, worker)

        assert run_guarded(call) == list(range(6))
        assert set(threads) == set(caller)
    finally:
        release.set()
        for future in hogs:
            future.result(WAIT_SECONDS)


def test_failure_inside_nested_call_propagates_to_outer_caller() -> None:
    def inner(item: int, index: int) -> int:
        if item == 13:
            raise Boom(item)
        return item

    def outer(item: int, index: int) -> list[int]:
        return map_with_concurrency(range(item * 4, item * 4 + 4), 4, inner)

    with pytest.raises(Boom) as info:
        run_guarded(lambda: map_with_concurrency(range(6), 4, outer))
    assert info.value.index == 13


# --- contextvars ------------------------------------------------------------------------------

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


def test_contextvars_propagate_into_helper_threads() -> None:
    barrier = threading.Barrier(4, timeout=WAIT_SECONDS)

    def worker(item: int, index: int) -> tuple[str, int]:
        barrier.wait()  # forces four distinct threads
        return request_id.get(), threading.get_ident()

    def call() -> list[tuple[str, int]]:
        request_id.set("req-42")
        return map_with_concurrency(range(4), 4, worker)

    result = run_guarded(call)
    assert [value for value, _ in result] == ["req-42"] * 4
    assert len({ident for _, ident in result}) == 4


def test_contextvars_propagate_into_nested_helpers() -> None:
    def inner(item: int, index: int) -> str:
        time.sleep(0.001)
        return request_id.get()

    def outer(item: int, index: int) -> list[str]:
        return map_with_concurrency(range(4), 4, inner)

    def call() -> list[list[str]]:
        request_id.set("nested")
        return map_with_concurrency(range(4), 4, outer)

    assert run_guarded(call) == [["nested"] * 4] * 4


def test_helper_context_is_a_copy_so_worker_sets_do_not_leak_between_calls() -> None:
    barrier = threading.Barrier(2, timeout=WAIT_SECONDS)
    caller_ident: list[int] = []

    def worker(item: int, index: int) -> str:
        before = request_id.get()
        barrier.wait()
        if threading.get_ident() != caller_ident[0]:
            request_id.set(f"helper-{index}")
        return before

    def call() -> tuple[list[str], str]:
        caller_ident.append(threading.get_ident())
        request_id.set("outer")
        result = map_with_concurrency(range(2), 2, worker)
        return result, request_id.get()

    result, after = run_guarded(call)
    assert result == ["outer", "outer"]
    assert after == "outer"  # a helper's set() stays in the helper's copy
