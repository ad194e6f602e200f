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
from .fetch import Reader
from .legs import ConnectionLeg, SingleLeg, compiled_legs

if TYPE_CHECKING:
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
    reader: Reader, plan: QueryPlan, params: Mapping[str, Any], root: Any, *, consistent: bool
) -> None:
    """Run every relation stage of ``plan`` on the root result, writing into it in place.

    Every fetch (each per-parent Query, each BatchGetItem leg once) goes through ``reader``,
    with the call's R2, R3 and op-level R5 hooks, if any (section 38.1 step 4).
    """
    legs = compiled_legs(reader.engine, plan)
    concurrency = plan.concurrency
    for stage in plan.stages:
        ops = [plan.operations[i] for i in stage]
        built, build_error = _build(ops, legs, params, root, consistent)
        gate = _gate(reader.engine, concurrency, built)
        tasks = _tasks(reader, plan.id, built, gate=gate, consistent=consistent)
        # Every task belongs to an op below the one that failed to build (if any): a send
        # failure raises first, from the lowest task, that is the lowest op and its lowest parent.
        results = map_with_concurrency(tasks, concurrency, _call)
        if build_error is not None:
            raise build_error
        for entry, leg, _ in built:
            name = entry.op.property
            assert name is not None
            values = entry.values(results, isinstance(leg, SingleLeg))
            for parent, value in zip(entry.parents, values, strict=True):
                parent[name] = value


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


Built = list[tuple["_Entry", ConnectionLeg | SingleLeg, Any]]


def _build(
    ops: list[ReadOpPlan],
    legs: Mapping[int, ConnectionLeg | SingleLeg],
    params: Mapping[str, Any],
    root: Any,
    consistent: bool,
) -> tuple[Built, Exception | None]:
    """Every op's requests, before any send, on the calling thread, in op order; the error of
    the first op whose requests cannot be built (the ops after it are not built)."""
    built: Built = []
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
            return built, exc  # the ops after it would not have started (section 41.1)
        built.append((_Entry(op, parents), leg, prepared))
    return built, None


def _tasks(
    reader: Reader, qid: str, built: Built, *, gate: Gate | None, consistent: bool
) -> list[Task]:
    """The stage's fan-out items, in op then parent order; each entry notes its slots."""
    tasks: list[Task] = []
    for entry, leg, prepared in built:
        if isinstance(leg, SingleLeg):
            entry.slots.append(-1 if prepared is None else len(tasks))
            if prepared is not None:
                tasks.append(
                    _batch_task(reader, qid, leg, prepared, gate=gate, consistent=consistent)
                )
            continue
        for request in prepared:
            entry.slots.append(-1 if request is None else len(tasks))
            if request is not None:
                tasks.append(_query_task(reader, qid, leg, request, gate))
    return tasks


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


def _gate(engine: Engine, concurrency: int, built: Built) -> Gate | None:
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
    reader: Reader, qid: str, leg: ConnectionLeg, request: dict[str, Any], gate: Gate | None
) -> Task:
    op, scope, decode = leg.op, leg.scope, leg.decode

    def run() -> dict[str, Any]:
        items, cursor = reader.page(
            op, request, op_id=qid, limit=op.limit, scope=scope, decode=decode, gate=gate
        )
        return {"items": items, "cursor": cursor}

    return run


def _batch_task(
    reader: Reader,
    qid: str,
    leg: SingleLeg,
    prepared: tuple[list[tuple[Any, ...] | None], dict[tuple[Any, ...], dict[str, Any]]],
    *,
    gate: Gate | None,
    consistent: bool,
) -> Task:
    identities, unique = prepared
    limits, sleep = reader.engine.limits, reader.engine.sleep
    batching = Batching(limits, sleep, gate if gate is not None else nullcontext())

    def run() -> list[Any]:
        found = reader.batch(
            leg.op,
            list(unique.values()),
            table=leg.table,
            consistent=consistent,
            op_id=qid,
            batching=batching,
            decode=leg.decode,
            identity=leg.identity,
        )
        return [None if ident is None else found.get(ident) for ident in identities]

    return run
