"""Write hooks: contexts, W3/W4/W5-persist, W2 change images, W5-logical (sections 37 and 39)."""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from botocore.stub import Stubber

from graphddb_runtime import (
    RECOVER_NONE,
    ConditionFailedError,
    PersistCtx,
    WriteCtx,
)
from graphddb_runtime import GraphDDBRuntime as Runtime

from .._fake_dynamo import FakeDynamo
from .._golden import CREATE_USER
from ._support import (
    COMMAND_IDS,
    COMMANDS,
    NO_W2,
    ORDER,
    ORDER_ITEM,
    ORDER_KEY,
    ORDER_ROW,
    RAISE,
    REMOVE,
    SET_STATUS,
    STATUS,
    TABLE,
    USER,
    UTC,
    Boom,
    Spy,
    _rewrite,
    assert_exact,
    client_error,
    fake_client,
    item_av,
    middleware,
    model,
    plain,
    runtime,
    seed_row,
    trace,
)


@pytest.mark.parametrize(
    ("command", "params", "kind", "entity"),
    [
        ("createUser", USER, "put", "UserModel"),
        ("setOrderStatus", STATUS, "update", "OrderModel"),
        ("removeMember", REMOVE, "delete", "GroupMembershipModel"),
    ],
    ids=COMMAND_IDS,
)
def test_write_and_persist_ctx_fields(
    command: str, params: dict[str, Any], kind: str, entity: str
) -> None:
    rt = runtime(fake_client())
    spy = Spy()
    rt.use(spy.tree)
    caller_context = {"user": "admin"}
    rt.execute_command(command, params, {"context": caller_context})
    assert spy.labels == ["W1", "W3", "W4", "W2"]
    (write,) = spy.ctxs("W1")
    assert type(write) is WriteCtx and dataclasses.is_dataclass(write)
    assert write.kind == kind
    assert plain(write.model) == model(entity)
    assert write.context == caller_context and write.context is not caller_context
    assert write.state == {}
    assert write.transaction is None
    (persist,) = spy.ctxs("W3")
    assert type(persist) is PersistCtx and dataclasses.is_dataclass(persist)
    assert persist.context is write.context
    assert persist.state == {} and persist.state is not write.state
    assert persist.transaction is None
    assert persist.origins == ({"model": write.model, "kind": kind},)
    assert spy.ctxs("W4") == [persist] and spy.ctxs("W4")[0] is persist
    assert spy.ctxs("W2")[0] is write


def test_one_context_dict_is_shared_by_every_hook_of_a_write_including_errors() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy()
    rt.use(spy.tree)
    rt.execute_command("removeMember", REMOVE)
    client.fail_on("delete_item", client_error("ConditionalCheckFailedException", "DeleteItem"))
    with pytest.raises(ConditionFailedError):
        rt.execute_command("removeMember", REMOVE, {"context": {"x": 1}})
    assert spy.labels == ["W1", "W3", "W4", "W2", "W1", "W3", "W5p", "W5"]
    assert len({id(ctx.context) for ctx in spy.ctxs("W1")}) == 2
    first = {id(c.context) for _, c, _ in spy.calls[:4]}
    second = {id(c.context) for _, c, _ in spy.calls[4:]}
    assert len(first) == 1 and len(second) == 1
    assert spy.calls[4][1].context == {"x": 1}


def test_write_state_is_per_ctx_w1_to_w2_and_w3_to_w4() -> None:
    rt = runtime(fake_client())
    seen: dict[str, Any] = {}

    def w1(ctx: Any) -> None:
        ctx.state["w1"] = 1

    def w3(ctx: Any) -> None:
        seen["w3"] = dict(ctx.state)
        ctx.state["w3"] = 3

    def w4(ctx: Any, results: Any) -> None:
        seen["w4"] = dict(ctx.state)

    def w2(ctx: Any, change: Any) -> None:
        seen["w2"] = dict(ctx.state)

    rt.use(middleware({"W1": w1, "W2": w2, "W3": w3, "W4": w4}))
    rt.execute_command("removeMember", REMOVE)
    assert seen == {"w3": {}, "w4": {"w3": 3}, "w2": {"w1": 1}}


# --- W3, send, W4, W5-persist ---------------------------------------------------------------------


@pytest.mark.parametrize(("command", "params", "method", "request_"), COMMANDS, ids=COMMAND_IDS)
def test_w3_sees_the_transact_shaped_item_and_one_origin(
    command: str, params: dict[str, Any], method: str, request_: dict[str, Any]
) -> None:
    rt = runtime(fake_client())
    spy = Spy(("W1", "W3"))
    rt.use(spy.tree)
    rt.execute_command(command, params)
    (persist,) = spy.ctxs("W3")
    key = {"put_item": "Put", "update_item": "Update", "delete_item": "Delete"}[method]
    assert_exact(persist.items, [{key: request_}])
    assert type(persist.items) is list
    write = spy.ctxs("W1")[0]
    assert persist.origins == ({"model": write.model, "kind": write.kind},)


