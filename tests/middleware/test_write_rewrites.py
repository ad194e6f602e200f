"""Write hooks: validation outside the hooks, W1 rewrites and kind rewrites (section 39)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from graphddb_runtime import (
    CommandNotFoundError,
    GraphDDBError,
    ParameterValidationError,
)

from .._golden import CREATE_USER
from ._support import (
    BOB_KEY,
    COMMANDS,
    ORDER,
    ORDER_KEY,
    PLACE_ORDER,
    RAISE,
    REMOVE,
    REMOVE_MEMBER,
    SET_STATUS,
    STATUS,
    TABLE,
    USER,
    Hook,
    Spy,
    _rewrite,
    assert_exact,
    fake_client,
    middleware,
    runtime,
    trace,
)

# ==================================================================================================
# Section 39: single-op write hooks
# ==================================================================================================


@pytest.mark.parametrize(
    ("command", "params", "error"),
    [
        ("nope", USER, CommandNotFoundError),
        ("createUser", {**USER, "userId": 5}, ParameterValidationError),
        ("createUser", {"userId": "u1"}, ParameterValidationError),
        ("setOrderStatus", {"orderId": "o1"}, ParameterValidationError),
        ("removeMember", {"groupId": "eng", "userId": ["bob"]}, ParameterValidationError),
    ],
)
def test_write_validation_runs_outside_the_hooks(
    command: str, params: dict[str, Any], error: type[Exception]
) -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []
    rt.use(trace("A", log))
    with pytest.raises(error):
        rt.execute_command(command, params)
    assert log == [] and client.calls == []


@pytest.mark.parametrize(
    "options",
    [{"returnValues": "ALL_NEW"}, {"returnValues": "NONE"}, {"numbers": "x"}, {"context": 1}, 5],
)
def test_write_option_errors_run_outside_the_hooks(options: Any) -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []
    rt.use(trace("A", log))
    with pytest.raises(ParameterValidationError):
        rt.execute_command("createUser", USER, options)
    assert log == [] and client.calls == []


def test_write_input_shapes_per_kind() -> None:
    rt = runtime(fake_client())
    spy = Spy(("W1",))
    rt.use(spy.tree)
    for command, params, _, _ in COMMANDS:
        rt.execute_command(command, params)
    put, update, delete = spy.ctxs("W1")
    assert put.input == {"params": USER, "item": USER}
    assert update.input == {"params": STATUS, "key": STATUS, "changes": {}}
    assert delete.input == {"params": REMOVE, "key": REMOVE}
    for ctx, params, other in (
        (put, USER, "item"),
        (update, STATUS, "key"),
        (delete, REMOVE, "key"),
    ):
        assert ctx.input["params"] is not params and ctx.input[other] is not params
        assert ctx.input["params"] is not ctx.input[other]


def test_w1_mutations_never_touch_the_caller_params() -> None:
    rt = runtime(fake_client())
    params = dict(USER)

    def w1(ctx: Any) -> None:
        ctx.input["params"]["name"] = "Changed"
        ctx.input["item"]["name"] = "Changed"
        ctx.input["item"]["injected"] = 1

    rt.use(middleware({"W1": w1}))
    rt.execute_command("createUser", params)
    assert params == USER


def test_w1_put_rewrites_of_declared_params_are_re_derived() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["item"]["email"] = "bea@example.com"
        ctx.input["params"]["name"] = "from params"
        ctx.input["item"]["name"] = "Bea"  # input["item"] wins over input["params"]
        ctx.input["params"]["createdAt"] = "2025-01-01T00:00:00.000Z"

    rt.use(middleware({"W1": w1}))
    rt.execute_command("createUser", USER)
    expected = copy.deepcopy(CREATE_USER)
    expected["Item"].update(
        name={"S": "Bea"},
        email={"S": "bea@example.com"},
        GSI1PK={"S": "EMAIL#bea@example.com"},
    )
    # createdAt is still {createdAt} from input["item"], which overrides input["params"]
    assert_exact(client.requests("put_item"), [expected])


def test_w1_params_rewrite_applies_when_no_item_entry_overrides_it() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        del ctx.input["item"]["createdAt"]
        ctx.input["params"]["createdAt"] = "2025-01-01T00:00:00.000Z"

    rt.use(middleware({"W1": w1}))
    rt.execute_command("createUser", USER)
    expected = copy.deepcopy(CREATE_USER)
    expected["Item"]["createdAt"] = {"S": "2025-01-01T00:00:00.000Z"}
    assert_exact(client.requests("put_item"), [expected])


def test_w1_update_and_delete_key_rewrites_are_re_derived() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        if ctx.kind == "update":
            ctx.input["key"]["orderId"] = "o2"
            ctx.input["key"]["tenantId"] = "t2"
        else:
            ctx.input["params"]["userId"] = "carol"  # overridden by input["key"]
            ctx.input["key"]["groupId"] = "ops"

    rt.use(middleware({"W1": w1}))
    rt.execute_command("setOrderStatus", STATUS)
    rt.execute_command("removeMember", REMOVE)
    expected = copy.deepcopy(SET_STATUS)
    expected["Key"] = {"PK": {"S": "ORDER#o2"}, "SK": {"S": "META"}}
    expected["ExpressionAttributeValues"].update(
        {":gsi0pk": {"S": "TENANT#t2#STATUS#SHIPPED"}, ":gsi0sk": {"S": "ORDER#o2"}}
    )
    assert_exact(client.requests("update_item"), [expected])
    assert_exact(
        client.requests("delete_item"),
        [{"TableName": TABLE, "Key": {"PK": {"S": "GROUP#ops"}, "SK": {"S": "USER#bob"}}}],
    )


def _set_in(part: str, name: str, value: Any) -> Hook:
    def w1(ctx: Any) -> None:
        if value is _DELETE:
            ctx.input["params"].pop(name, None)
            ctx.input[part].pop(name, None)
        else:
            ctx.input[part][name] = value

    return w1


_DELETE = object()


@pytest.mark.parametrize(
    ("command", "params", "w1"),
    [
        ("createUser", USER, _set_in("item", "userId", 5)),
        ("createUser", USER, _set_in("item", "email", None)),
        ("createUser", USER, _set_in("item", "name", _DELETE)),
        ("createUser", USER, _set_in("item", "name", ["not", "a", "string"])),
        ("setOrderStatus", STATUS, _set_in("key", "status", 7)),
        ("setOrderStatus", STATUS, _set_in("key", "orderId", _DELETE)),
        ("removeMember", REMOVE, _set_in("key", "groupId", {"S": "eng"})),
    ],
)
def test_w1_rewrites_are_re_validated(command: str, params: dict[str, Any], w1: Hook) -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W3", "W5"))
    rt.use(middleware({"W1": w1}))
    rt.use(spy.tree)
    with pytest.raises(ParameterValidationError) as info:
        rt.execute_command(command, params)
    assert spy.labels == ["W5"] and spy.args("W5") == [(info.value,)]
    assert client.calls == []


def test_w1_item_template_fields_replace_the_record_before_key_derivation() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["item"]["status"] = "SHIPPED"  # a literal template field, not a param

    rt.use(middleware({"W1": w1}))
    rt.execute_command("placeOrder", ORDER)
    expected = copy.deepcopy(PLACE_ORDER)
    expected["Item"]["status"] = {"S": "SHIPPED"}
    expected["Item"]["GSI1PK"] = {"S": "TENANT#t1#STATUS#SHIPPED"}
    assert_exact(client.requests("put_item"), [expected])


def test_w1_extra_put_attributes_are_typed_and_follow_the_derived_keys() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["item"].update(
            tags=["a", "b"],
            score=Decimal("1.5"),
            ratio=0.25,
            active=True,
            meta={"k": 1},
            nothing=None,
        )

    rt.use(middleware({"W1": w1}))
    rt.execute_command("createUser", USER)
    expected = copy.deepcopy(CREATE_USER)
    expected["Item"].update(
        tags={"L": [{"S": "a"}, {"S": "b"}]},
        score={"N": "1.5"},
        ratio={"N": "0.25"},
        active={"BOOL": True},
        meta={"M": {"k": {"N": "1"}}},
        nothing={"NULL": True},
    )
    assert_exact(client.requests("put_item"), [expected])


def test_undeclared_key_names_are_ignored() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["key"].update(bogus="x", PK="USER#evil")

    rt.use(middleware({"W1": w1}))
    rt.execute_command("setOrderStatus", STATUS)
    rt.execute_command("removeMember", REMOVE)
    assert_exact(client.requests("update_item"), [SET_STATUS])
    assert_exact(client.requests("delete_item"), [REMOVE_MEMBER])


def test_w1_changes_add_typed_set_entries_after_the_spec_changes() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["changes"] = {"note": "rush", "priority": 2, "flags": ["a"]}

    rt.use(middleware({"W1": w1}))
    rt.execute_command("setOrderStatus", STATUS)
    assert_exact(
        client.requests("update_item"),
        [
            {
                "TableName": TABLE,
                "Key": ORDER_KEY,
                "UpdateExpression": (
                    "SET #c0 = :c0, #c1 = :c1, #c2 = :c2, #c3 = :c3, "
                    "#gsi0pk = :gsi0pk, #gsi0sk = :gsi0sk"
                ),
                "ExpressionAttributeNames": {
                    "#c0": "status",
                    "#c1": "note",
                    "#c2": "priority",
                    "#c3": "flags",
                    "#gsi0pk": "GSI1PK",
                    "#gsi0sk": "GSI1SK",
                },
                "ExpressionAttributeValues": {
                    ":c0": {"S": "SHIPPED"},
                    ":c1": {"S": "rush"},
                    ":c2": {"N": "2"},
                    ":c3": {"L": [{"S": "a"}]},
                    ":gsi0pk": {"S": "TENANT#t1#STATUS#SHIPPED"},
                    ":gsi0sk": {"S": "ORDER#o1"},
                },
            }
        ],
    )


def test_w1_changes_of_an_existing_field_keep_its_position_and_re_derive_gsis() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["changes"] = {"status": "HELD"}

    rt.use(middleware({"W1": w1}))
    rt.execute_command("setOrderStatus", STATUS)
    expected = copy.deepcopy(SET_STATUS)
    expected["ExpressionAttributeValues"].update(
        {":c0": {"S": "HELD"}, ":gsi0pk": {"S": "TENANT#t1#STATUS#HELD"}}
    )
    assert_exact(client.requests("update_item"), [expected])


def test_w1_changes_that_touch_a_gsi_dependency_re_derive_it_with_the_condition_after() -> None:
    client = fake_client()
    rt = runtime(client)

    def w1(ctx: Any) -> None:
        ctx.input["changes"] = {"status": "X", "tenantId": "t9"}

    rt.use(middleware({"W1": w1}))
    rt.execute_command("raiseOrderTotal", RAISE)
    assert_exact(
        client.requests("update_item"),
        [
            {
                "TableName": TABLE,
                "Key": ORDER_KEY,
                "UpdateExpression": (
                    "SET #c0 = :c0, #c1 = :c1, #c2 = :c2, #gsi0pk = :gsi0pk, #gsi0sk = :gsi0sk"
                ),
                "ExpressionAttributeNames": {
                    "#c0": "total",
                    "#c1": "status",
                    "#c2": "tenantId",
                    "#gsi0pk": "GSI1PK",
                    "#gsi0sk": "GSI1SK",
                    "#f0": "status",
                    "#f1": "total",
                },
                "ExpressionAttributeValues": {
                    ":c0": {"N": "120"},
                    ":c1": {"S": "X"},
                    ":c2": {"S": "t9"},
                    ":gsi0pk": {"S": "TENANT#t9#STATUS#X"},
                    ":gsi0sk": {"S": "ORDER#o1"},
                    ":vf0": {"S": "CANCELLED"},
                    ":vf1": {"N": "120"},
                },
                "ConditionExpression": "(#f0 <> :vf0 AND #f1 < :vf1)",
            }
        ],
    )


def test_w1_changes_that_leave_a_gsi_dependency_unbound_raise_before_the_call() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W1": lambda ctx: ctx.input.update(changes={"status": "X"})}))
    with pytest.raises(ParameterValidationError, match="also depends on 'tenantId'"):
        rt.execute_command("raiseOrderTotal", RAISE)
    assert client.calls == []


def test_gsi_dependencies_are_checked_on_the_effective_params_after_w1() -> None:
    """The GSI check of section 10.3 runs on the re-derived request, so W1 may supply a
    missing dependency; without it the error is raised inside the hooks (W5 sees it)."""
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W5",))
    rt.use(spy.tree)
    without_tenant = {"orderId": "o1", "status": "SHIPPED"}
    with pytest.raises(ParameterValidationError, match="also depends on 'tenantId'") as info:
        rt.execute_command("setOrderStatus", without_tenant)
    assert spy.args("W5") == [(info.value,)]
    assert client.calls == []
    rt.use(middleware({"W1": lambda ctx: ctx.input["key"].update(tenantId="t1")}))
    rt.execute_command("setOrderStatus", without_tenant)
    assert_exact(client.requests("update_item"), [SET_STATUS])


def test_delete_to_update_is_a_soft_delete_on_the_original_key() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W3",))
    rt.use(middleware({"W1": _rewrite("update", {"deletedAt": "2024-07-01T00:00:00.000Z"})}))
    rt.use(spy.tree)
    assert rt.execute_command("removeMember", REMOVE) is None
    expected = {
        "TableName": TABLE,
        "Key": BOB_KEY,
        "UpdateExpression": "SET #c0 = :c0",
        "ExpressionAttributeNames": {"#c0": "deletedAt"},
        "ExpressionAttributeValues": {":c0": {"S": "2024-07-01T00:00:00.000Z"}},
    }
    assert_exact(client.calls, [("update_item", expected)])
    (persist,) = spy.ctxs("W3")
    assert persist.items == [{"Update": expected}]
    assert persist.origins[0]["kind"] == "update"


def test_put_to_update_sets_every_non_key_field_plus_changes_on_the_derived_key() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W3",))
    rt.use(middleware({"W1": _rewrite("update", {"visits": 1})}))
    rt.use(spy.tree)
    rt.execute_command("createUser", USER)
    expected = {
        "TableName": TABLE,
        "Key": {"PK": {"S": "USER#u1"}, "SK": {"S": "PROFILE"}},
        "UpdateExpression": (
            "SET #c0 = :c0, #c1 = :c1, #c2 = :c2, #c3 = :c3, #c4 = :c4, #c5 = :c5, "
            "#gsi0pk = :gsi0pk, #gsi0sk = :gsi0sk"
        ),
        "ExpressionAttributeNames": {
            "#c0": "userId",
            "#c1": "name",
            "#c2": "email",
            "#c3": "status",
            "#c4": "createdAt",
            "#c5": "visits",
            "#gsi0pk": "GSI1PK",
            "#gsi0sk": "GSI1SK",
            "#pk": "PK",
        },
        "ExpressionAttributeValues": {
            ":c0": {"S": "u1"},
            ":c1": {"S": "Ada"},
            ":c2": {"S": "ada@example.com"},
            ":c3": {"S": "active"},
            ":c4": {"S": "2024-01-02T03:04:05.000Z"},
            ":c5": {"N": "1"},
            ":gsi0pk": {"S": "EMAIL#ada@example.com"},
            ":gsi0sk": {"S": "PROFILE"},
        },
        "ConditionExpression": "attribute_not_exists(#pk)",  # the spec condition is kept
    }
    assert_exact(client.calls, [("update_item", expected)])
    assert spy.ctxs("W3")[0].origins[0]["kind"] == "update"


def test_update_to_delete_uses_the_original_key_and_keeps_the_condition() -> None:
    client = fake_client()
    rt = runtime(client)
    rt.use(middleware({"W1": _rewrite("delete")}))
    rt.execute_command("raiseOrderTotal", RAISE)
    assert_exact(
        client.calls,
        [
            (
                "delete_item",
                {
                    "TableName": TABLE,
                    "Key": ORDER_KEY,
                    "ExpressionAttributeNames": {"#f0": "status", "#f1": "total"},
                    "ExpressionAttributeValues": {
                        ":vf0": {"S": "CANCELLED"},
                        ":vf1": {"N": "120"},
                    },
                    "ConditionExpression": "(#f0 <> :vf0 AND #f1 < :vf1)",
                },
            )
        ],
    )


def test_put_to_delete_uses_the_key_derived_from_the_item_record() -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W3",))
    rt.use(middleware({"W1": _rewrite("delete")}))
    rt.use(spy.tree)
    rt.execute_command("placeOrder", ORDER)
    assert_exact(client.calls, [("delete_item", {"TableName": TABLE, "Key": ORDER_KEY})])
    assert spy.ctxs("W3")[0].items == [{"Delete": {"TableName": TABLE, "Key": ORDER_KEY}}]
    assert spy.ctxs("W3")[0].origins[0]["kind"] == "delete"


@pytest.mark.parametrize(
    ("command", "params", "kind"),
    [("setOrderStatus", STATUS, "update"), ("removeMember", REMOVE, "delete")],
)
def test_nothing_can_be_rewritten_into_a_put(command: str, params: Any, kind: str) -> None:
    client = fake_client()
    rt = runtime(client)
    spy = Spy(("W5",))
    rt.use(middleware({"W1": _rewrite("put")}))
    rt.use(spy.tree)
    with pytest.raises(GraphDDBError) as info:
        rt.execute_command(command, params)
    assert str(info.value) == f"{command}: W1 cannot rewrite a {kind} into a put"
    assert spy.args("W5") == [(info.value,)]
    assert client.calls == []
