"""Relation legs: multi-operation assembly without N+1 (FORMAT.md sections 16 to 21, 23).

After the root op, each stage of the plan runs its ops concurrently. An op collects its parents
from the tree as it stood at the end of the previous stage, computes one value per parent (a
connection from a per-parent Query for hasMany, an item or ``None`` from one deduplicated
BatchGetItem for belongsTo/hasOne), and only when every op of the stage has finished are the
values written, in op order and parent order. Results therefore never depend on completion
order, and a failing op leaves the tree untouched.

Every client call of one ``execute_query`` runs inside one ``BoundedSemaphore(concurrency)``,
so stage ops, per-parent fan-out and batch chunks together never have more than
``concurrency`` requests in flight (section 20.2).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._batch import Batching, batch_get, key_identity
from ._codec import deserialize_item, hydrate
from ._requests import batch_get_request, key_map, query_request
from ._templates import Bindings
from .concurrency import map_with_concurrency
from .cursor import mint_cursor
from .spec.plans import QueryPlan, ReadOpPlan

if TYPE_CHECKING:
    from ._reads import Engine

__all__ = ["assemble", "parents_of", "read_page"]

Parent = dict[str, Any]


def read_page(
    engine: Engine,
    op: ReadOpPlan,
    response: Mapping[str, Any],
    *,
    limit: int | None,
    scope: str,
) -> tuple[list[dict[str, Any]], str | None]:
    """Hydrated items and the cursor of one Query page (section 7.7).

    Without a ``Limit`` more than ``max_items`` items are truncated and the cursor is built from
    the last item kept; otherwise the cursor is DynamoDB's ``LastEvaluatedKey``.
    """
    raw = [deserialize_item(i) for i in response.get("Items", ())]
    cursor_key: Mapping[str, Any] | None = None
    if limit is None and len(raw) > engine.limits.max_items:
        raw = raw[: engine.limits.max_items]
        last = raw[-1]
        cursor_key = {attr: last[attr] for attr in op.cursor_attributes if attr in last}
    elif response.get("LastEvaluatedKey"):
        cursor_key = deserialize_item(response["LastEvaluatedKey"])
    items = [hydrate(r, op.projection, op.formats) for r in raw]
    if not cursor_key:
        return items, None
    return items, mint_cursor(cursor_key, secret=engine.cursor_secret, scope=scope)


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
) -> None:
    """Run every relation stage of ``plan`` on the root result, writing into it in place."""
    gate = threading.BoundedSemaphore(plan.concurrency)
    leg = _Leg(engine, plan, params, consistent, Batching(engine.limits, engine.sleep, gate))
    for stage in plan.stages:
        ops = [plan.operations[i] for i in stage]
        done = map_with_concurrency(ops, plan.concurrency, lambda op, _: leg.run(op, root))
        for op, (parents, values) in zip(ops, done, strict=True):
            name = op.property
            assert name is not None
            for parent, value in zip(parents, values, strict=True):
                parent[name] = value


class _Leg:
    """Per-call state shared by the ops of every stage (immutable once built)."""

    __slots__ = ("batching", "consistent", "engine", "params", "plan")

    def __init__(
        self,
        engine: Engine,
        plan: QueryPlan,
        params: Mapping[str, Any],
        consistent: bool,
        batching: Batching,
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.params = params
        self.consistent = consistent
        self.batching = batching

    def run(self, op: ReadOpPlan, root: Any) -> tuple[list[Parent], list[Any]]:
        parents = parents_of(root, op.parent_tokens)
        if not parents:
            return parents, []
        if op.connection:
            return parents, self._connections(op, parents)
        return parents, self._singles(op, parents)

    def _bound(self, op: ReadOpPlan, parent: Parent) -> Bindings | None:
        """The binding environment of one parent, or None when a bound field is missing."""
        if parent.get(op.source_field or "") is None:
            return None
        for name in op.result_fields:
            if parent.get(name) is None:
                return None
        return Bindings(self.params, parent=parent)

    def _connections(self, op: ReadOpPlan, parents: list[Parent]) -> list[Any]:
        """Section 18: one Query per bound parent, concurrently; matched by position."""
        engine, qid = self.engine, self.plan.id
        table = engine.physical(op.table)
        # Build every request first (pure), so a bad parent value fails before any send.
        requests: list[dict[str, Any] | None] = []
        for parent in parents:
            env = self._bound(op, parent)
            requests.append(
                None
                if env is None
                else query_request(
                    op,
                    env,
                    table=table,
                    consistent=self.consistent,
                    limit=op.limit,
                    forward=op.scan_forward,
                    start_key=None,
                    op_id=qid,
                )
            )
        scope = op.continuation or f"{qid}#{op.index}"
        gate = self.batching.gate

        def one(request: dict[str, Any] | None, _: int) -> dict[str, Any]:
            if request is None:
                return {"items": [], "cursor": None}
            with gate:
                response = engine.sender.query(qid, request)
            items, cursor = read_page(engine, op, response, limit=op.limit, scope=scope)
            return {"items": items, "cursor": cursor}

        return map_with_concurrency(requests, self.plan.concurrency, one)

    def _singles(self, op: ReadOpPlan, parents: list[Parent]) -> list[Any]:
        """Section 19: one deduplicated BatchGetItem for all parents; shared children."""
        engine, qid = self.engine, self.plan.id
        table = engine.physical(op.table)
        attributes = [attr for attr, _ in op.key]
        identities: list[tuple[Any, ...] | None] = []
        unique: dict[tuple[Any, ...], dict[str, Any]] = {}
        for parent in parents:
            env = self._bound(op, parent)
            if env is None:
                identities.append(None)
                continue
            key = key_map(op.key, env, qid)
            identity = key_identity(key, attributes)
            unique.setdefault(identity, key)
            identities.append(identity)
        if not unique:
            return [None] * len(parents)

        def build(keys: list[dict[str, Any]]) -> dict[str, Any]:
            return batch_get_request(op, keys, table=table, consistent=self.consistent)

        raw = batch_get(
            engine.sender,
            qid,
            table=table,
            keys=list(unique.values()),
            build=build,
            batching=self.batching,
        )
        projection, formats = op.projection, op.formats
        found = {
            key_identity(item, attributes): hydrate(deserialize_item(item), projection, formats)
            for item in raw
        }
        return [None if ident is None else found.get(ident) for ident in identities]
