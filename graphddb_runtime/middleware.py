"""Middleware: registration, hook look-up, ordering, recovery, contexts (docs/format.md 35-37, 41).

A middleware is a ``dict`` or any object whose attributes form this tree (leaves are callables;
missing levels, extra keys and non-callable leaves are ignored)::

    {"read":  {"before": R1(ctx), "afterFetch": R4(ctx, result), "onError": R5(ctx, err),
               "op": {"before": R2(ctx), "afterFetch": R3(ctx, items), "onError": R5(ctx, err)}},
     "write": {"before": W1(ctx), "after": W2(ctx, change), "onError": W5(ctx, err),
               "persist": {"before": W3(ctx), "after": W4(ctx, results), "onError": W5(ctx, err)}}}

``before`` hooks run FIFO (registration order); ``afterFetch``, ``after`` and ``onError`` run LIFO.
An ``onError`` returning ``None`` declines, :data:`RECOVER_NONE` recovers with ``None``, anything
else recovers with that value; the first recovering hook wins. When nothing recovers the original
exception is re-raised unchanged.

Each call takes one snapshot of the registry (:meth:`MiddlewareRegistry.snapshot`) and resolves
it into :class:`MiddlewareRuntime` (read hooks) and :class:`WriteRuntime` (write hooks), so the
hook lists are looked up once per call; with no middleware both are ``None`` and the executors
skip the hook machinery entirely.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from ._dataclass import dataclass, field

__all__ = [
    "RECOVER_NONE",
    "MiddlewareRegistry",
    "MiddlewareRuntime",
    "PersistCtx",
    "ReadOpCtx",
    "ReadRequestCtx",
    "WriteCtx",
    "WriteRuntime",
]

Hook = Callable[..., Any]


class _RecoverNone:
    """The type of :data:`RECOVER_NONE` (a singleton)."""

    __slots__ = ()
    _instance: _RecoverNone | None = None

    def __new__(cls) -> _RecoverNone:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "RECOVER_NONE"

    def __reduce__(self) -> str:
        return "RECOVER_NONE"


#: Returned by an ``onError`` hook to recover with the value ``None`` (``[]`` for an op-level
#: read hook), since returning ``None`` itself means "decline".
RECOVER_NONE: Final = _RecoverNone()


# --- registry (section 35) --------------------------------------------------------------------


class MiddlewareRegistry:
    """The lock-guarded list of registered middleware; calls work on snapshots."""

    __slots__ = ("_items", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: tuple[Any, ...] = ()

    def use(self, middleware: Any) -> None:
        """Append ``middleware`` (a dict, or an object with the same attribute tree)."""
        with self._lock:
            self._items = (*self._items, middleware)

    def clear(self) -> None:
        with self._lock:
            self._items = ()

    def snapshot(self) -> tuple[Any, ...]:
        """The registered middleware in registration order (an immutable tuple)."""
        return self._items  # replaced, never mutated, so reading it needs no lock


def _child(node: Any, key: str) -> Any:
    if node is None:
        return None
    if isinstance(node, Mapping):
        return node.get(key)
    return getattr(node, key, None)


def hooks_at(middlewares: Sequence[Any], *path: str, lifo: bool = False) -> tuple[Hook, ...]:
    """The callables found at ``path`` in each middleware, FIFO (or LIFO) ordered."""
    found: list[Hook] = []
    for middleware in middlewares:
        node = middleware
        for key in path:
            node = _child(node, key)
        if callable(node):
            found.append(node)
    if lifo:
        found.reverse()
    return tuple(found)


_DECLINED: Final = object()


def recover(hooks: Sequence[Hook], ctx: Any, error: BaseException) -> Any:
    """Run ``onError`` hooks (already LIFO); the recovered value, or ``_DECLINED``."""
    for hook in hooks:
        value = hook(ctx, error)
        if value is None:
            continue
        return None if value is RECOVER_NONE else value
    return _DECLINED


def declined(value: Any) -> bool:
    return value is _DECLINED


# --- resolved hook sets (one per call) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MiddlewareRuntime:
    """The read hooks (R1 to R5) of one snapshot, ordered once."""

    before: tuple[Hook, ...]  # R1, FIFO
    after_fetch: tuple[Hook, ...]  # R4, LIFO
    on_error: tuple[Hook, ...]  # R5 request level, LIFO
    op_before: tuple[Hook, ...]  # R2, FIFO
    op_after_fetch: tuple[Hook, ...]  # R3, LIFO
    op_on_error: tuple[Hook, ...]  # R5 op level, LIFO

    @classmethod
    def of(cls, middlewares: Sequence[Any]) -> MiddlewareRuntime | None:
        """The read hooks of ``middlewares``; ``None`` when there is no middleware at all."""
        if not middlewares:
            return None
        return cls(
            before=hooks_at(middlewares, "read", "before"),
            after_fetch=hooks_at(middlewares, "read", "afterFetch", lifo=True),
            on_error=hooks_at(middlewares, "read", "onError", lifo=True),
            op_before=hooks_at(middlewares, "read", "op", "before"),
            op_after_fetch=hooks_at(middlewares, "read", "op", "afterFetch", lifo=True),
            op_on_error=hooks_at(middlewares, "read", "op", "onError", lifo=True),
        )


@dataclass(frozen=True, slots=True)
class WriteRuntime:
    """The write hooks (W1 to W5) of one snapshot, ordered once."""

    before: tuple[Hook, ...]  # W1, FIFO
    after: tuple[Hook, ...]  # W2, LIFO
    on_error: tuple[Hook, ...]  # W5 logical level, LIFO
    persist_before: tuple[Hook, ...]  # W3, FIFO
    persist_after: tuple[Hook, ...]  # W4, LIFO
    persist_on_error: tuple[Hook, ...]  # W5 persist level, LIFO

    @classmethod
    def of(cls, middlewares: Sequence[Any]) -> WriteRuntime | None:
        """The write hooks of ``middlewares``; ``None`` when there is no middleware at all."""
        if not middlewares:
            return None
        return cls(
            before=hooks_at(middlewares, "write", "before"),
            after=hooks_at(middlewares, "write", "after", lifo=True),
            on_error=hooks_at(middlewares, "write", "onError", lifo=True),
            persist_before=hooks_at(middlewares, "write", "persist", "before"),
            persist_after=hooks_at(middlewares, "write", "persist", "after", lifo=True),
            persist_on_error=hooks_at(middlewares, "write", "persist", "onError", lifo=True),
        )


# --- contexts (section 37) ----------------------------------------------------------------------


def model_of(entity: Any) -> dict[str, Any]:
    """``{"entity": name or None, "meta": EntityMeta or {}}`` for an EntityPlan or ``None``."""
    if entity is None:
        return {"entity": None, "meta": {}}
    return {"entity": entity.name, "meta": entity.meta}


@dataclass(slots=True, kw_only=True)
class ReadRequestCtx:
    """R1, R4 and request-level R5: one ``execute_query`` (or single-key method) call."""

    kind: str = "query"
    model: dict[str, Any]
    context: dict[str, Any]
    #: ``{"params": {...}, "options": {...}}``; R1 may mutate or replace both.
    params: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class ReadOpCtx:
    """R2, R3 and op-level R5: one physical read (GetItem, Query or a relation BatchGetItem)."""

    kind: str
    model: dict[str, Any]
    context: dict[str, Any]
    #: The boto3 kwargs plus ``"type"`` (GetItem/Query), or the BatchGetItem description.
    operation: dict[str, Any]
    relation_path: tuple[str, ...] = ()
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class WriteCtx:
    """W1, W2 and logical W5: one logical write (a command, or a transaction item)."""

    kind: str  # put | update | delete; W1 may rewrite it
    model: dict[str, Any]
    context: dict[str, Any]
    input: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)
    transaction: dict[str, Any] | None = None


@dataclass(slots=True, kw_only=True)
class PersistCtx:
    """W3, W4 and persist-level W5: the physical send of one write or one transaction."""

    items: list[dict[str, Any]]
    origins: tuple[dict[str, Any], ...]
    context: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)
    transaction: dict[str, Any] | None = None
