"""Bounded, order-preserving fan-out (docs/format.md section 41.1).

:func:`map_with_concurrency` runs ``worker(item, index)`` for each item with at most ``limit``
running at once and returns the results in input order, whatever the completion order.

How it works, and why it cannot deadlock when calls nest (a relation stage whose batch runs
chunks, a composition whose edges fan out): the calling thread is itself one of the workers. It
asks a process-wide thread pool for one helper loop and pulls items from a shared cursor until
none are left; each helper, when it takes its first item and more are left, asks for the next
helper, up to ``width - 1`` of them. A helper that starts late finds nothing left and returns
at once, so the caller never waits for work that has not started, only for items already
running. If the shared pool is busy (many concurrent calls), the call degrades to running more
of its items on the calling thread instead of blocking. Threads are created lazily and reused
across calls, which matters on AWS Lambda, where each invocation would otherwise pay for thread
start-up.

Why one helper at a time: under the GIL a helper only gets to run once another worker releases
it, that is once a request is in flight. Workers that block (I/O) bring the helpers in one
after another, each as soon as the previous one is busy, up to the full width; workers that
never block (a CPU-only client, a cache) leave the fan-out to the caller (until the
interpreter's switch interval, 5 ms, hands the GIL over), and a short call costs one helper
wake-up instead of ``width - 1``.

Every worker loop (the caller's own included) runs in a copy of the caller's :mod:`contextvars`
context, as :func:`asyncio.to_thread` does: tracing and logging context reaches hooks on worker
threads, and nothing a worker sets leaks back into the caller.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

__all__ = ["map_with_concurrency"]

T = TypeVar("T")
R = TypeVar("R")

#: Upper bound on helper threads shared by every runtime in the process. Each call is bounded
#: by its own ``limit``; this only caps how many helpers can run for all calls together.
POOL_SIZE = 64

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 - one lazily created pool per process
    pool = _pool
    if pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="graphddb")
            pool = _pool
    return pool


def _forget_pool_after_fork() -> None:
    # The parent's worker threads do not exist in a forked child; start a fresh pool there.
    global _pool, _pool_lock  # noqa: PLW0603
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def map_with_concurrency(items: Iterable[T], limit: int, worker: Callable[[T, int], R]) -> list[R]:
    """Call ``worker(item, index)`` for every item, at most ``limit`` at a time.

    - Results come back in input order; an empty input returns ``[]``.
    - With ``min(limit, len(items)) <= 1`` the workers run inline on the calling thread.
    - After a failure, items not yet started are not started and running ones finish; the
      exception raised is the one of the lowest input index among the failed items.
    """
    seq = list(items)
    width = min(limit, len(seq))
    if width <= 1:
        return [worker(item, i) for i, item in enumerate(seq)]
    return _Run(seq, worker, width).run()


def _helper(handle: list[_Run[Any, Any] | None]) -> None:
    run = handle[0]
    if run is not None:  # else the call has returned already
        run._loop(True)  # the helper side of the run


class _Run(Generic[T, R]):
    """One fan-out: a shared cursor over the items, results by index, errors by index.

    Helpers are requested one at a time (module docstring); ``spare`` counts the ones not
    requested yet. One lock guards the cursor and the counters; each finished item takes the
    next one under the same acquisition.
    """

    __slots__ = (
        "active",
        "context",
        "cursor",
        "errors",
        "failed",
        "handle",
        "items",
        "lock",
        "results",
        "spare",
        "waiter",
        "worker",
    )

    def __init__(self, items: list[T], worker: Callable[[T, int], R], width: int) -> None:
        self.items = items
        self.worker = worker
        self.results: list[R | None] = [None] * len(items)
        self.errors: dict[int, BaseException] = {}
        self.cursor = 0
        self.active = 0  # items taken and not finished
        self.failed = False
        self.spare = width - 1  # helpers not requested yet
        self.lock = threading.Lock()
        self.waiter: threading.Lock | None = None  # released when ``active`` drops to 0
        # Each worker loop runs in its own copy of this snapshot of the caller's context, so a
        # worker's ContextVar.set() never leaks into the caller, whichever thread ran it.
        self.context = contextvars.copy_context()
        # What a requested helper holds: cleared when the call returns, so a helper that only
        # starts later keeps neither the items nor the results alive in the meantime.
        self.handle: list[_Run[T, R] | None] = [self]

    def run(self) -> list[R]:
        self.spare -= 1
        self._request_helper()
        self.context.copy().run(self._loop, False)
        with self.lock:
            # The caller's loop ended: every item is taken (or one failed), so ``active`` only
            # goes down from here.
            waiter = None
            if self.active:
                waiter = self.waiter = threading.Lock()
                waiter.acquire()
        if waiter is not None:
            waiter.acquire()  # until the last running item finishes
        self.handle[0] = None
        if self.errors:
            raise self.errors[min(self.errors)]
        return self.results  # type: ignore[return-value] # every slot is filled

    def _request_helper(self) -> None:
        _shared_pool().submit(self.context.copy().run, _helper, self.handle)

    def _loop(self, helper: bool) -> None:
        items, worker, lock, count = self.items, self.worker, self.lock, len(self.items)
        with lock:
            if self.failed or self.cursor >= count:
                return
            index = self.cursor
            self.cursor = index + 1
            self.active += 1
            more = helper and self.spare > 0 and self.cursor < count
            if more:
                self.spare -= 1
        if more:
            self._request_helper()
        while True:
            error: BaseException | None = None
            try:
                self.results[index] = worker(items[index], index)
            except BaseException as exc:  # re-raised on the calling thread by run()
                error = exc
            with lock:
                self.active -= 1
                if error is not None:
                    self.errors[index] = error
                    self.failed = True
                if self.failed or self.cursor >= count:
                    if not self.active and self.waiter is not None:
                        self.waiter.release()
                        self.waiter = None
                    return
                index = self.cursor
                self.cursor = index + 1
                self.active += 1
