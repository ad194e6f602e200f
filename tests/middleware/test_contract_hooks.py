"""Hooks around contract methods (section 34 with 35 to 41)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from graphddb_runtime import (
    CursorError,
    LimitExceededError,
    ParameterValidationError,
    ReadOpCtx,
    ReadRequestCtx,
)

from ._support import (
    ALICE,
    CONTRACTS_SPEC,
    GET_ALICE,
    JOINED,
    LIST_MEMBERS,
    TABLE,
    Spy,
    fake_client,
    middleware,
    model,
    plain,
    runtime,
    seed_row,
    trace,
)

# ==================================================================================================
# Section 38.2: contract query methods
# ==================================================================================================


def test_contract_single_point_call_runs_r1_to_r4_with_context_from_params() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy()
    rt.use(spy.tree)
    caller_context = {"tenant": "t1"}
    result = rt.execute_query_method(
        "UserById", "get", {"userId": "alice"}, {"context": caller_context, "consistentRead": True}
    )
    assert result == ALICE
    assert spy.labels == ["R1", "R2", "R3", "R4"]
    request_ctx, op_ctx, _, _ = (ctx for _, ctx, _ in spy.calls)
    assert type(request_ctx) is ReadRequestCtx and request_ctx.kind == "query"
    assert request_ctx.params["params"] == {"userId": "alice"}
    assert request_ctx.context == caller_context and request_ctx.context is not caller_context
    assert {id(ctx.context) for _, ctx, _ in spy.calls} == {id(request_ctx.context)}
    assert plain(request_ctx.model) == model("UserModel")
    assert type(op_ctx) is ReadOpCtx and op_ctx.kind == "GetItem"
    assert op_ctx.operation == {"type": "GetItem", **GET_ALICE, "ConsistentRead": True}
    assert spy.args("R4") == [(ALICE,)]


def test_contract_single_call_without_context_gets_an_empty_context() -> None:
    rt = runtime(fake_client(), CONTRACTS_SPEC)
    spy = Spy(("R1", "R2", "R3", "R4"))
    rt.use(spy.tree)
    rt.execute_query_method("UserById", "get", {"userId": "alice"})
    rt.execute_query_method("UserById", "get", {"userId": "alice"}, {"context": {}})
    for call in (spy.calls[:4], spy.calls[4:]):
        assert [label for label, _, _ in call] == ["R1", "R2", "R3", "R4"]
        assert call[0][1].context == {}
        assert {id(ctx.context) for _, ctx, _ in call} == {id(call[0][1].context)}


def test_contract_single_range_call_runs_the_pipeline() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy()
    rt.use(spy.tree)
    result = rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"})
    assert [m["userId"] for m in result["items"]] == ["alice", "bob"]
    assert spy.labels == ["R1", "R2", "R3", "R4"]
    op_ctx = spy.ctxs("R2")[0]
    assert op_ctx.kind == "Query"
    assert op_ctx.operation == {"type": "Query", **LIST_MEMBERS, "Limit": 50}
    assert spy.args("R3")[0][0] == [
        seed_row("GROUP#eng", "USER#alice"),
        seed_row("GROUP#eng", "USER#bob"),
    ]


def test_contract_r1_may_redirect_the_key() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)

    def r1(ctx: Any) -> None:
        ctx.params["params"] = {"groupId": "ops"}

    rt.use(middleware({"R1": r1}))
    result = rt.execute_query_method("GroupById", "get", {"groupId": "eng"})
    assert result == {"groupId": "ops", "name": "Operations", "memberCount": Decimal("5")}
    assert client.requests("get_item") == [
        {"TableName": TABLE, "Key": {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}}}
    ]


@pytest.mark.parametrize("redirect", [{"groupId": 5}, {}, {"groupId": None}])
def test_contract_r1_key_redirects_are_re_validated(redirect: dict[str, Any]) -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)

    def r1(ctx: Any) -> None:
        ctx.params["params"] = redirect

    spy = Spy(("R5",))
    rt.use(middleware({"R1": r1}))
    rt.use(spy.tree)
    with pytest.raises(ParameterValidationError):
        rt.execute_query_method("GroupById", "get", {"groupId": "eng"})
    assert client.calls == []


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"limit": 1000}, LimitExceededError),
        ({"limit": "x"}, ParameterValidationError),
        ({"after": "%%%"}, CursorError),
    ],
)
def test_contract_r1_option_rewrites_are_re_checked_before_any_call(
    options: dict[str, Any], error: type[Exception]
) -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    rt.use(middleware({"R1": lambda ctx: ctx.params["options"].update(options)}))
    with pytest.raises(error):
        rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"})
    assert client.calls == []


def test_contract_r1_option_rewrites_reach_the_request() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    rt.use(middleware({"R1": lambda ctx: ctx.params["options"].update(limit=1, order="desc")}))
    result = rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"})
    assert client.requests("query") == [{**LIST_MEMBERS, "Limit": 1, "ScanIndexForward": False}]
    assert [m["userId"] for m in result["items"]] == ["bob"]


@pytest.mark.parametrize(
    ("key", "params"),
    [({"groupId": 5}, None), ({}, None), ({"groupId": "eng"}, {"limit": 0})],
)
def test_contract_validation_errors_never_reach_hooks(key: Any, params: Any) -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    log: list[str] = []
    rt.use(trace("A", log))
    with pytest.raises(ParameterValidationError):
        rt.execute_query_method("GroupById", "get", key, params)
    assert log == [] and client.calls == []


def test_contract_point_arrays_fire_no_hooks() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    log: list[str] = []
    rt.use(trace("A", log))
    result = rt.execute_query_method("GroupById", "get", [{"groupId": "eng"}, {"groupId": "x"}])
    assert result['{"groupId":"eng"}']["name"] == "Engineering"
    assert result['{"groupId":"x"}'] is None
    assert client.methods == ["batch_get_item"]
    assert log == []


def test_contract_compositions_fire_no_hooks() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy()
    rt.use(spy.tree)
    result = rt.execute_query_method("MemberAccess", "get", {"groupId": "eng", "userId": "alice"})
    assert result["group"]["name"] == "Engineering"
    assert result["user"]["name"] == "Alice"
    assert client.methods == ["get_item", "batch_get_item", "batch_get_item"]
    assert spy.labels == ["R1", "R2", "R3", "R4"]  # the root GetItem only
    assert spy.ctxs("R2")[0].kind == "GetItem"


def test_contract_command_read_backs_fire_no_read_hooks() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy(("R1", "R2", "R3", "R4", "R5", "R5op", "W1", "W3", "W4"))
    rt.use(spy.tree)
    result = rt.execute_command_method(
        "MembershipCommands",
        "add",
        {"groupId": "eng", "userId": "zed"},
        {"role": "member", "joinedAt": JOINED},
    )
    assert result == {"groupId": "eng", "userId": "zed", "role": "member"}
    assert client.methods == ["put_item", "get_item"]
    assert spy.labels == ["W1", "W3", "W4"]


def test_contract_parallel_coalesced_batch_writes_fire_no_hooks() -> None:
    """Section 34.3: the coalesced BatchWriteItem path fires no hooks."""
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    log: list[str] = []
    rt.use(trace("A", log))
    keys = [{"groupId": "eng", "userId": "bob"}, {"groupId": "ops", "userId": "alice"}]
    result = rt.execute_command_method("MembershipCommands", "remove", keys)
    assert result == {"results": [{"ok": True}, {"ok": True}]}
    assert client.methods == ["batch_write_item"]
    assert log == []


def test_contract_parallel_per_key_commands_run_the_write_hooks_per_key() -> None:
    """Section 34.3: the per-key path calls execute_command, so W1..W4 fire for each key."""
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy(("W1", "W3", "W4"))
    rt.use(spy.tree)
    keys = [{"userId": "alice"}, {"userId": "bob"}]
    result = rt.execute_command_method(
        "MembershipCommands", "setStatus", keys, {"status": "disabled"}, {"context": {"by": "ops"}}
    )
    assert result == {"results": [{"ok": True}, {"ok": True}]}
    assert spy.labels == ["W1", "W3", "W4"] * 2
    assert [ctx.input["key"]["userId"] for ctx in spy.ctxs("W1")] == ["alice", "bob"]
    assert all(ctx.context == {"by": "ops"} for ctx in spy.ctxs("W1"))
    assert client.methods == ["update_item", "update_item"]


def test_contract_single_command_methods_run_the_write_hooks() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy(("W1", "W3", "W4"))
    rt.use(spy.tree)
    rt.execute_command_method(
        "UserCommands", "disable", {"userId": "alice"}, {"status": "disabled"}
    )
    assert spy.labels == ["W1", "W3", "W4"]
    (ctx,) = spy.ctxs("W1")
    assert ctx.kind == "update" and ctx.model["entity"] == "UserModel"
    assert ctx.input == {
        "params": {"userId": "alice", "status": "disabled"},
        "key": {"userId": "alice", "status": "disabled"},
        "changes": {},
    }
