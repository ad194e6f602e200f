"""Relation legs: multi-operation assembly without N+1 (docs/format.md sections 16 to 21, 23).

After the root op, each stage of the plan runs as follows. Each op collects its parents from the
tree as it stood at the end of the previous stage and builds its requests (pure: a bad parent
value fails before that op sends anything): one Query per bound parent for hasMany, the
deduplicated keys of one BatchGetItem for belongsTo/hasOne. Then every request of the stage,
all ops together, runs in one bounded fan-out (:func:`map_with_concurrency`, width
``concurrency``), in op order then parent order. Only when all of them have finished are the
values written, in op order and parent order. Results therefore never depend on completion
order, and a failing op leaves the tree untouched.

Errors are those of running the ops one per fan-out item (section 17): the failing op with the
lowest index wins, and within it the lowest parent (the fan-out starts items in order, so every
lower item has run). An op whose requests cannot be built fails at once: it sends nothing, the
ops before it run to the end, the ops after it never start.

In-flight bound (section 20.2): every task of the fan-out has at most one request in flight,
except a BatchGetItem with several chunks (up to ``batch_concurrency``). When the tasks cannot
exceed ``concurrency`` together, no gate is needed; otherwise every client call of the stage
runs inside one ``BoundedSemaphore(concurrency)``.

Requests are built and responses decoded by legs compiled once per runtime (``legs``); every
fetch goes through the shared page fetcher (``fetch``), hooks included.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from ..concurrency import map_with_concurrency
from ..spec.plans import QueryPlan, ReadOpPlan
from .batch import Batching
from .fetch import batch_read, fetch_page
from .legs import ConnectionLeg, SingleLeg, compiled_legs

if TYPE_CHECKING:
    from ..middleware import MiddlewareRuntime
    from .engine import Engine

__all__ = ["assemble", "parents_of"]

Parent = dict[str, Any]
Task = Callable[[], Any]
Gate = AbstractContextManager[Any]


def parents_of(root: Any, tokens: Sequence[str]) -> list[Parent]:
    """Navigate ``tokens`` from the root (section 17 step 2.1).

    An ``items`` token iterates into the elements of a connection; ``None`` nodes and non-dicts
    are skipped; parents are deduplicated by identity, first occurrence kept.
    """
    nodes: list[Any] = [root]
    for token in tokens:
        reached: list[Any] = []
        for node in nodes:
            if not isinstance(node, dict):
                continue
            value = node.get(token)
            if token == "items" and isinstance(value, list):
                reached.extend(value)
            else:
                reached.append(value)
        nodes = reached
    seen: set[int] = set()
    parents: list[Parent] = []
    for node in nodes:
        if isinstance(node, dict) and id(node) not in seen:
            seen.add(id(node))
            parents.append(node)
    return parents


def assemble(
    engine: Engine,
    plan: QueryPlan,
    params: Mapping[str, Any],
    root: Any,
    *,
    consistent: bool,
    hooks: MiddlewareRuntime,
    context: dict[str, Any],
) -> None:
    """Run every relation stage of ``plan`` on the root result, writing into it in place.

    Every fetch (each per-parent Query, each BatchGetItem leg once) runs through the call's
    R2, R3 and op-level R5 hooks, if any (section 38.1 step 4).
    """
    legs = compiled_legs(engine, plan)
    for stage in plan.stages:
        ops = [plan.operations[i] for i in stage]
        _run_stage(
            engine,
            plan,
            ops,
            legs=legs,
            params=params,
            root=root,
            consistent=consistent,
            hooks=hooks,
            context=context,
        )


class _Entry:
    """One op of a stage with parents: how its values come out of the stage's task results."""

    __slots__ = ("op", "parents", "slots")

    def __init__(self, op: ReadOpPlan, parents: list[Parent]) -> None:
        self.op = op
        self.parents = parents
        #: hasMany: per parent, its task index or -1 (unbound: empty connection, no request).
        #: belongsTo: one task index (its result is the list of values) or -1 (no key at all).
        self.slots: list[int] = []

    def values(self, results: list[Any], single: bool) -> list[Any]:
        if single:
            (slot,) = self.slots
            if slot < 0:
                return [None] * len(self.parents)
            values: list[Any] = results[slot]
            return values
        return [{"items": [], "cursor": None} if s < 0 else results[s] for s in self.slots]


