"""Read hooks around relation fetches (section 37, 38.1 step 4, 41.3)."""

from __future__ import annotations

from typing import Any

import pytest

from graphddb_runtime import (
    RECOVER_NONE,
    RuntimeLimits,
)

from .._golden import ACCESS
from ._support import (
    ALICE_KEY,
    TABLE,
    Spy,
    fake_client,
    middleware,
    model,
    plain,
    runtime,
    seed_row,
)

# --- relation fetches (section 38.1 step 4; expected to fail until relation hooks land) ---------

MEMBERSHIPS_QUERY: dict[str, Any] = {
    "TableName": TABLE,
    "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
    "ExpressionAttributeNames": {"#k0": "GSI1PK", "#kr": "GSI1SK"},
    "ExpressionAttributeValues": {":k0": {"S": "USER#alice"}, ":kr": {"S": "GROUP#"}},
    "IndexName": "GSI1",
    "Limit": 20,
}
GROUP_KEYS = [
    {"PK": {"S": "GROUP#eng"}, "SK": {"S": "META"}},
    {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}},
]
GROUP_REQUEST_EXTRA: dict[str, Any] = {
    "ProjectionExpression": "#p0, #p1, #p2, #p3",
    "ExpressionAttributeNames": {"#p0": "groupId", "#p1": "name", "#p2": "PK", "#p3": "SK"},
}


def permissions_query(group: str) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
        "ExpressionAttributeNames": {"#k0": "PK", "#kr": "SK", "#f0": "resource"},
        "ExpressionAttributeValues": {":k0": {"S": f"GROUP#{group}"}, ":kr": {"S": "PERM#"}},
        "Limit": 20,
        "FilterExpression": "attribute_exists(#f0)",
    }


def _by_path(spy: Spy, label: str) -> dict[tuple[str, ...], list[Any]]:
    found: dict[tuple[str, ...], list[Any]] = {}
    for ctx in spy.ctxs(label):
        found.setdefault(ctx.relation_path, []).append(ctx)
    return found


def test_relation_every_fetch_goes_through_r2_and_r3() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R2", "R3"))
    rt.use(spy.tree)
    assert rt.execute_query("getUserAccess", {"userId": "alice"}) == ACCESS
    ops = _by_path(spy, "R2")
    assert sorted((path, len(ctxs)) for path, ctxs in ops.items()) == [
        ((), 1),
        (("groups",), 1),
        (("groups", "group"), 1),  # each belongsTo leg once
        (("groups", "permissions"), 2),  # each per-parent Query
    ]
    assert [ctx.kind for ctx in spy.ctxs("R2")[:2]] == ["GetItem", "Query"]
    (root,), (memberships,) = ops[()], ops[("groups",)]
    (groups,), permissions = ops[("groups", "group")], ops[("groups", "permissions")]
    assert root.operation == {"type": "GetItem", "TableName": TABLE, "Key": ALICE_KEY}
    assert memberships.operation == {"type": "Query", **MEMBERSHIPS_QUERY}
    assert groups.kind == "BatchGetItem"
    assert groups.operation == {
        "type": "BatchGetItem",
        "tableName": TABLE,
        "keys": GROUP_KEYS,
        "requestExtra": GROUP_REQUEST_EXTRA,
    }
    assert sorted(
        (ctx.kind, ctx.operation["ExpressionAttributeValues"][":k0"]["S"]) for ctx in permissions
    ) == [("Query", "GROUP#eng"), ("Query", "GROUP#ops")]
    for ctx in permissions:
        group = ctx.operation["ExpressionAttributeValues"][":k0"]["S"].split("#")[1]
        assert ctx.operation == {"type": "Query", **permissions_query(group)}
    assert [plain(c.model)["entity"] for c in (root, memberships, groups, permissions[0])] == [
        "UserModel",
        "GroupMembershipModel",
        "GroupModel",
        "PermissionModel",
    ]
    assert plain(groups.model) == model("GroupModel")
    r3_ctxs = spy.ctxs("R3")
    assert len(r3_ctxs) == 5
    assert {id(c) for c in r3_ctxs} == {id(c) for c in spy.ctxs("R2")}  # R2 -> send -> R3


