"""Transaction hooks (section 40)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from graphddb_runtime import (
    GraphDDBError,
    LimitExceededError,
    ParameterValidationError,
    PersistCtx,
    RuntimeLimits,
    TransactionCanceledError,
    TransactionCollapseError,
    TransactionNotFoundError,
    WriteCtx,
)

from .._fake_dynamo import FakeDynamo
from ._support import (
    BOB_KEY,
    CONTRACTS_SPEC,
    JOIN,
    JOINED,
    TABLE,
    Boom,
    Spy,
    _rewrite,
    assert_exact,
    client_error,
    fake_client,
    middleware,
    model,
    plain,
    runtime,
    trace,
)

MEMBERS = [
    {"userId": "carol", "role": "member"},
    {"userId": "dan", "role": ""},
    {"userId": "erin", "role": "admin"},
]
ADD_MEMBERS: dict[str, Any] = {"groupId": "eng", "joinedAt": JOINED, "members": MEMBERS}
GROUP_META: dict[str, Any] = {"PK": {"S": "GROUP#eng"}, "SK": {"S": "META"}}


def membership_put(
    user: str, role: str, joined: str = JOINED, group: str = "eng"
) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": TABLE,
            "Item": {
                "groupId": {"S": group},
                "userId": {"S": user},
                "role": {"S": role},
                "joinedAt": {"S": joined},
                "PK": {"S": f"GROUP#{group}"},
                "SK": {"S": f"USER#{user}"},
                "GSI1PK": {"S": f"USER#{user}"},
                "GSI1SK": {"S": f"GROUP#{group}"},
            },
            "ExpressionAttributeNames": {"#pk": "PK"},
            "ConditionExpression": "attribute_not_exists(#pk)",
        }
    }


ADD_TWO: dict[str, Any] = {
    "Update": {
        "TableName": TABLE,
        "Key": GROUP_META,
        "UpdateExpression": "ADD #a0 :a0",
        "ExpressionAttributeNames": {"#a0": "memberCount"},
        "ExpressionAttributeValues": {":a0": {"N": "2"}},
    }
}
ADD_MEMBERS_ITEMS = [membership_put("carol", "member"), membership_put("erin", "admin"), ADD_TWO]
GHOST_CHECK: dict[str, Any] = {
    "ConditionCheck": {
        "TableName": TABLE,
        "Key": {"PK": {"S": "GROUP#ghost"}, "SK": {"S": "META"}},
        "ExpressionAttributeNames": {"#ce": "PK"},
        "ConditionExpression": "attribute_exists(#ce)",
    }
}
FRANK_ITEM: dict[str, Any] = {
    "groupId": {"S": "ghost"},
    "userId": {"S": "frank"},
    "role": {"S": "member"},
    "joinedAt": {"S": "2024-05-02T00:00:00.000Z"},
    "PK": {"S": "GROUP#ghost"},
    "SK": {"S": "USER#frank"},
    "GSI1PK": {"S": "USER#frank"},
    "GSI1SK": {"S": "GROUP#ghost"},
}
JOIN_ITEMS = [GHOST_CHECK, {"Put": {"TableName": TABLE, "Item": FRANK_ITEM}}]
RETIRE: dict[str, Any] = {"groupId": "eng", "userId": "bob"}
RETIRE_ITEMS = [
    {
        "ConditionCheck": {
            "TableName": TABLE,
            "Key": {"PK": {"S": "USER#bob"}, "SK": {"S": "PROFILE"}},
            "ExpressionAttributeNames": {"#ce": "PK"},
            "ConditionExpression": "attribute_exists(#ce)",
        }
    },
    {"Delete": {"TableName": TABLE, "Key": BOB_KEY}},
    {
        "Update": {
            "TableName": TABLE,
            "Key": GROUP_META,
            "UpdateExpression": "ADD #a0 :a0",
            "ExpressionAttributeNames": {"#a0": "memberCount"},
            "ExpressionAttributeValues": {":a0": {"N": "-1"}},
        }
    },
]


def sent_items(client: FakeDynamo) -> list[Any]:
    return [kwargs["TransactItems"] for kwargs in client.requests("transact_write_items")]


def test_tx_hooks_keep_the_section_43_requests() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(trace("x", []))
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    rt.execute_transaction("addMemberIfGroupExists", JOIN, {"idempotencyToken": "req-7f3a"})
    rt.execute_transaction("retireMember", RETIRE)
    calls = client.requests("transact_write_items")
    assert_exact(
        calls,
        [
            {"TransactItems": ADD_MEMBERS_ITEMS},
            {"TransactItems": JOIN_ITEMS, "ClientRequestToken": "req-7f3a"},
            {"TransactItems": RETIRE_ITEMS},
        ],
    )


@pytest.mark.parametrize("members", [[], [{"userId": "dan", "role": ""}]])
def test_tx_zero_items_run_no_hook_and_make_no_call(members: list[dict[str, Any]]) -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []
    rt.use(trace("x", log))
    rt.execute_transaction("addMembers", {**ADD_MEMBERS, "members": members})
    assert log == [] and client.calls == []


@pytest.mark.parametrize(
    ("transaction_id", "params", "options", "error"),
    [
        ("nope", {}, None, TransactionNotFoundError),
        ("addMembers", {"groupId": "eng"}, None, ParameterValidationError),
        ("addMembers", {**ADD_MEMBERS, "members": [{"userId": 1}]}, None, ParameterValidationError),
        ("addMembers", ADD_MEMBERS, {"idempotencyToken": ""}, ParameterValidationError),
        (
            "addMembers",
            {**ADD_MEMBERS, "members": [{"userId": f"u{i}", "role": "m"} for i in range(50)]},
            None,
            LimitExceededError,
        ),
    ],
)
def test_tx_validation_expansion_and_pre_flight_run_before_any_hook(
    transaction_id: str, params: Any, options: Any, error: type[Exception]
) -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []
    rt.use(trace("x", log))
    with pytest.raises(error):
        rt.execute_transaction(transaction_id, params, options)
    assert log == [] and client.calls == []


def test_tx_w1_runs_fifo_once_per_logical_op_in_spec_and_element_order() -> None:
    rt = runtime(fake_client())
    log: list[str] = []
    spy = Spy(("W1",))
    rt.use(spy.tree)
    rt.use(trace("second", log, ("W1",)))
    rt.execute_transaction("addMembers", ADD_MEMBERS, {"context": {"req": 1}})
    ctxs = spy.ctxs("W1")
    assert [(c.kind, c.model["entity"]) for c in ctxs] == [
        ("put", "GroupMembershipModel"),
        ("put", "GroupMembershipModel"),
        ("update", "GroupModel"),
        ("update", "GroupModel"),
    ]
    assert log == ["second:W1"] * 4
    assert [type(c) for c in ctxs] == [WriteCtx] * 4
    assert plain(ctxs[0].model) == model("GroupMembershipModel")
    assert plain(ctxs[2].model) == model("GroupModel")
    assert all(c.context == {"req": 1} for c in ctxs)
    assert len({id(c.context) for c in ctxs}) == 1
    assert len({id(c.state) for c in ctxs}) == 4 and all(c.state == {} for c in ctxs)


def test_tx_condition_checks_are_not_logical_ops() -> None:
    rt = runtime(fake_client())
    spy = Spy(("W1", "W2"))
    rt.use(spy.tree)
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    rt.execute_transaction("retireMember", RETIRE)
    assert [(c.kind, c.model["entity"]) for c in spy.ctxs("W1")] == [
        ("put", "GroupMembershipModel"),
        ("delete", "GroupMembershipModel"),
        ("update", "GroupModel"),
    ]
    assert len(spy.ctxs("W2")) == 3


def test_tx_input_is_flat_params_then_dotted_then_bare_element_fields() -> None:
    rt = runtime(fake_client())
    spy = Spy(("W1",))
    rt.use(spy.tree)
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    carol_put, erin_put, carol_update, erin_update, join = spy.ctxs("W1")

    def flat(member: dict[str, Any]) -> dict[str, Any]:
        return {
            "groupId": "eng",
            "joinedAt": JOINED,
            "members": MEMBERS,
            "item.userId": member["userId"],
            "item.role": member["role"],
            "userId": member["userId"],
            "role": member["role"],
        }

    assert_exact(carol_put.input, flat(MEMBERS[0]))
    assert_exact(erin_put.input, flat(MEMBERS[2]))
    assert_exact(carol_update.input, flat(MEMBERS[0]))
    assert_exact(erin_update.input, flat(MEMBERS[2]))
    assert_exact(join.input, JOIN)


def test_tx_every_ctx_shares_one_transaction_dict_fresh_per_call() -> None:
    rt = runtime(fake_client())
    spy = Spy(("W1", "W3", "W4", "W2"))
    rt.use(spy.tree)
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    first, second = spy.calls[: len(spy.calls) // 2], spy.calls[len(spy.calls) // 2 :]
    for calls in (first, second):
        transactions = {id(ctx.transaction) for _, ctx, _ in calls}
        assert len(transactions) == 1
        transaction = calls[0][1].transaction
        assert type(transaction) is dict and list(transaction) == ["id"]
        assert len({id(ctx.context) for _, ctx, _ in calls}) == 1
    assert first[0][1].transaction is not second[0][1].transaction
    assert first[0][1].transaction["id"] is not second[0][1].transaction["id"]
    assert type(spy.ctxs("W3")[0]) is PersistCtx


def test_tx_a_w1_raise_aborts_before_any_call_without_w5_logical() -> None:
    client = fake_client()
    rt = runtime(client)
    error = Boom("W1")
    count = [0]

    def w1(ctx: Any) -> None:
        count[0] += 1
        if count[0] == 2:
            raise error

    spy = Spy(("W3", "W4", "W2", "W5", "W5p"))
    rt.use(middleware({"W1": w1}))
    rt.use(spy.tree)
    with pytest.raises(Boom) as info:
        rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert info.value is error
    assert spy.labels == []
    assert client.calls == []


def test_tx_w1_rewrites_of_params_and_element_fields_are_honoured() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "put" and ctx.input["item.userId"] == "carol":
            ctx.input["item.role"] = "owner"
        elif ctx.kind == "put":
            ctx.input["joinedAt"] = "2025-01-01T00:00:00.000Z"

    rt.use(middleware({"W1": w1}))
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert_exact(
        sent_items(client),
        [
            [
                membership_put("carol", "owner"),
                membership_put("erin", "admin", "2025-01-01T00:00:00.000Z"),
                ADD_TWO,
            ]
        ],
    )


def test_tx_w1_element_key_rewrites_re_derive_the_keys() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "put":
            ctx.input["item.userId"] = ctx.input["item.userId"].upper()

    rt.use(middleware({"W1": w1}))
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert_exact(
        sent_items(client),
        [[membership_put("CAROL", "member"), membership_put("ERIN", "admin"), ADD_TWO]],
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("item.role", 5), ("joinedAt", 5), ("groupId", ["eng"]), ("item.userId", {"x": 1})],
)
def test_tx_w1_rewrites_are_re_validated(name: str, value: Any) -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input[name] = value

    rt.use(middleware({"W1": w1}))
    with pytest.raises(ParameterValidationError):
        rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert client.calls == []


def test_tx_w1_changes_mapping_adds_set_entries_to_an_update() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "update" and ctx.input["item.userId"] == "carol":
            ctx.input["changes"] = {"name": "Eng"}

    rt.use(middleware({"W1": w1}))
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    merged = {
        "Update": {
            "TableName": TABLE,
            "Key": GROUP_META,
            "UpdateExpression": "SET #c0 = :c0 ADD #a0 :a0",
            "ExpressionAttributeNames": {"#c0": "name", "#a0": "memberCount"},
            "ExpressionAttributeValues": {":c0": {"S": "Eng"}, ":a0": {"N": "2"}},
        }
    }
    assert_exact(sent_items(client), [[*ADD_MEMBERS_ITEMS[:2], merged]])


def test_tx_a_declared_changes_param_is_a_param_not_extra_sets() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W1",))
    rt.use(spy.tree)
    rt.use(middleware({"W1": lambda ctx: ctx.input.update(changes="Platform")}))
    rt.execute_transaction("renameGroup", {"groupId": "eng", "changes": "Core"})
    assert spy.ctxs("W1")[0].input == {"groupId": "eng", "changes": "Platform"}
    assert_exact(
        sent_items(client),
        [
            [
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": GROUP_META,
                        "UpdateExpression": "SET #c0 = :c0",
                        "ExpressionAttributeNames": {"#c0": "name"},
                        "ExpressionAttributeValues": {":c0": {"S": "Platform"}},
                    }
                }
            ]
        ],
    )
    rt.use(middleware({"W1": lambda ctx: ctx.input.update(changes={"name": "X"})}))
    with pytest.raises(ParameterValidationError):  # re-validated as the string param
        rt.execute_transaction("renameGroup", {"groupId": "eng", "changes": "Core"})


def test_tx_kind_rewrite_put_to_delete_uses_the_derived_key() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W1": _rewrite("delete")}))
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    delete = {
        "Delete": {
            "TableName": TABLE,
            "Key": {"PK": {"S": "GROUP#ghost"}, "SK": {"S": "USER#frank"}},
        }
    }
    assert_exact(sent_items(client), [[GHOST_CHECK, delete]])


def test_tx_kind_rewrite_put_to_update_sets_the_record_and_re_derives_gsis() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W1": _rewrite("update")}))
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    update = {
        "Update": {
            "TableName": TABLE,
            "Key": {"PK": {"S": "GROUP#ghost"}, "SK": {"S": "USER#frank"}},
            "UpdateExpression": (
                "SET #c0 = :c0, #c1 = :c1, #c2 = :c2, #c3 = :c3, #gsi0pk = :gsi0pk, "
                "#gsi0sk = :gsi0sk"
            ),
            "ExpressionAttributeNames": {
                "#c0": "groupId",
                "#c1": "userId",
                "#c2": "role",
                "#c3": "joinedAt",
                "#gsi0pk": "GSI1PK",
                "#gsi0sk": "GSI1SK",
            },
            "ExpressionAttributeValues": {
                ":c0": {"S": "ghost"},
                ":c1": {"S": "frank"},
                ":c2": {"S": "member"},
                ":c3": {"S": "2024-05-02T00:00:00.000Z"},
                ":gsi0pk": {"S": "USER#frank"},
                ":gsi0sk": {"S": "GROUP#ghost"},
            },
        }
    }
    assert_exact(sent_items(client), [[GHOST_CHECK, update]])


def test_tx_kind_rewrites_delete_to_update_and_update_to_delete() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "delete":
            ctx.kind = "update"
            ctx.input["changes"] = {"deletedAt": "2024-07-01T00:00:00.000Z"}
        else:
            ctx.kind = "delete"

    rt.use(middleware({"W1": w1}))
    rt.execute_transaction("retireMember", RETIRE)
    soft = {
        "Update": {
            "TableName": TABLE,
            "Key": BOB_KEY,
            "UpdateExpression": "SET #c0 = :c0",
            "ExpressionAttributeNames": {"#c0": "deletedAt"},
            "ExpressionAttributeValues": {":c0": {"S": "2024-07-01T00:00:00.000Z"}},
        }
    }
    assert_exact(
        sent_items(client),
        [[RETIRE_ITEMS[0], soft, {"Delete": {"TableName": TABLE, "Key": GROUP_META}}]],
    )


def test_tx_nothing_can_be_rewritten_into_a_put() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W1": _rewrite("put")}))
    with pytest.raises(GraphDDBError, match="W1 cannot rewrite a delete into a put"):
        rt.execute_transaction("retireMember", RETIRE)
    assert client.calls == []


def test_tx_collapse_runs_again_after_rewrites() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "put":
            # both Puts now write one row, with identical content: they collapse to one
            ctx.input.update({"item.userId": "carol", "item.role": "member"})

    rt.use(middleware({"W1": w1}))
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert_exact(sent_items(client), [[membership_put("carol", "member"), ADD_TWO]])


def test_tx_rewrites_that_make_two_different_puts_of_one_row_raise_before_the_call() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "put":
            ctx.input["item.userId"] = "carol"  # erin's Put (role admin) now writes carol's row

    rt.use(middleware({"W1": w1}))
    with pytest.raises(TransactionCollapseError) as info:
        rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert str(info.value) == (
        "addMembers: 2 Puts on the same row with different content: items[0] (element 0) and "
        "items[0] (element 2) (table 'app-prod', key PK='GROUP#eng', SK='USER#carol'); "
        "attribute 'role' differs (S 'member' vs S 'admin')"
    )
    assert info.value.items == ((0, 0), (0, 2))
    assert client.calls == []


def test_tx_a_collapse_error_after_rewrites_is_raised_before_the_call() -> None:
    client = fake_client()
    rt = runtime(client)
    seen = [0]

    def w1(ctx: Any) -> None:
        if ctx.kind == "update" and not seen[0]:
            seen[0] = 1
            ctx.kind = "delete"  # Delete + Update of GROUP#eng/META cannot collapse

    rt.use(middleware({"W1": w1}))
    with pytest.raises(TransactionCollapseError):
        rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert client.calls == []


def test_tx_pre_flight_runs_again_after_rewrites() -> None:
    client = fake_client()
    rt = runtime(client, limits=RuntimeLimits(max_transaction_bytes=2000))
    rt.execute_transaction("addMemberIfGroupExists", JOIN)  # fits without hooks
    rt.use(middleware({"W1": lambda ctx: ctx.input.update(role="x" * 5000)}))
    with pytest.raises(LimitExceededError, match="max_transaction_bytes 2000"):
        rt.execute_transaction("addMemberIfGroupExists", JOIN)
    assert client.methods == ["transact_write_items"]


def test_tx_w3_runs_once_with_all_items_and_one_origin_per_logical_op() -> None:
    rt = runtime(fake_client())
    spy = Spy(("W1", "W3"))
    rt.use(spy.tree)
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    first, second = spy.ctxs("W3")
    assert spy.labels == ["W1"] * 4 + ["W3", "W1", "W3"]
    assert_exact(first.items, ADD_MEMBERS_ITEMS)
    membership = {"model": spy.ctxs("W1")[0].model, "kind": "put"}
    group = {"model": spy.ctxs("W1")[2].model, "kind": "update"}
    assert first.origins == (membership, membership, group, group)
    assert_exact(second.items, JOIN_ITEMS)
    assert second.origins == (membership,)
    assert first.transaction is spy.ctxs("W1")[0].transaction


def test_tx_w3_mutations_are_honoured() -> None:
    client = fake_client()
    rt = runtime(client)
    extra = {"ConditionCheck": RETIRE_ITEMS[0]["ConditionCheck"]}

    def w3(ctx: Any) -> None:
        ctx.items[0]["Put"]["Item"]["source"] = {"S": "w3"}
        ctx.items.append(extra)

    rt.use(middleware({"W3": w3}))
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    carol = membership_put("carol", "member")
    carol["Put"]["Item"]["source"] = {"S": "w3"}
    assert_exact(sent_items(client), [[carol, ADD_MEMBERS_ITEMS[1], ADD_TWO, extra]])


def test_tx_send_failures_go_to_w5_persist_then_w4_then_w2() -> None:
    client = fake_client()
    client.fail_on("transact_write_items", client_error("TransactionCanceledException"))
    rt = runtime(client)
    spy = Spy(("W4", "W2", "W5"), W5p=lambda ctx, err: {"recovered": True})
    rt.use(spy.tree)
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert spy.labels == ["W5p", "W4"] + ["W2"] * 4
    assert isinstance(spy.args("W5p")[0][0], TransactionCanceledError)
    assert spy.args("W4") == [({"recovered": True},)]


def _cancelled(*codes: str) -> ClientError:
    response: Any = {
        "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
        "CancellationReasons": [{"Code": code} for code in codes],
    }
    return ClientError(response, "TransactWriteItems")


def test_tx_cancellation_reasons_map_back_to_spec_items_with_hooks() -> None:
    client = fake_client()
    client.fail_on("transact_write_items", _cancelled("ConditionalCheckFailed", "None"))
    rt = runtime(client)
    rt.use(trace("x", []))
    with pytest.raises(TransactionCanceledError) as info:
        rt.execute_transaction("addMemberIfGroupExists", JOIN)
    assert [(r.index, r.spec_item, r.element, r.code) for r in info.value.reasons] == [
        (0, 0, None, "ConditionalCheckFailed"),
        (1, 1, None, "None"),
    ]


def test_tx_cancellation_reasons_have_no_spec_item_when_w3_changed_the_item_count() -> None:
    """Section 13.3: ``spec_item`` is ``None`` if W3 changed the number of items."""
    client = fake_client()
    client.fail_on("transact_write_items", _cancelled("None", "None", "ConditionalCheckFailed"))
    rt = runtime(client)
    rt.use(middleware({"W3": lambda ctx: ctx.items.append(RETIRE_ITEMS[0])}))
    with pytest.raises(TransactionCanceledError) as info:
        rt.execute_transaction("addMemberIfGroupExists", JOIN)
    assert [(r.index, r.spec_item, r.code) for r in info.value.reasons] == [
        (0, None, "None"),
        (1, None, "None"),
        (2, None, "ConditionalCheckFailed"),
    ]


def test_tx_w4_receives_the_response_and_w2_runs_per_logical_op_with_an_empty_change() -> None:
    client = fake_client()
    client.replies["transact_write_items"] = {"ConsumedCapacity": []}
    rt = runtime(client)
    spy = Spy(("W1", "W4", "W2"))
    rt.use(spy.tree)
    rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert spy.args("W4") == [({"ConsumedCapacity": []},)]
    assert spy.args("W2") == [({},)] * 4
    assert {id(c) for c in spy.ctxs("W2")} == {id(c) for c in spy.ctxs("W1")}


def test_tx_unrecovered_send_failures_propagate_without_w5_logical() -> None:
    client = fake_client()
    client.fail_on("transact_write_items", client_error("TransactionCanceledException"))
    rt = runtime(client)
    spy = Spy(("W5p", "W5", "W4", "W2"))
    rt.use(spy.tree)
    with pytest.raises(TransactionCanceledError) as info:
        rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert spy.labels == ["W5p"]
    assert spy.args("W5p") == [(info.value,)]


def test_tx_w2_exceptions_propagate_without_w5_logical() -> None:
    client = fake_client()
    rt = runtime(client)
    error = Boom("W2")

    def w2(ctx: Any, change: Any) -> None:
        raise error

    spy = Spy(("W5", "W5p"))
    rt.use(middleware({"W2": w2}))
    rt.use(spy.tree)
    with pytest.raises(Boom) as info:
        rt.execute_transaction("addMembers", ADD_MEMBERS)
    assert info.value is error
    assert spy.labels == []
    assert client.methods == ["transact_write_items"]


def test_tx_no_return_values_are_added_for_w2_hooks() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W2": lambda ctx, change: None}))
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    assert_exact(client.requests("transact_write_items"), [{"TransactItems": JOIN_ITEMS}])


def test_tx_contract_batch_transactions_run_the_transaction_hooks() -> None:
    client = fake_client()
    rt = runtime(client, CONTRACTS_SPEC)
    spy = Spy(("W1", "W3"))
    rt.use(spy.tree)
    rt.execute_command_method(
        "UserCommands", "disable", [{"userId": "alice"}, {"userId": "bob"}], {"status": "disabled"}
    )
    assert [c.kind for c in spy.ctxs("W1")] == ["update", "update"]
    assert len(spy.ctxs("W3")) == 1
    assert client.methods == ["transact_write_items"]
