"""Bounded, order-preserving fan-out (FORMAT.md section 41.1).

:func:`map_with_concurrency` runs ``worker(item, index)`` for each item with at most ``limit``
running at once and returns the results in input order, whatever the completion order.

How it works, and why it cannot deadlock when calls nest (a relation stage whose op fans out
per parent, whose batch runs chunks): the calling thread is itself one of the workers. It hands
``width - 1`` helper loops to a process-wide thread pool and then pulls items from the same
queue until none are left. A helper that starts late finds the queue empty and returns at once,
so the caller never waits for work that has not started, only for items already running. If
the shared pool is busy (many concurrent calls), the call degrades to running more of its items
on the calling thread instead of blocking. Threads are created lazily and reused across calls,
which matters on AWS Lambda, where each invocation would otherwise pay for thread start-up.

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
from typing import Generic, TypeVar

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
    return _Run(seq, worker).run(width)


class _Run(Generic[T, R]):
    """One fan-out: a shared cursor over the items, results by index, errors by index."""

    __slots__ = ("active", "cursor", "errors", "failed", "idle", "items", "results", "worker")

    def __init__(self, items: list[T], worker: Callable[[T, int], R]) -> None:
        self.items = items
        self.worker = worker
        self.results: list[R | None] = [None] * len(items)
        self.errors: dict[int, BaseException] = {}
        self.cursor = 0
        self.active = 0
        self.failed = False
        self.idle = threading.Condition(threading.Lock())

    def run(self, width: int) -> list[R]:
        pool = _shared_pool()
        for _ in range(width - 1):
            pool.submit(contextvars.copy_context().run, self._loop)
        # The calling thread's share runs in a copy too, so a worker's ContextVar.set() never
        # leaks into the caller, whichever thread happened to run it.
        contextvars.copy_context().run(self._loop)
        with self.idle:
            while self.active:
                self.idle.wait()
        if self.errors:
            raise self.errors[min(self.errors)]
        return self.results  # type: ignore[return-value] # every slot is filled

    def _take(self) -> int | None:
        with self.idle:
            if self.failed or self.cursor >= len(self.items):
                return None
            index = self.cursor
            self.cursor += 1
            self.active += 1
            return index

    def _loop(self) -> None:
        while (index := self._take()) is not None:
            try:
                self.results[index] = self.worker(self.items[index], index)
            except BaseException as exc:  # re-raised on the calling thread by run()
                with self.idle:
                    self.errors[index] = exc
                    self.failed = True
            finally:
                with self.idle:
                    self.active -= 1
                    if not self.active:
                        self.idle.notify_all()