def test_relation_op_states_are_fresh_and_every_hook_shares_the_context() -> None:
    rt = runtime(fake_client())
    states: list[dict[str, Any]] = []
    contexts: list[int] = []

    def r2(ctx: Any) -> None:
        states.append(dict(ctx.state))
        ctx.state["mine"] = id(ctx)
        contexts.append(id(ctx.context))

    def r3(ctx: Any, items: Any) -> None:
        assert ctx.state == {"mine": id(ctx)}
        contexts.append(id(ctx.context))

    def r1(ctx: Any) -> None:
        contexts.append(id(ctx.context))

    rt.use(middleware({"R1": r1, "R2": r2, "R3": r3, "R4": lambda ctx, r: r1(ctx)}))
    rt.execute_query("getUserAccess", {"userId": "alice"}, {"context": {"t": 1}})
    assert states == [{}] * 5
    assert len(contexts) == 12 and len(set(contexts)) == 1


def test_relation_r3_receives_raw_items_of_each_leg() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R3",))
    rt.use(spy.tree)
    rt.execute_query("getUserAccess", {"userId": "alice"})
    by_path: dict[tuple[str, ...], list[Any]] = {c.relation_path: [] for c in spy.ctxs("R3")}
    for label, ctx, (items,) in spy.calls:
        assert label == "R3"
        by_path[ctx.relation_path].append(items)
    assert by_path[("groups",)] == [
        [seed_row("GROUP#eng", "USER#alice"), seed_row("GROUP#ops", "USER#alice")]
    ]
    (groups,) = by_path[("groups", "group")]
    assert sorted(groups, key=lambda g: g["groupId"]) == [  # projected by BatchGetItem
        {"groupId": "eng", "name": "Engineering", "PK": "GROUP#eng", "SK": "META"},
        {"groupId": "ops", "name": "Operations", "PK": "GROUP#ops", "SK": "META"},
    ]
    assert sorted(by_path[("groups", "permissions")], key=len) == [
        [],
        [seed_row("GROUP#eng", "PERM#codebase#read"), seed_row("GROUP#eng", "PERM#codebase#write")],
    ]


def test_relation_a_chunked_batch_get_leg_runs_its_hooks_once() -> None:
    client = fake_client()
    rt = runtime(client, limits=RuntimeLimits(max_batch_get_items=1))
    spy = Spy(("R2", "R3"))
    rt.use(spy.tree)
    assert rt.execute_query("getUserAccess", {"userId": "alice"}) == ACCESS
    assert client.count("batch_get_item") == 2  # the executor chunks the keys
    legs = [ctx for ctx in spy.ctxs("R2") if ctx.kind == "BatchGetItem"]
    assert len(legs) == 1
    leg = legs[0]
    assert leg.operation["keys"] == GROUP_KEYS
    ((items,),) = [args for label, ctx, args in spy.calls if label == "R3" and ctx is leg]
    assert sorted(item["groupId"] for item in items) == ["eng", "ops"]