def test_w3_mutations_are_honoured_and_extra_keys_become_kwargs(
    boto_client: Any, stub: Stubber
) -> None:
    rt = runtime(boto_client)

    def w3(ctx: Any) -> None:
        body = ctx.items[0]["Put"]
        body["Item"]["audit"] = {"S": "w3"}
        body["ReturnConsumedCapacity"] = "TOTAL"

    rt.use(middleware({"W3": w3}))
    expected = copy.deepcopy(CREATE_USER)
    expected["Item"]["audit"] = {"S": "w3"}
    stub.add_response("put_item", {}, {**expected, "ReturnConsumedCapacity": "TOTAL"})
    assert rt.execute_command("createUser", USER) is None


def test_w3_may_replace_the_item_and_the_method_follows_its_key() -> None:
    client = fake_client()
    rt = runtime(client)

    def w3(ctx: Any) -> None:
        ctx.items[0] = {"Delete": {"TableName": TABLE, "Key": ORDER_KEY}}

    rt.use(middleware({"W3": w3}))
    rt.execute_command("placeOrder", ORDER)
    assert client.calls == [("delete_item", {"TableName": TABLE, "Key": ORDER_KEY})]


def test_return_values_all_old_is_sent_only_when_a_w2_hook_exists() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(trace("x", [], NO_W2))
    for command, params, _, _ in COMMANDS:
        rt.execute_command(command, params)
    rt.use(middleware({"W2": lambda ctx, change: None}))
    for command, params, _, _ in COMMANDS:
        rt.execute_command(command, params)
    sent = [kwargs for _, kwargs in client.calls]
    for before, (_, _, _, request_) in zip(sent[:3], COMMANDS, strict=True):
        assert_exact(before, request_)
    for after, (_, _, _, request_) in zip(sent[3:], COMMANDS, strict=True):
        assert_exact(after, {**request_, "ReturnValues": "ALL_OLD"})


def test_a_caller_return_values_is_sent_even_with_a_w2_hook() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W2": lambda ctx, change: None}))
    rt.execute_command("setOrderStatus", STATUS, {"returnValues": "UPDATED_NEW"})
    assert_exact(client.requests("update_item"), [{**SET_STATUS, "ReturnValues": "UPDATED_NEW"}])


def test_w4_receives_the_boto3_response() -> None:
    client = fake_client()
    response = {"Attributes": ORDER_ITEM, "ConsumedCapacity": {"TableName": TABLE}}
    client.replies["update_item"] = response
    rt = runtime(client)
    spy = Spy(("W4",))
    rt.use(spy.tree)
    rt.execute_command("setOrderStatus", STATUS)
    ((results,),) = spy.args("W4")
    assert results == response


def test_w5_persist_recovery_replaces_the_send_result() -> None:
    client = fake_client()
    client.fail_on("delete_item", client_error("ConditionalCheckFailedException", "DeleteItem"))
    rt = runtime(client)
    bob = item_av(seed_row("GROUP#eng", "USER#bob"))
    recovered = {"Attributes": bob}
    spy = Spy(("W4", "W2", "W5"), W5p=lambda ctx, err: recovered)
    rt.use(spy.tree)
    result = rt.execute_command("removeMember", REMOVE, {"returnValues": "ALL_OLD"})
    assert result == {
        "groupId": "eng",
        "userId": "bob",
        "role": "member",
        "joinedAt": datetime(2024, 3, 2, tzinfo=UTC),
    }
    assert spy.labels == ["W5p", "W4", "W2"]
    assert spy.args("W4")[0][0] is recovered
    assert spy.args("W2") == [({"oldImage": seed_row("GROUP#eng", "USER#bob")},)]
    assert isinstance(spy.args("W5p")[0][0], ConditionFailedError)
    assert type(spy.ctxs("W5p")[0]) is PersistCtx


def test_w5_persist_recover_none_gives_w4_none_and_the_call_returns_none() -> None:
    client = fake_client()
    client.fail_on("delete_item", RuntimeError("x"))
    rt = runtime(client)
    spy = Spy(("W4",), W5p=lambda ctx, err: RECOVER_NONE)
    rt.use(spy.tree)
    assert rt.execute_command("removeMember", REMOVE, {"returnValues": "ALL_OLD"}) is None
    assert spy.args("W4") == [(None,)]


