"""Read hooks R1 to R5: contexts, validation outside the hooks, rewrites (sections 37 and 38)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from botocore.stub import Stubber

from graphddb_runtime import (
    CursorError,
    GraphDDBError,
    LimitExceededError,
    ParameterValidationError,
    QueryNotFoundError,
    ReadOpCtx,
    ReadRequestCtx,
    RuntimeLimits,
)

from ._support import (
    GET_ALICE,
    LIST_MEMBERS,
    ORDER_ITEM,
    RAISE,
    TABLE,
    UTC,
    Boom,
    Spy,
    _failing_read_runtime,
    assert_exact,
    fake_client,
    item_av,
    middleware,
    model,
    plain,
    runtime,
    seed_row,
    trace,
)

# ==================================================================================================
# Section 37: contexts
# ==================================================================================================


def test_read_request_ctx_fields() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R1",))
    rt.use(spy.tree)
    caller_context = {"tenant": "t1", "nested": {"k": 1}}
    options = {"consistentRead": True, "context": caller_context}
    rt.execute_query("getUser", {"userId": "alice"}, options)
    (ctx,) = spy.ctxs("R1")
    assert type(ctx) is ReadRequestCtx and dataclasses.is_dataclass(ctx)
    assert ctx.kind == "query"
    assert plain(ctx.model) == model("UserModel")
    assert ctx.context == caller_context and ctx.context is not caller_context
    assert type(ctx.context) is dict
    assert ctx.params == {"params": {"userId": "alice"}, "options": options}
    assert ctx.state == {}


def test_unknown_options_never_reach_r1_per_call_data_goes_through_context() -> None:
    # Section 7.4: an unknown key is an error (0.6 let R1 see it); hooks get per-call data
    # through ``context`` (section 37).
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("R1",))
    rt.use(spy.tree)
    with pytest.raises(ParameterValidationError, match=r"getUser: unknown option 'custom'"):
        rt.execute_query("getUser", {"userId": "alice"}, {"custom": "for R1"})
    assert spy.ctxs("R1") == [] and client.calls == []
    rt.execute_query("getUser", {"userId": "alice"}, {"context": {"custom": "for R1"}})
    (ctx,) = spy.ctxs("R1")
    assert ctx.context == {"custom": "for R1"}


def test_r1_cannot_add_an_unknown_option() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"R1": lambda ctx: ctx.params["options"].update(Limit=1)}))
    with pytest.raises(ParameterValidationError) as caught:
        rt.execute_query("listMembers", {"groupId": "eng"})
    assert str(caught.value) == "listMembers: unknown option 'Limit'; did you mean 'limit'?"
    assert client.calls == []


def test_read_request_ctx_options_are_empty_without_options() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R1",))
    rt.use(spy.tree)
    rt.execute_query("getUser", {"userId": "alice"})
    (ctx,) = spy.ctxs("R1")
    assert ctx.params == {"params": {"userId": "alice"}, "options": {}}
    assert ctx.context == {} and type(ctx.context) is dict


def test_r1_mutations_do_not_touch_the_caller_params() -> None:
    rt = runtime(fake_client())
    params = {"userId": "alice"}
    options: dict[str, Any] = {"context": {"a": 1}}

    def r1(ctx: Any) -> None:
        ctx.params["params"]["userId"] = "bob"
        ctx.params["options"]["numbers"] = "native"
        ctx.context["a"] = 2

    rt.use(middleware({"R1": r1}))
    assert rt.execute_query("getUser", params, options) is None
    assert params == {"userId": "alice"}
    assert options == {"context": {"a": 1}}


def test_read_op_ctx_fields_for_get_item_and_query() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R1", "R2"))
    rt.use(spy.tree)
    options = {"consistentRead": True, "context": {"c": 1}}
    rt.execute_query("getUser", {"userId": "alice"}, options)
    rt.execute_query("listMembers", {"groupId": "eng"}, {"limit": 1, "order": "desc"})
    request_ctx, _ = spy.ctxs("R1")
    get, query = spy.ctxs("R2")
    assert type(get) is ReadOpCtx and dataclasses.is_dataclass(get)
    assert get.kind == "GetItem"
    assert plain(get.model) == model("UserModel")
    assert get.context is request_ctx.context
    assert get.operation == {"type": "GetItem", **GET_ALICE, "ConsistentRead": True}
    assert get.relation_path == ()
    assert get.state == {}
    assert query.kind == "Query"
    assert plain(query.model) == model("GroupMembershipModel")
    assert query.operation == {
        "type": "Query",
        **LIST_MEMBERS,
        "Limit": 1,
        "ScanIndexForward": False,
    }
    assert query.relation_path == ()
    assert query.state == {}


def test_one_context_dict_is_shared_even_when_the_caller_gives_no_context() -> None:
    """Section 37: ``{}`` when absent, and still the same dict object for every hook."""
    rt = runtime(fake_client())
    spy = Spy(("R1", "R2", "R3", "R4"))
    rt.use(spy.tree)
    rt.execute_query("getUser", {"userId": "alice"})
    rt.execute_query("listMembers", {"groupId": "eng"}, {"context": {}})
    for call in (spy.calls[:4], spy.calls[4:]):
        assert [label for label, _, _ in call] == ["R1", "R2", "R3", "R4"]
        assert {id(ctx.context) for _, ctx, _ in call} == {id(call[0][1].context)}


def test_r1_context_mutations_are_seen_by_every_later_hook() -> None:
    rt = runtime(fake_client())
    seen: list[Any] = []

    def r1(ctx: Any) -> None:
        ctx.context["user"] = "from R1"

    rt.use(
        middleware(
            {
                "R1": r1,
                "R2": lambda ctx: seen.append(ctx.context.get("user")),
                "R3": lambda ctx, items: seen.append(ctx.context.get("user")),
                "R4": lambda ctx, result: seen.append(ctx.context.get("user")),
            }
        )
    )
    rt.execute_query("getUser", {"userId": "alice"})
    assert seen == ["from R1"] * 3


def test_model_has_no_entity_when_none_is_declared_or_inferred() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("R1", "R2", "W1", "W3"))
    rt.use(spy.tree)
    assert rt.execute_query("getThing", {"thingId": "x"}) is None
    rt.execute_command("renameThing", {"thingId": "x", "name": "n"})
    for ctx in spy.ctxs("R1") + spy.ctxs("R2") + spy.ctxs("W1"):
        assert ctx.model == {"entity": None, "meta": {}}
    (persist,) = spy.ctxs("W3")
    assert persist.origins == ({"model": {"entity": None, "meta": {}}, "kind": "update"},)


def test_request_level_model_is_the_root_op_entity() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R1",))
    rt.use(spy.tree)
    rt.execute_query("getUserAccess", {"userId": "alice"})
    rt.execute_query("listUserGroups", {"userId": "alice"})
    rt.execute_query("getGroup", {"groupId": "eng"})
    assert [ctx.model["entity"] for ctx in spy.ctxs("R1")] == [
        "UserModel",
        "GroupMembershipModel",
        "GroupModel",
    ]


def test_one_context_dict_is_shared_by_every_hook_of_a_read() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy()
    rt.use(spy.tree)
    rt.use(spy.tree)
    caller_context = {"who": "me"}
    rt.execute_query("getUser", {"userId": "alice"}, {"context": caller_context})
    client.fail_on("get_item", RuntimeError("x"))
    with pytest.raises(RuntimeError):
        rt.execute_query("getUser", {"userId": "alice"}, {"context": caller_context})
    first = {id(ctx.context) for ctx in [c for _, c, _ in spy.calls[:8]]}
    second = {id(ctx.context) for ctx in [c for _, c, _ in spy.calls[8:]]}
    assert spy.labels[8:] == ["R1", "R1", "R2", "R2", "R5op", "R5op", "R5", "R5"]
    assert len(first) == 1 and len(second) == 1 and first != second
    assert id(caller_context) not in first | second


def test_state_is_fresh_per_ctx_and_the_request_state_is_shared_from_r1_to_r4_and_r5() -> None:
    client = fake_client()
    rt = runtime(client)
    seen: dict[str, Any] = {}

    def r1(ctx: Any) -> None:
        assert ctx.state == {}
        ctx.state["r1"] = True

    def r2(ctx: Any) -> None:
        seen["r2_state"] = dict(ctx.state)
        ctx.state["r2"] = True

    def r3(ctx: Any, items: Any) -> None:
        seen["r3_state"] = dict(ctx.state)

    def r4(ctx: Any, result: Any) -> None:
        seen["r4_state"] = dict(ctx.state)

    def r5(ctx: Any, err: BaseException) -> None:
        seen["r5_state"] = dict(ctx.state)

    def r5op(ctx: Any, err: BaseException) -> None:
        seen["r5op_state"] = dict(ctx.state)

    rt.use(middleware({"R1": r1, "R2": r2, "R3": r3, "R4": r4, "R5": r5, "R5op": r5op}))
    rt.execute_query("getUser", {"userId": "alice"})
    assert seen == {"r2_state": {}, "r3_state": {"r2": True}, "r4_state": {"r1": True}}
    seen.clear()
    rt.execute_query("getUser", {"userId": "alice"})  # a new call: fresh states again
    assert seen["r2_state"] == {} and seen["r4_state"] == {"r1": True}
    client.fail_on("get_item", RuntimeError("x"))
    with pytest.raises(RuntimeError):
        rt.execute_query("getUser", {"userId": "alice"})
    assert seen["r5op_state"] == {"r2": True}
    assert seen["r5_state"] == {"r1": True}


# ==================================================================================================
# Section 38.1: execute_query
# ==================================================================================================


@pytest.mark.parametrize(
    ("query_id", "params", "options", "error"),
    [
        ("nope", {}, None, QueryNotFoundError),
        ("getUser", {}, None, ParameterValidationError),
        ("getUser", {"userId": 5}, None, ParameterValidationError),
        ("getUser", {"userId": "alice"}, "not a mapping", ParameterValidationError),
        ("getUser", {"userId": "alice"}, {"context": ["x"]}, ParameterValidationError),
        ("getUser", {"userId": "alice"}, {"numbers": "float"}, ParameterValidationError),
        ("listMembers", {"groupId": "eng"}, {"limit": 0}, ParameterValidationError),
        ("listMembers", {"groupId": "eng"}, {"order": "up"}, ParameterValidationError),
        ("listMembers", {"groupId": "eng"}, {"limit": 101}, LimitExceededError),
        ("listMembers", {"groupId": "eng"}, {"cursor": "%%%"}, CursorError),
        ("getUserByEmail", {"email": "a@b"}, {"consistentRead": True}, ParameterValidationError),
    ],
)
def test_validation_and_pre_flight_errors_never_reach_hooks(
    query_id: str, params: Any, options: Any, error: type[Exception]
) -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []
    rt.use(trace("A", log))
    with pytest.raises(error):
        rt.execute_query(query_id, params, options)
    assert log == []
    assert client.calls == []


def test_pre_flight_limits_never_reach_hooks() -> None:
    client = fake_client()
    log: list[str] = []
    for limits in (RuntimeLimits(max_operations=3), RuntimeLimits(max_depth=1)):
        rt = runtime(client, limits=limits)
        rt.use(trace("A", log))
        with pytest.raises(LimitExceededError):
            rt.execute_query("getUserAccess", {"userId": "alice"})
    rt = runtime(client, limits=RuntimeLimits(max_items=10))  # static limit 20 > 10
    rt.use(trace("A", log))
    with pytest.raises(LimitExceededError):
        rt.execute_query("listUserGroups", {"userId": "alice"})
    assert log == []
    assert client.calls == []


def test_r1_can_mutate_params_and_the_request_follows() -> None:
    client = fake_client()
    rt = runtime(client)

    def r1(ctx: Any) -> None:
        ctx.params["params"]["groupId"] = "ops"

    rt.use(middleware({"R1": r1}))
    rt.execute_query("getGroup", {"groupId": "eng"})
    assert client.requests("get_item") == [
        {"TableName": TABLE, "Key": {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}}}
    ]


def test_r1_can_replace_params_and_options() -> None:
    client = fake_client()
    rt = runtime(client)

    def r1(ctx: Any) -> None:
        ctx.params = {"params": {"groupId": "ops"}, "options": {"consistentRead": True}}

    rt.use(middleware({"R1": r1}))
    result = rt.execute_query("getGroup", {"groupId": "eng"}, {"numbers": "native"})
    assert client.requests("get_item") == [
        {
            "TableName": TABLE,
            "Key": {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}},
            "ConsistentRead": True,
        }
    ]
    assert result == {"groupId": "ops", "name": "Operations", "memberCount": Decimal("5")}
    assert isinstance(result["memberCount"], Decimal)  # the rewritten options have no numbers


def test_r1_option_rewrites_are_honoured() -> None:
    client = fake_client()
    rt = runtime(client)

    def r1(ctx: Any) -> None:
        ctx.params["options"].update(limit=1, order="desc", numbers="native")

    rt.use(middleware({"R1": r1}))
    result = rt.execute_query("listMembers", {"groupId": "eng"})
    assert client.requests("query") == [{**LIST_MEMBERS, "Limit": 1, "ScanIndexForward": False}]
    assert [m["userId"] for m in result["items"]] == ["bob"]
    assert result["cursor"] is not None
    result = rt.execute_query("getGroup", {"groupId": "eng"})
    assert result["memberCount"] == 2 and type(result["memberCount"]) is int


@pytest.mark.parametrize(
    ("query_id", "params", "rewrite", "error"),
    [
        ("getUser", {"userId": "alice"}, {"params": {"userId": 5}}, ParameterValidationError),
        ("getUser", {"userId": "alice"}, {"params": {}}, ParameterValidationError),
        ("getUser", {"userId": "alice"}, {"options": {"limit": "x"}}, ParameterValidationError),
        ("listMembers", {"groupId": "eng"}, {"options": {"limit": 1000}}, LimitExceededError),
        ("listMembers", {"groupId": "eng"}, {"options": {"cursor": "%%%"}}, CursorError),
        (
            "getUserByEmail",
            {"email": "alice@example.com"},
            {"options": {"consistentRead": True}},
            ParameterValidationError,
        ),
    ],
)
def test_r1_rewrites_are_re_validated_and_pre_flight_runs_again(
    query_id: str, params: dict[str, Any], rewrite: dict[str, Any], error: type[Exception]
) -> None:
    client = fake_client()
    rt = runtime(client)

    def r1(ctx: Any) -> None:
        for part, values in rewrite.items():
            if part == "params" and not values:
                ctx.params["params"] = {}
            ctx.params[part].update(values)

    spy = Spy(("R2", "R4", "R5"))
    rt.use(middleware({"R1": r1}))
    rt.use(spy.tree)
    with pytest.raises(error) as info:
        rt.execute_query(query_id, params)
    assert spy.labels == ["R5"]  # errors after R1 go to R5 (section 38.1 step 6)
    assert spy.args("R5") == [(info.value,)]
    assert client.calls == []


def test_r2_mutations_reach_the_wire_and_type_is_stripped(boto_client: Any, stub: Stubber) -> None:
    rt = runtime(boto_client)

    def r2(ctx: Any) -> None:
        operation = ctx.operation
        operation["FilterExpression"] = "#role = :role"
        operation["ExpressionAttributeNames"]["#role"] = "role"
        operation["ExpressionAttributeValues"][":role"] = {"S": "admin"}
        operation["ReturnConsumedCapacity"] = "TOTAL"

    rt.use(middleware({"R2": r2}))
    alice = item_av({k: v for k, v in seed_row("GROUP#eng", "USER#alice").items()})
    stub.add_response(
        "query",
        {"Items": [alice]},
        {
            "TableName": TABLE,
            "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
            "ExpressionAttributeNames": {"#k0": "PK", "#kr": "SK", "#role": "role"},
            "ExpressionAttributeValues": {
                ":k0": {"S": "GROUP#eng"},
                ":kr": {"S": "USER#"},
                ":role": {"S": "admin"},
            },
            "FilterExpression": "#role = :role",
            "ReturnConsumedCapacity": "TOTAL",
        },
    )
    result = rt.execute_query("listMembers", {"groupId": "eng"})
    assert [m["userId"] for m in result["items"]] == ["alice"]


def test_r2_can_redirect_a_get_item_and_the_request_has_no_type() -> None:
    client = fake_client()
    rt = runtime(client)

    def r2(ctx: Any) -> None:
        ctx.operation["Key"] = {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}}
        ctx.operation["ConsistentRead"] = True

    rt.use(middleware({"R2": r2}))
    result = rt.execute_query("getGroup", {"groupId": "eng"})
    assert result == {"groupId": "ops", "name": "Operations", "memberCount": Decimal("5")}
    assert_exact(
        client.calls,
        [
            (
                "get_item",
                {
                    "TableName": TABLE,
                    "Key": {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}},
                    "ConsistentRead": True,
                },
            )
        ],
    )


def test_r3_receives_deserialized_raw_items() -> None:
    rt = runtime(fake_client())
    spy = Spy(("R3",))
    rt.use(spy.tree)
    rt.execute_query("getGroup", {"groupId": "eng"})
    rt.execute_query("getGroup", {"groupId": "missing"})
    rt.execute_query("listMembers", {"groupId": "eng"})
    (group,), (missing,), (members,) = spy.args("R3")
    assert group == [seed_row("GROUP#eng", "META")]  # every attribute, keys included
    assert type(group[0]["memberCount"]) is Decimal
    assert missing == []
    assert members == [seed_row("GROUP#eng", "USER#alice"), seed_row("GROUP#eng", "USER#bob")]
    assert members[0]["joinedAt"] == "2024-03-01T09:30:00.000Z"  # raw: not yet hydrated


def test_hook_payloads_use_decimal_even_when_the_runtime_returns_native_numbers() -> None:
    """Section 9.4: R3 raw items and W2 images always use Decimal."""
    client = fake_client()
    client.replies["update_item"] = {"Attributes": ORDER_ITEM}
    rt = runtime(client, limits=RuntimeLimits(numbers="native"))
    spy = Spy(("R3", "R4", "W2"))
    rt.use(spy.tree)
    result = rt.execute_query("getGroup", {"groupId": "eng"})
    assert type(result["memberCount"]) is int
    ((items,),) = spy.args("R3")
    assert type(items[0]["memberCount"]) is Decimal
    assert type(spy.args("R4")[0][0]["memberCount"]) is Decimal
    rt.execute_command("raiseOrderTotal", RAISE)
    ((change,),) = spy.args("W2")
    assert type(change["oldImage"]["total"]) is Decimal
    assert type(change["newImage"]["total"]) is Decimal


def test_r3_receives_query_items_after_truncation() -> None:
    rt = runtime(fake_client(), limits=RuntimeLimits(max_items=1))
    spy = Spy(("R3",))
    rt.use(spy.tree)
    result = rt.execute_query("listMembers", {"groupId": "eng"})
    assert spy.args("R3") == [([seed_row("GROUP#eng", "USER#alice")],)]
    assert [m["userId"] for m in result["items"]] == ["alice"]
    assert result["cursor"] is not None


@pytest.mark.parametrize("returned", ["text", {"a": 1}, (1, 2), 0])
def test_r3_returning_a_non_list_raises_graphddb_error(returned: Any) -> None:
    rt = runtime(fake_client())
    rt.use(middleware({"R3": lambda ctx, items: returned}))
    with pytest.raises(GraphDDBError):
        rt.execute_query("getUser", {"userId": "alice"})


def test_r3_replacement_items_are_hydrated_with_the_op_projection() -> None:
    rt = runtime(fake_client())
    replacement = [{**seed_row("GROUP#eng", "USER#bob"), "extra": "dropped"}]
    rt.use(middleware({"R3": lambda ctx, items: replacement}))
    result = rt.execute_query("listMembers", {"groupId": "eng"})
    assert result == {
        "items": [
            {
                "groupId": "eng",
                "userId": "bob",
                "role": "member",
                "joinedAt": datetime(2024, 3, 2, tzinfo=UTC),
            }
        ],
        "cursor": None,
    }


def test_r5_op_recovery_replaces_the_items_and_the_cursor_becomes_none() -> None:
    rt = runtime(fake_client())
    assert rt.execute_query("listUserGroups", {"userId": "alice"}, {"limit": 1})["cursor"]

    def r3(ctx: Any, items: Any) -> None:
        raise Boom("after the page arrived")

    rt.use(middleware({"R3": r3, "R5op": lambda ctx, err: [{"groupId": "zzz", "role": "owner"}]}))
    result = rt.execute_query("listUserGroups", {"userId": "alice"}, {"limit": 1})
    assert result == {"items": [{"groupId": "zzz", "role": "owner"}], "cursor": None}


def test_r5_op_recovery_with_a_non_list_raises_graphddb_error() -> None:
    """Implementation decision: an op-level recovery value must be a list."""
    _, rt = _failing_read_runtime(RuntimeError("x"))
    rt.use(middleware({"R5op": lambda ctx, err: {"not": "a list"}}))
    with pytest.raises(GraphDDBError):
        rt.execute_query("listMembers", {"groupId": "eng"})


def test_r4_runs_after_every_op_and_an_r4_error_goes_to_r5() -> None:
    rt = runtime(fake_client())
    error = Boom("R4")
    log: list[str] = []

    def r4(ctx: Any, result: Any) -> None:
        log.append("R4")
        raise error

    def r5(ctx: Any, err: BaseException) -> Any:
        log.append("R5")
        return {"recovered": err}

    rt.use(trace("t", log, ("R1", "R2", "R3")))
    rt.use(middleware({"R4": r4, "R5": r5}))
    assert rt.execute_query("getUser", {"userId": "alice"}) == {"recovered": error}
    assert log == ["t:R1", "t:R2", "t:R3", "R4", "R5"]


def test_hooks_see_decimals_and_native_numbers_apply_after_r4() -> None:
    rt = runtime(fake_client())
    seen: dict[str, Any] = {}

    def r3(ctx: Any, items: Any) -> None:
        seen["r3"] = items[0]["memberCount"]

    def r4(ctx: Any, result: Any) -> Any:
        seen["r4"] = result["memberCount"]
        return {**result, "extra": Decimal("1.5")}

    rt.use(middleware({"R3": r3, "R4": r4}))
    result = rt.execute_query("getGroup", {"groupId": "eng"}, {"numbers": "native"})
    assert type(seen["r3"]) is Decimal and type(seen["r4"]) is Decimal
    assert result == {"groupId": "eng", "name": "Engineering", "memberCount": 2, "extra": 1.5}
    assert type(result["memberCount"]) is int and type(result["extra"]) is float