def _run_stage(
    engine: Engine,
    plan: QueryPlan,
    ops: list[ReadOpPlan],
    *,
    legs: Mapping[int, ConnectionLeg | SingleLeg],
    params: Mapping[str, Any],
    root: Any,
    consistent: bool,
    hooks: MiddlewareRuntime,
    context: dict[str, Any],
) -> None:
    """One stage of one call: build every op's requests, run them in one fan-out, write."""
    qid, concurrency = plan.id, plan.concurrency
    # Build before any send, on the calling thread, in op order.
    built: list[tuple[_Entry, ConnectionLeg | SingleLeg, Any]] = []
    build_error: Exception | None = None
    reached: dict[tuple[str, ...], list[Parent]] = {}  # the tree does not change in a stage
    for op in ops:
        parents = reached.get(op.parent_tokens)
        if parents is None:
            parents = reached[op.parent_tokens] = parents_of(root, op.parent_tokens)
        if not parents:
            continue
        leg = legs[op.index]
        try:
            prepared = _prepare(leg, params, parents, consistent)
        except Exception as exc:  # raised after the stage, unless a lower op fails to send
            build_error = exc
            break  # the ops after it would not have started (section 41.1)
        built.append((_Entry(op, parents), leg, prepared))

    gate = _gate(engine, concurrency, built)
    tasks: list[Task] = []
    for entry, leg, prepared in built:
        if isinstance(leg, SingleLeg):
            if prepared is None:
                entry.slots.append(-1)
                continue
            entry.slots.append(len(tasks))
            tasks.append(
                _batch_task(
                    engine,
                    qid,
                    leg,
                    prepared=prepared,
                    consistent=consistent,
                    gate=gate,
                    hooks=hooks,
                    context=context,
                )
            )
            continue
        for request in prepared:
            if request is None:
                entry.slots.append(-1)
                continue
            entry.slots.append(len(tasks))
            tasks.append(
                _query_task(engine, qid, leg, request, gate=gate, hooks=hooks, context=context)
            )

    # Every task belongs to an op below the one that failed to build (if any): a send failure
    # raises first, from the lowest task, that is the lowest op and its lowest parent.
    results = map_with_concurrency(tasks, concurrency, _call)
    if build_error is not None:
        raise build_error

    for entry, leg, _ in built:
        name = entry.op.property
        assert name is not None
        values = entry.values(results, isinstance(leg, SingleLeg))
        for parent, value in zip(entry.parents, values, strict=True):
            parent[name] = value


def _call(task: Task, _: int) -> Any:
    return task()


def _prepare(
    leg: ConnectionLeg | SingleLeg,
    params: Mapping[str, Any],
    parents: list[Parent],
    consistent: bool,
) -> Any:
    """hasMany: a request (or None) per parent. belongsTo: (identities, unique keys) or None."""
    if isinstance(leg, ConnectionLeg):
        build, bound = leg.build, leg.bound
        return [build(params, parent, consistent) if bound(parent) else None for parent in parents]
    identity, bound, key = leg.identity, leg.bound, leg.key
    identities: list[tuple[Any, ...] | None] = []
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for parent in parents:
        if not bound(parent):
            identities.append(None)
            continue
        av_key = key(params, parent)
        ident = identity(av_key)
        unique.setdefault(ident, av_key)
        identities.append(ident)
    return (identities, unique) if unique else None


def _gate(
    engine: Engine, concurrency: int, built: list[tuple[_Entry, ConnectionLeg | SingleLeg, Any]]
) -> Gate | None:
    """The stage's in-flight gate, or None when its tasks cannot exceed ``concurrency``.

    The fan-out runs at most ``concurrency`` tasks at once; each has one request in flight,
    except a BatchGetItem with several chunks, which runs up to ``batch_concurrency`` of them.
    """
    limits = engine.limits
    tasks = extra = 0
    for _, leg, prepared in built:
        if isinstance(leg, ConnectionLeg):
            tasks += sum(1 for request in prepared if request is not None)
        elif prepared is not None:
            tasks += 1
            chunks = -(-len(prepared[1]) // limits.max_batch_get_items)
            extra += min(limits.batch_concurrency, chunks) - 1
    if min(concurrency, tasks) + extra <= concurrency:
        return None
    return threading.BoundedSemaphore(concurrency)


def _query_task(
    engine: Engine,
    qid: str,
    leg: ConnectionLeg,
    request: dict[str, Any],
    *,
    gate: Gate | None,
    hooks: MiddlewareRuntime,
    context: dict[str, Any],
) -> Task:
    op, scope, decode = leg.op, leg.scope, leg.decode

    def run() -> dict[str, Any]:
        items, cursor = fetch_page(
            engine,
            op,
            request,
            op_id=qid,
            limit=op.limit,
            scope=scope,
            hooks=hooks,
            context=context,
            decode=decode,
            gate=gate,
        )
        return {"items": items, "cursor": cursor}

    return run


def _batch_task(
    engine: Engine,
    qid: str,
    leg: SingleLeg,
    *,
    prepared: tuple[list[tuple[Any, ...] | None], dict[tuple[Any, ...], dict[str, Any]]],
    consistent: bool,
    gate: Gate | None,
    hooks: MiddlewareRuntime,
    context: dict[str, Any],
) -> Task:
    identities, unique = prepared
    batching = Batching(engine.limits, engine.sleep, gate if gate is not None else nullcontext())

    def run() -> list[Any]:
        found = batch_read(
            engine,
            leg.op,
            list(unique.values()),
            table=leg.table,
            consistent=consistent,
            op_id=qid,
            batching=batching,
            decode=leg.decode,
            identity=leg.identity,
            hooks=hooks,
            context=context,
        )
        return [None if ident is None else found.get(ident) for ident in identities]

    return run