def test_relation_r2_mutations_of_batch_get_and_per_parent_queries_reach_the_wire() -> None:
    client = fake_client()
    rt = runtime(client)

    def r2(ctx: Any) -> None:
        if ctx.kind == "BatchGetItem":
            ctx.operation["keys"] = ctx.operation["keys"][:1]
            ctx.operation["requestExtra"]["ConsistentRead"] = True
        elif ctx.relation_path == ("groups", "permissions"):
            ctx.operation["Limit"] = 1

    rt.use(middleware({"R2": r2}))
    result = rt.execute_query("getUserAccess", {"userId": "alice"})
    (batch,) = client.requests("batch_get_item")
    assert batch == {
        "RequestItems": {
            TABLE: {"Keys": GROUP_KEYS[:1], **GROUP_REQUEST_EXTRA, "ConsistentRead": True}
        }
    }
    permission_requests = [r for r in client.requests("query") if "FilterExpression" in r]
    assert sorted(r["ExpressionAttributeValues"][":k0"]["S"] for r in permission_requests) == [
        "GROUP#eng",
        "GROUP#ops",
    ]
    assert all(r["Limit"] == 1 for r in permission_requests)
    eng, ops = result["groups"]["items"]
    assert eng["group"] == {"groupId": "eng", "name": "Engineering"}
    assert ops["group"] is None
    assert eng["permissions"]["items"] == [{"resource": "codebase", "action": "read"}]
    assert eng["permissions"]["cursor"] is not None


def test_relation_r3_replacements_are_used_for_the_assembly() -> None:
    rt = runtime(fake_client())

    def r3(ctx: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        if ctx.kind == "BatchGetItem":
            return [{**item, "name": item["name"].upper()} for item in items]
        if ctx.relation_path == ("groups", "permissions"):
            return [item for item in items if item["action"] != "write"]
        return None

    rt.use(middleware({"R3": r3}))
    result = rt.execute_query("getUserAccess", {"userId": "alice"})
    eng, ops = result["groups"]["items"]
    assert eng["group"] == {"groupId": "eng", "name": "ENGINEERING"}
    assert ops["group"] == {"groupId": "ops", "name": "OPERATIONS"}
    assert eng["permissions"]["items"] == [{"resource": "codebase", "action": "read"}]


def test_relation_r5_op_recovers_a_failed_batch_get_and_a_failed_per_parent_query() -> None:
    client = fake_client()

    def fail(method: str, kwargs: dict[str, Any]) -> BaseException | None:
        if method == "batch_get_item":
            return RuntimeError("batch down")
        if method == "query" and kwargs["ExpressionAttributeValues"][":k0"]["S"] == "GROUP#eng":
            return RuntimeError("eng permissions down")
        return None

    client.fail = fail
    rt = runtime(client)
    spy = Spy(("R5",), R5op=lambda ctx, err: RECOVER_NONE)
    rt.use(spy.tree)
    result = rt.execute_query("getUserAccess", {"userId": "alice"})
    eng, ops = result["groups"]["items"]
    assert eng["group"] is None and ops["group"] is None
    assert eng["permissions"] == {"items": [], "cursor": None}
    assert ops["permissions"] == {"items": [], "cursor": None}
    assert sorted(ctx.kind for ctx in spy.ctxs("R5op")) == ["BatchGetItem", "Query"]
    assert spy.ctxs("R5") == []


def test_relation_r5_op_recovery_value_replaces_the_leg_items() -> None:
    client = fake_client()
    client.fail_on("batch_get_item", RuntimeError("batch down"))
    rt = runtime(client)
    recovered = [{"PK": "GROUP#ops", "SK": "META", "groupId": "ops", "name": "Cached ops"}]
    rt.use(middleware({"R5op": lambda ctx, err: recovered}))
    eng, ops = rt.execute_query("getUserAccess", {"userId": "alice"})["groups"]["items"]
    assert eng["group"] is None
    assert ops["group"] == {"groupId": "ops", "name": "Cached ops"}


def test_relation_failure_declined_at_op_level_reaches_r5_unchanged() -> None:
    client = fake_client()
    error = RuntimeError("batch down")
    client.fail_on("batch_get_item", error)
    rt = runtime(client)
    spy = Spy(("R5op", "R5"))
    rt.use(spy.tree)
    with pytest.raises(RuntimeError) as info:
        rt.execute_query("getUserAccess", {"userId": "alice"})
    assert info.value is error
    assert [(label, args) for label, _, args in spy.calls] == [
        ("R5op", (error,)),
        ("R5", (error,)),
    ]
    assert spy.ctxs("R5op")[0].kind == "BatchGetItem"