def test_a_w3_raise_goes_to_w5_persist_which_may_recover_it() -> None:
    client = fake_client()
    rt = runtime(client)
    error = Boom("W3")

    def w3(ctx: Any) -> None:
        raise error

    spy = Spy(("W4",), W5p=lambda ctx, err: {"skipped": True})
    rt.use(middleware({"W3": w3}))
    rt.use(spy.tree)
    assert rt.execute_command("removeMember", REMOVE) is None
    assert spy.args("W5p") == [(error,)]
    assert spy.args("W4") == [({"skipped": True},)]
    assert client.calls == []


def test_w5_persist_decline_passes_the_original_exception_to_w5_logical() -> None:
    client = fake_client()
    client.fail_on("put_item", client_error("ConditionalCheckFailedException"))
    rt = runtime(client)
    spy = Spy(("W5p", "W5", "W4", "W2"))
    rt.use(spy.tree)
    with pytest.raises(ConditionFailedError) as info:
        rt.execute_command("createUser", USER)
    assert spy.labels == ["W5p", "W5"]
    assert spy.args("W5p") == [(info.value,)] and spy.args("W5") == [(info.value,)]
    assert info.value.operation_id == "createUser"


# --- W2 change images -----------------------------------------------------------------------------


def _audit(client: FakeDynamo) -> tuple[Runtime, list[dict[str, Any]]]:
    rt = runtime(client)
    changes: list[dict[str, Any]] = []
    rt.use(middleware({"W2": lambda ctx, change: changes.append(change)}))
    return rt, changes


def test_put_change_has_the_old_image_and_the_written_item() -> None:
    client = fake_client()
    old = {**ORDER_ITEM, "total": {"N": "10"}}
    client.replies["put_item"] = {"Attributes": old}
    rt, changes = _audit(client)
    assert rt.execute_command("placeOrder", ORDER) is None
    assert changes == [{"oldImage": {**ORDER_ROW, "total": Decimal("10")}, "newImage": ORDER_ROW}]
    assert type(changes[0]["newImage"]["total"]) is Decimal
    assert type(changes[0]["oldImage"]["total"]) is Decimal


def test_put_change_without_an_old_row_has_only_the_new_image() -> None:
    rt, changes = _audit(fake_client())
    rt.execute_command("placeOrder", ORDER)
    assert changes == [{"newImage": ORDER_ROW}]


def test_put_change_new_image_includes_w1_and_w3_changes() -> None:
    client = fake_client()
    rt, changes = _audit(client)

    def w1(ctx: Any) -> None:
        ctx.input["item"]["note"] = "w1"

    def w3(ctx: Any) -> None:
        ctx.items[0]["Put"]["Item"]["stamp"] = {"N": "7"}

    rt.use(middleware({"W1": w1, "W3": w3}))
    rt.execute_command("placeOrder", ORDER)
    assert changes == [{"newImage": {**ORDER_ROW, "note": "w1", "stamp": Decimal("7")}}]


def test_update_change_is_the_old_image_merged_with_the_resolved_changes() -> None:
    client = fake_client()
    client.replies["update_item"] = {"Attributes": ORDER_ITEM}
    rt, changes = _audit(client)
    rt.execute_command("setOrderStatus", STATUS)
    rt.execute_command("raiseOrderTotal", RAISE)
    shipped = {
        **ORDER_ROW,
        "status": "SHIPPED",
        "GSI1PK": "TENANT#t1#STATUS#SHIPPED",
        "GSI1SK": "ORDER#o1",
    }
    assert changes == [
        {"oldImage": ORDER_ROW, "newImage": shipped},
        {"oldImage": ORDER_ROW, "newImage": {**ORDER_ROW, "total": Decimal("120")}},
    ]
    assert type(changes[1]["newImage"]["total"]) is Decimal


def test_update_change_with_return_values_all_new_uses_the_returned_attributes() -> None:
    client = fake_client()
    returned = {**ORDER_ITEM, "status": {"S": "SHIPPED"}, "extra": {"N": "1"}}
    client.replies["update_item"] = {"Attributes": returned}
    rt, changes = _audit(client)
    result = rt.execute_command("setOrderStatus", STATUS, {"returnValues": "ALL_NEW"})
    assert changes == [{"newImage": {**ORDER_ROW, "status": "SHIPPED", "extra": Decimal("1")}}]
    assert result == {
        "orderId": "o1",
        "tenantId": "t1",
        "userId": "u1",
        "status": "SHIPPED",
        "total": Decimal("99.5"),
        "createdAt": datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
        "extra": Decimal("1"),
    }


