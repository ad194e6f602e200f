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
hook lists are looked up once per call. Executors always run those lists; with no middleware they
get the shared empty instances, and a level whose lists are all empty builds no context.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

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


Levels = tuple[tuple[str, tuple[str, ...], bool], ...]
Flags = tuple[tuple[str, tuple[str, ...]], ...]
R = TypeVar("R")


def _resolved(cls: type[R], middlewares: Sequence[Any], levels: Levels, empty: R) -> R:
    """The hook set ``cls`` of ``middlewares`` (``empty`` when there are none)."""
    if not middlewares:
        return empty
    return cls(**{name: hooks_at(middlewares, *path, lifo=lifo) for name, path, lifo in levels})


def _set_flags(hooks: object, flags: Flags) -> None:
    """Each flag field: whether any of its hook fields is not empty."""
    for flag, names in flags:
        object.__setattr__(hooks, flag, any(getattr(hooks, name) for name in names))


@dataclass(frozen=True, slots=True)
class MiddlewareRuntime:
    """The read hooks (R1 to R5) of one snapshot, ordered once (possibly all empty).

    ``request`` is true when R1, R4 or the request-level R5 has a hook, ``op`` when R2, R3 or
    the op-level R5 has one (both computed): a level without hooks costs its executor nothing.
    """

    before: tuple[Hook, ...] = ()  # R1, FIFO
    after_fetch: tuple[Hook, ...] = ()  # R4, LIFO
    on_error: tuple[Hook, ...] = ()  # R5 request level, LIFO
    op_before: tuple[Hook, ...] = ()  # R2, FIFO
    op_after_fetch: tuple[Hook, ...] = ()  # R3, LIFO
    op_on_error: tuple[Hook, ...] = ()  # R5 op level, LIFO
    request: bool = False
    op: bool = False

    def __post_init__(self) -> None:
        _set_flags(self, _READ_FLAGS)

    @classmethod
    def of(cls, middlewares: Sequence[Any]) -> MiddlewareRuntime:
        """The read hooks of ``middlewares``; the shared empty instance when there are none."""
        return _resolved(cls, middlewares, _READ_LEVELS, NO_READ_HOOKS)


@dataclass(frozen=True, slots=True)
class WriteRuntime:
    """The write hooks (W1 to W5) of one snapshot, ordered once (possibly all empty).

    ``logical`` is true when W1, W2 or the logical W5 has a hook, ``persist`` when W3, W4 or
    the persist-level W5 has one (both computed): a level without hooks costs its executor
    nothing.
    """

    before: tuple[Hook, ...] = ()  # W1, FIFO
    after: tuple[Hook, ...] = ()  # W2, LIFO
    on_error: tuple[Hook, ...] = ()  # W5 logical level, LIFO
    persist_before: tuple[Hook, ...] = ()  # W3, FIFO
    persist_after: tuple[Hook, ...] = ()  # W4, LIFO
    persist_on_error: tuple[Hook, ...] = ()  # W5 persist level, LIFO
    logical: bool = False
    persist: bool = False

    def __post_init__(self) -> None:
        _set_flags(self, _WRITE_FLAGS)

    @classmethod
    def of(cls, middlewares: Sequence[Any]) -> WriteRuntime:
        """The write hooks of ``middlewares``; the shared empty instance when there are none."""
        return _resolved(cls, middlewares, _WRITE_LEVELS, NO_WRITE_HOOKS)


#: Field -> (path in the middleware tree, LIFO), in the order of section 36; flag -> fields.
_READ_LEVELS: Levels = (
    ("before", ("read", "before"), False),
    ("after_fetch", ("read", "afterFetch"), True),
    ("on_error", ("read", "onError"), True),
    ("op_before", ("read", "op", "before"), False),
    ("op_after_fetch", ("read", "op", "afterFetch"), True),
    ("op_on_error", ("read", "op", "onError"), True),
)
_READ_FLAGS: Flags = (
    ("request", ("before", "after_fetch", "on_error")),
    ("op", ("op_before", "op_after_fetch", "op_on_error")),
)
_WRITE_LEVELS: Levels = (
    ("before", ("write", "before"), False),
    ("after", ("write", "after"), True),
    ("on_error", ("write", "onError"), True),
    ("persist_before", ("write", "persist", "before"), False),
    ("persist_after", ("write", "persist", "after"), True),
    ("persist_on_error", ("write", "persist", "onError"), True),
)
_WRITE_FLAGS: Flags = (
    ("logical", ("before", "after", "on_error")),
    ("persist", ("persist_before", "persist_after", "persist_on_error")),
)

#: The hooks of a call with no middleware: every list empty (shared, never mutated).
NO_READ_HOOKS: Final = MiddlewareRuntime()
NO_WRITE_HOOKS: Final = WriteRuntime()


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