def test_update_change_with_return_values_all_old_has_the_old_image() -> None:
    client = fake_client()
    client.replies["update_item"] = {"Attributes": ORDER_ITEM}
    rt, changes = _audit(client)
    result = rt.execute_command("raiseOrderTotal", RAISE, {"returnValues": "ALL_OLD"})
    assert changes == [{"oldImage": ORDER_ROW, "newImage": {**ORDER_ROW, "total": Decimal("120")}}]
    assert result is not None and result["total"] == Decimal("99.5")


@pytest.mark.parametrize("return_values", ["UPDATED_NEW", "UPDATED_OLD"])
def test_update_change_has_no_old_image_for_other_return_values(return_values: str) -> None:
    client = fake_client()
    client.replies["update_item"] = {"Attributes": {"total": {"N": "120"}}}
    rt, changes = _audit(client)
    rt.execute_command("raiseOrderTotal", RAISE, {"returnValues": return_values})
    assert "oldImage" not in changes[0]


def test_delete_change_has_the_removed_row_and_no_new_image() -> None:
    client = fake_client()
    client.replies["delete_item"] = {"Attributes": item_av(seed_row("GROUP#eng", "USER#bob"))}
    rt, changes = _audit(client)
    rt.execute_command("removeMember", REMOVE)
    assert changes == [{"oldImage": seed_row("GROUP#eng", "USER#bob")}]
    client.replies["delete_item"] = {}
    rt.execute_command("removeMember", REMOVE)
    assert changes[1] == {}


def test_soft_delete_change_is_an_update_change() -> None:
    client = fake_client()
    bob = seed_row("GROUP#eng", "USER#bob")
    client.replies["update_item"] = {"Attributes": item_av(bob)}
    rt, changes = _audit(client)
    rt.use(middleware({"W1": _rewrite("update", {"deletedAt": "2024-07-01T00:00:00.000Z"})}))
    rt.execute_command("removeMember", REMOVE)
    assert client.requests("update_item")[0]["ReturnValues"] == "ALL_OLD"
    assert changes == [
        {"oldImage": bob, "newImage": {**bob, "deletedAt": "2024-07-01T00:00:00.000Z"}}
    ]


# --- W5-logical and return values -----------------------------------------------------------------


def _raising_w1(ctx: Any) -> None:
    raise Boom("W1")


@pytest.mark.parametrize(
    ("recovery", "options", "expected"),
    [
        ("recovered", None, None),
        ("recovered", {"returnValues": "ALL_OLD"}, "recovered"),
        (RECOVER_NONE, {"returnValues": "ALL_OLD"}, None),
        (RECOVER_NONE, None, None),
        ({"items": 1}, {"returnValues": "ALL_OLD"}, {"items": 1}),
    ],
)
def test_w5_logical_recovery_return_rules(recovery: Any, options: Any, expected: Any) -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W1": _raising_w1, "W5": lambda ctx, err: recovery}))
    assert rt.execute_command("removeMember", REMOVE, options) == expected
    assert client.calls == []


def test_w5_logical_recovers_send_failures_too() -> None:
    client = fake_client()
    client.fail_on("update_item", client_error("ConditionalCheckFailedException", "UpdateItem"))
    rt = runtime(client)
    spy = Spy(("W5",), W5=lambda ctx, err: "fallback")
    rt.use(spy.tree)
    assert rt.execute_command("raiseOrderTotal", RAISE, {"returnValues": "ALL_NEW"}) == "fallback"
    assert rt.execute_command("raiseOrderTotal", RAISE) is None
    assert all(isinstance(args[0], ConditionFailedError) for args in spy.args("W5"))
    assert type(spy.ctxs("W5")[0]) is WriteCtx


def test_w5_logical_unrecovered_re_raises_the_original_exception() -> None:
    rt = runtime(fake_client())
    errors: list[BaseException] = []
    rt.use(middleware({"W1": _raising_w1, "W5": lambda ctx, err: errors.append(err)}))
    with pytest.raises(Boom) as info:
        rt.execute_command("removeMember", REMOVE)
    assert errors == [info.value]


def test_with_hooks_and_return_values_the_hydrated_attributes_are_returned() -> None:
    client = fake_client()
    client.replies["update_item"] = {"Attributes": {**ORDER_ITEM, "status": {"S": "SHIPPED"}}}
    rt = runtime(client)
    rt.use(trace("x", []))
    result = rt.execute_command(
        "setOrderStatus", STATUS, {"returnValues": "ALL_NEW", "numbers": "native"}
    )
    assert result == {
        "orderId": "o1",
        "tenantId": "t1",
        "userId": "u1",
        "status": "SHIPPED",
        "total": 99.5,
        "createdAt": datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
    }
    assert type(result["total"]) is float
    assert rt.execute_command("setOrderStatus", STATUS) is None
