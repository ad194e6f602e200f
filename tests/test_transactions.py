"""Transactions: ``execute_transaction`` (docs/format.md sections 24 to 28, 13.3 and 43.6).

Every test drives the public entry point with a tiny recording client, so the exact
``transact_write_items`` kwargs are compared with ``==`` and, where the contract gives an order,
with dict key order too (``assert_exact`` checks both, recursively).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from graphddb_runtime import (
    CancellationReason,
    GraphDDBRuntime,
    LimitExceededError,
    OperationExecutionError,
    ParameterValidationError,
    RuntimeLimits,
    SpecError,
    TransactionCanceledError,
    TransactionCollapseError,
    TransactionNotFoundError,
    UnboundParameterError,
)
from graphddb_runtime.demo import example_spec

from ._fake_dynamo import FakeDynamo

TABLES = {"AppTable": "app-prod"}
JOINED = "2024-05-01T00:00:00.000Z"
S = {"type": "string", "required": True}
S_OPT = {"type": "string"}
N = {"type": "number", "required": True}
N_OPT = {"type": "number"}
B_OPT = {"type": "boolean"}
GROUP_KEY = {"PK": "GROUP#{groupId}", "SK": "META"}
GROUP_KEY_AV = {"PK": {"S": "GROUP#eng"}, "SK": {"S": "META"}}

EXTRA_ENTITIES: dict[str, Any] = {
    "PostUniqueModel": {
        "table": "AppTable",
        "key": {"pkTemplate": "POST#{postId}", "skTemplate": "META"},
        "fields": {
            "postId": {"type": "string"},
            "userId": {"type": "string"},
            "title": {"type": "string"},
        },
    },
    "GroupMirrorModel": {
        "table": "MirrorTable",
        "key": {"pkTemplate": "GROUP#{groupId}", "skTemplate": "META"},
        "fields": {"groupId": {"type": "string"}, "memberCount": {"type": "number"}},
    },
}


# --- fakes and helpers ------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _example() -> tuple[dict[str, Any], dict[str, Any]]:
    return example_spec()


def make(
    transactions: dict[str, Any] | None = None,
    *,
    limits: RuntimeLimits | None = None,
    mapping: dict[str, str] | None = None,
    error: BaseException | None = None,
    edit: Any = None,
) -> tuple[GraphDDBRuntime, FakeDynamo]:
    """A runtime on the worked example plus ``transactions`` (and the extra entities)."""
    manifest, operations = copy.deepcopy(_example())
    manifest["entities"].update(copy.deepcopy(EXTRA_ENTITIES))
    operations["transactions"].update(copy.deepcopy(transactions or {}))
    if edit is not None:
        edit(operations)
    client = FakeDynamo()  # no tables: TransactWriteItems is recorded, never applied
    if error is not None:
        client.fail_on("transact_write_items", error)
    runtime = GraphDDBRuntime(
        client, manifest, operations, table_mapping=mapping or TABLES, limits=limits
    )
    return runtime, client


def run(
    items: list[dict[str, Any]],
    params: dict[str, Any],
    param_specs: dict[str, Any],
    **kwargs: Any,
) -> tuple[Any, FakeDynamo]:
    """Run a one-off transaction ``t`` and return (result, client)."""
    runtime, client = make({"t": {"params": param_specs, "items": items}}, **kwargs)
    return call(runtime, "t", params), client


def call(runtime: GraphDDBRuntime, *args: Any, **kwargs: Any) -> object:
    """``execute_transaction`` with its return value kept (the contract says it is None)."""
    execute: Callable[..., object] = runtime.execute_transaction
    return execute(*args, **kwargs)


def first(client: FakeDynamo) -> dict[str, Any]:
    """The first TransactWriteItems request sent."""
    return client.requests("transact_write_items")[0]


def sent(client: FakeDynamo) -> list[dict[str, Any]]:
    """The TransactItems of the only call."""
    assert len(client.calls) == 1
    items: list[dict[str, Any]] = first(client)["TransactItems"]
    return items


def _order(actual: Any, expected: Any, path: str) -> None:
    if isinstance(expected, dict):
        assert list(actual) == list(expected), f"key order at {path}"
        for key in expected:
            _order(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _order(a, e, f"{path}[{i}]")


def assert_exact(actual: Any, expected: Any) -> None:
    """Equal values AND equal dict key order at every level."""
    assert actual == expected
    _order(actual, expected, "$")


def membership_put(group: str, user: str, role: str, joined: str = JOINED) -> dict[str, Any]:
    return {
        "TableName": "app-prod",
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
    }


def guarded(body: dict[str, Any]) -> dict[str, Any]:
    return {
        **body,
        "ExpressionAttributeNames": {"#pk": "PK"},
        "ConditionExpression": "attribute_not_exists(#pk)",
    }


def add_members_params(members: list[dict[str, Any]]) -> dict[str, Any]:
    return {"groupId": "eng", "joinedAt": JOINED, "members": members}


def members(n: int) -> list[dict[str, Any]]:
    return [{"userId": f"u{i:03d}", "role": "member"} for i in range(n)]


def cancel_error(
    reasons: list[dict[str, Any]] | None, message: str, request_id: str | None = None
) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": "TransactionCanceledException", "Message": message}
    }
    if reasons is not None:
        response["CancellationReasons"] = reasons
    if request_id is not None:
        response["ResponseMetadata"] = {"RequestId": request_id}
    return ClientError(response, "TransactWriteItems")


CANCEL_MESSAGE = (
    "Transaction cancelled, please refer cancellation reasons for specific reasons "
    "[ConditionalCheckFailed, None]"
)
GHOST = {
    "groupId": "ghost",
    "userId": "frank",
    "role": "member",
    "joinedAt": "2024-05-02T00:00:00.000Z",
}


# spec-item builders on the GroupModel row GROUP#{groupId}/META


def g_update(**fields: Any) -> dict[str, Any]:
    return {
        "type": "Update",
        "tableName": "AppTable",
        "entity": "GroupModel",
        "keyCondition": dict(GROUP_KEY),
        **fields,
    }


def g_put(name: str = "{name}") -> dict[str, Any]:
    return {
        "type": "Put",
        "tableName": "AppTable",
        "entity": "GroupModel",
        "item": {"groupId": "{groupId}", "name": name},
    }


def g_delete(**fields: Any) -> dict[str, Any]:
    return {
        "type": "Delete",
        "tableName": "AppTable",
        "entity": "GroupModel",
        "keyCondition": dict(GROUP_KEY),
        **fields,
    }


def g_check() -> dict[str, Any]:
    return {
        "type": "ConditionCheck",
        "tableName": "AppTable",
        "entity": "GroupModel",
        "keyCondition": dict(GROUP_KEY),
        "condition": {"kind": "attributeExists", "field": "PK"},
    }


M_PUT = {
    "type": "Put",
    "tableName": "AppTable",
    "entity": "GroupMembershipModel",
    "item": {"groupId": "{groupId}", "userId": "u1", "role": "member", "joinedAt": JOINED},
}
G_PARAMS = {"groupId": S, "name": S_OPT}
G_ARGS = {"groupId": "eng", "name": "Eng"}


# --- section 43.6 worked examples -------------------------------------------------------------


EXAMPLE_ADD_MEMBERS = {
    "TransactItems": [
        {"Put": guarded(membership_put("eng", "carol", "member"))},
        {"Put": guarded(membership_put("eng", "erin", "admin"))},
        {
            "Update": {
                "TableName": "app-prod",
                "Key": {"PK": {"S": "GROUP#eng"}, "SK": {"S": "META"}},
                "UpdateExpression": "ADD #a0 :a0",
                "ExpressionAttributeNames": {"#a0": "memberCount"},
                "ExpressionAttributeValues": {":a0": {"N": "2"}},
            }
        },
    ]
}

CAROL_DAN_ERIN = [
    {"userId": "carol", "role": "member"},
    {"userId": "dan", "role": ""},
    {"userId": "erin", "role": "admin"},
]


def test_add_members_worked_example_exact() -> None:
    runtime, client = make()
    result = call(runtime, "addMembers", add_members_params(CAROL_DAN_ERIN))
    assert result is None
    assert len(client.calls) == 1
    assert_exact(first(client), EXAMPLE_ADD_MEMBERS)
    assert list(first(client)) == ["TransactItems"]
    put_body = first(client)["TransactItems"][0]["Put"]
    assert list(put_body) == [
        "TableName",
        "Item",
        "ExpressionAttributeNames",
        "ConditionExpression",
    ]
    update_body = first(client)["TransactItems"][2]["Update"]
    assert list(update_body) == [
        "TableName",
        "Key",
        "UpdateExpression",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
    ]


def test_condition_check_worked_example_exact_with_token() -> None:
    runtime, client = make()
    result = call(runtime, "addMemberIfGroupExists", dict(GHOST), {"idempotencyToken": "req-7f3a"})
    assert result is None
    expected = {
        "TransactItems": [
            {
                "ConditionCheck": {
                    "TableName": "app-prod",
                    "Key": {"PK": {"S": "GROUP#ghost"}, "SK": {"S": "META"}},
                    "ExpressionAttributeNames": {"#ce": "PK"},
                    "ConditionExpression": "attribute_exists(#ce)",
                }
            },
            {"Put": membership_put("ghost", "frank", "member", "2024-05-02T00:00:00.000Z")},
        ],
        "ClientRequestToken": "req-7f3a",
    }
    assert len(client.calls) == 1
    assert_exact(first(client), expected)


def test_condition_check_worked_example_cancellation_reasons() -> None:
    error = cancel_error(
        [
            {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
            {"Code": "None"},
        ],
        CANCEL_MESSAGE,
        request_id="RID-1",
    )
    runtime, client = make(error=error)
    with pytest.raises(TransactionCanceledError) as caught:
        runtime.execute_transaction(
            "addMemberIfGroupExists", dict(GHOST), {"idempotencyToken": "req-7f3a"}
        )
    exc = caught.value
    assert len(client.calls) == 1
    assert isinstance(exc, OperationExecutionError)
    assert exc.code == "TransactionCanceledException"
    assert exc.operation_id == "addMemberIfGroupExists"
    assert exc.request_id == "RID-1"
    assert exc.original is error
    assert exc.__cause__ is error
    assert str(exc) == f"addMemberIfGroupExists: DynamoDB operation failed: {error}"
    assert exc.reasons == (
        CancellationReason(
            index=0,
            spec_item=0,
            element=None,
            code="ConditionalCheckFailed",
            message="The conditional request failed",
        ),
        CancellationReason(index=1, spec_item=1, element=None, code="None", message=None),
    )


@pytest.mark.parametrize(
    "member_list",
    [[], [{"userId": "dan", "role": ""}, {"userId": "eve", "role": ""}]],
    ids=["no-members", "all-filtered-by-when"],
)
def test_add_members_zero_items_makes_no_call(member_list: list[dict[str, Any]]) -> None:
    runtime, client = make()
    assert call(runtime, "addMembers", add_members_params(member_list)) is None
    assert client.calls == []


def test_thirty_members_give_31_items_within_max_items_50() -> None:
    runtime, client = make()
    runtime.execute_transaction("addMembers", add_members_params(members(30)))
    items = sent(client)
    assert len(items) == 31
    assert [next(iter(entry)) for entry in items] == ["Put"] * 30 + ["Update"]
    assert [entry["Put"]["Item"]["userId"]["S"] for entry in items[:30]] == [
        f"u{i:03d}" for i in range(30)
    ]
    assert items[30]["Update"]["ExpressionAttributeValues"] == {":a0": {"N": "30"}}


def _set_max_items(value: int | None) -> Any:
    def edit(operations: dict[str, Any]) -> None:
        if value is None:
            del operations["transactions"]["addMembers"]["maxItems"]
        else:
            operations["transactions"]["addMembers"]["maxItems"] = value

    return edit


def test_max_items_25_rejects_31_items_before_any_call() -> None:
    runtime, client = make(edit=_set_max_items(25))
    with pytest.raises(LimitExceededError) as caught:
        runtime.execute_transaction("addMembers", add_members_params(members(30)))
    assert str(caught.value) == (
        "addMembers: transaction expanded to 31 items, exceeds the TransactWriteItems limit of 25"
    )
    assert client.calls == []


def test_cap_applies_after_collapse() -> None:
    # 60 built items collapse to 31, exactly the cap
    runtime, client = make(edit=_set_max_items(31))
    runtime.execute_transaction("addMembers", add_members_params(members(30)))
    assert len(sent(client)) == 31


def test_without_max_items_runtime_limit_is_the_cap() -> None:
    limits = RuntimeLimits(max_transaction_items=3)
    runtime, client = make(edit=_set_max_items(None), limits=limits)
    runtime.execute_transaction("addMembers", add_members_params(members(2)))
    assert len(sent(client)) == 3
    with pytest.raises(LimitExceededError) as caught:
        runtime.execute_transaction("addMembers", add_members_params(members(3)))
    assert str(caught.value) == (
        "addMembers: transaction expanded to 4 items, exceeds the TransactWriteItems limit of 3"
    )
    assert len(client.calls) == 1


def test_without_max_items_default_cap_is_100() -> None:
    runtime, client = make(edit=_set_max_items(None))
    runtime.execute_transaction("addMembers", add_members_params(members(99)))
    assert len(sent(client)) == 100
    with pytest.raises(LimitExceededError, match=r"101 items, .* limit of 100$"):
        runtime.execute_transaction("addMembers", add_members_params(members(100)))
    assert len(client.calls) == 1


def test_max_items_is_used_instead_of_a_larger_runtime_limit() -> None:
    runtime, client = make(edit=_set_max_items(2), limits=RuntimeLimits(max_transaction_items=50))
    with pytest.raises(LimitExceededError, match=r"limit of 2$"):
        runtime.execute_transaction("addMembers", add_members_params(members(2)))
    assert client.calls == []


# --- forEach and when -------------------------------------------------------------------------


OPTIONAL_SOURCE_TX = {
    "params": {
        "groupId": S,
        "extras": {"type": "array", "element": {"userId": S}},
    },
    "items": [
        {
            "type": "Put",
            "tableName": "AppTable",
            "entity": "GroupMembershipModel",
            "forEach": {"source": "extras"},
            "item": {
                "groupId": "{groupId}",
                "userId": "{item.userId}",
                "role": "member",
                "joinedAt": JOINED,
            },
        },
        g_check(),
    ],
}


@pytest.mark.parametrize("extras", ["absent", None])
def test_optional_foreach_source_absent_or_none_expands_to_nothing(extras: Any) -> None:
    runtime, client = make({"opt": OPTIONAL_SOURCE_TX})
    params: dict[str, Any] = {"groupId": "eng"}
    if extras != "absent":
        params["extras"] = extras
    runtime.execute_transaction("opt", params)
    assert_exact(
        sent(client),
        [
            {
                "ConditionCheck": {
                    "TableName": "app-prod",
                    "Key": GROUP_KEY_AV,
                    "ExpressionAttributeNames": {"#ce": "PK"},
                    "ConditionExpression": "attribute_exists(#ce)",
                }
            }
        ],
    )


def test_optional_foreach_source_present_expands_per_element_tuple_ok() -> None:
    runtime, client = make({"opt": OPTIONAL_SOURCE_TX})
    runtime.execute_transaction(
        "opt", {"groupId": "eng", "extras": ({"userId": "a"}, {"userId": "b"})}
    )
    items = sent(client)
    assert [e["Put"]["Item"]["SK"] for e in items[:2]] == [{"S": "USER#a"}, {"S": "USER#b"}]
    assert "ConditionCheck" in items[2]


def _when_tx(left: str, op: str, right: str) -> dict[str, Any]:
    return {
        "params": {
            "groupId": S,
            "members": {
                "type": "array",
                "required": True,
                "element": {
                    "userId": S,
                    "active": B_OPT,
                    "weight": N_OPT,
                    "nickname": S_OPT,
                },
            },
        },
        "items": [
            {
                "type": "Put",
                "tableName": "AppTable",
                "entity": "GroupMembershipModel",
                "forEach": {"source": "members"},
                "when": {"left": left, "op": op, "right": right},
                "item": {
                    "groupId": "{groupId}",
                    "userId": "{item.userId}",
                    "role": "member",
                    "joinedAt": JOINED,
                },
            }
        ],
    }


WHEN_MEMBERS = [
    {"userId": "a", "active": True, "weight": 1.0},
    {"userId": "b", "active": False, "weight": 1.5},
    {"userId": "c", "active": True, "weight": Decimal("1.00")},
    {"userId": "d", "active": False, "weight": 1},
]


@pytest.mark.parametrize(
    ("left", "op", "right", "expected"),
    [
        ("{item.active}", "eq", "true", ["a", "c"]),
        ("{item.active}", "ne", "true", ["b", "d"]),
        ("{item.active}", "eq", "True", []),
        ("{item.weight}", "eq", "1", ["a", "c", "d"]),
        ("w={item.weight}", "eq", "w=1.5", ["b"]),
        ("{item.userId}-{item.active}", "eq", "d-false", ["d"]),
    ],
)
def test_when_uses_text_resolution(left: str, op: str, right: str, expected: list[str]) -> None:
    runtime, client = make({"w": _when_tx(left, op, right)})
    runtime.execute_transaction("w", {"groupId": "eng", "members": WHEN_MEMBERS})
    if not expected:
        assert client.calls == []
        return
    assert [e["Put"]["Item"]["userId"]["S"] for e in sent(client)] == expected


def test_when_without_foreach_uses_params() -> None:
    item = dict(M_PUT, when={"left": "{mode}", "op": "eq", "right": "on"})
    params = {"groupId": S, "mode": S}
    _, client = run([item], {"groupId": "eng", "mode": "off"}, params)
    assert client.calls == []
    _, client = run([item], {"groupId": "eng", "mode": "on"}, params)
    assert len(sent(client)) == 1


def test_when_unbound_placeholder_raises_before_any_call() -> None:
    runtime, client = make({"w": _when_tx("{item.nickname}", "ne", "")})
    params = {"groupId": "eng", "members": [{"userId": "a", "nickname": "A"}, {"userId": "b"}]}
    with pytest.raises(UnboundParameterError) as caught:
        runtime.execute_transaction("w", params)
    assert isinstance(caught.value, ParameterValidationError)
    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == (
        "w: template '{item.nickname}' references unbound parameter 'item.nickname'"
    )
    assert client.calls == []


def test_foreach_condition_param_marker_binds_element_field() -> None:
    item = {
        "type": "Put",
        "tableName": "AppTable",
        "entity": "GroupMembershipModel",
        "forEach": {"source": "members"},
        "item": {"groupId": "{groupId}", "userId": "{item.userId}", "role": "{item.role}"},
        "condition": {"kind": "expr", "declarative": {"role": {"ne": {"$param": "item.role"}}}},
    }
    params = {
        "groupId": S,
        "members": {"type": "array", "required": True, "element": {"userId": S, "role": S}},
    }
    _, client = run(
        [item], {"groupId": "eng", "members": [{"userId": "a", "role": "admin"}]}, params
    )
    body = sent(client)[0]["Put"]
    assert list(body) == [
        "TableName",
        "Item",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
        "ConditionExpression",
    ]
    assert body["ExpressionAttributeNames"] == {"#f0": "role"}
    assert body["ExpressionAttributeValues"] == {":vf0": {"S": "admin"}}
    assert body["ConditionExpression"] == "#f0 <> :vf0"


# --- typed values, dotted names ---------------------------------------------------------------


def test_typed_whole_placeholder_and_text_mixed_template() -> None:
    item = {
        "type": "Put",
        "tableName": "AppTable",
        "entity": "OrderModel",
        "item": {
            "orderId": "{orderId}",
            "tenantId": "{tenantId}",
            "status": "PENDING",
            "total": "{total}",
            "label": "T-{total}",
            "paid": "{paid}",
            "flag": True,
            "tags": ["{orderId}", 1],
        },
    }
    params = {"orderId": S, "tenantId": S, "total": N, "paid": B_OPT}
    _, client = run([item], {"orderId": "o1", "tenantId": "t1", "total": 7, "paid": False}, params)
    assert_exact(
        sent(client),
        [
            {
                "Put": {
                    "TableName": "app-prod",
                    "Item": {
                        "orderId": {"S": "o1"},
                        "tenantId": {"S": "t1"},
                        "status": {"S": "PENDING"},
                        "total": {"N": "7"},
                        "label": {"S": "T-7"},
                        "paid": {"BOOL": False},
                        "flag": {"BOOL": True},
                        "tags": {"L": [{"S": "{orderId}"}, {"N": "1"}]},
                        "PK": {"S": "ORDER#o1"},
                        "SK": {"S": "META"},
                        "GSI1PK": {"S": "TENANT#t1#STATUS#PENDING"},
                        "GSI1SK": {"S": "ORDER#o1"},
                    },
                }
            }
        ],
    )


def test_typed_float_and_text_of_float() -> None:
    item = {
        "type": "Put",
        "tableName": "AppTable",
        "entity": "OrderModel",
        "item": {"orderId": "{orderId}", "total": "{total}", "label": "T-{total}"},
    }
    _, client = run([item], {"orderId": "o1", "total": 10.0}, {"orderId": S, "total": N})
    record = sent(client)[0]["Put"]["Item"]
    assert record["total"] == {"N": "10.0"}  # float -> Decimal(str(x)) (section 1.4)
    assert record["label"] == {"S": "T-10"}
    # the GSI of OrderModel needs tenantId and status: not bound, so the index stays sparse
    assert list(record) == ["orderId", "total", "label", "PK", "SK"]


RENAME_TX = {
    "params": {
        "postId": S,
        "userId": S,
        "title": S,
        "old.userId": S,
        "old.title": S,
    },
    "items": [
        {
            "type": "Update",
            "tableName": "AppTable",
            "entity": "PostUniqueModel",
            "keyCondition": {"PK": "POST#{postId}", "SK": "META"},
            "changes": {"userId": "{userId}", "title": "{title}"},
        },
        {
            "type": "Delete",
            "tableName": "AppTable",
            "entity": "__marker__",
            "literalKey": True,
            "keyCondition": {
                "PK": "UNIQUE#postTitlePerUser#{old.userId}",
                "SK": "VALUE#{old.title}",
            },
        },
        {
            "type": "Put",
            "tableName": "AppTable",
            "entity": "__marker__",
            "literalKey": True,
            "item": {"PK": "UNIQUE#postTitlePerUser#{userId}", "SK": "VALUE#{title}"},
            "condition": {"kind": "attributeNotExists", "field": "PK"},
        },
    ],
}


def test_dotted_param_names_and_literal_key_marker_rows() -> None:
    runtime, client = make({"rename": RENAME_TX})
    runtime.execute_transaction(
        "rename",
        {
            "postId": "p1",
            "userId": "u2",
            "title": "New",
            "old.userId": "u1",
            "old.title": "Old",
        },
    )
    assert_exact(
        sent(client),
        [
            {
                "Update": {
                    "TableName": "app-prod",
                    "Key": {"PK": {"S": "POST#p1"}, "SK": {"S": "META"}},
                    "UpdateExpression": "SET #c0 = :c0, #c1 = :c1",
                    "ExpressionAttributeNames": {"#c0": "userId", "#c1": "title"},
                    "ExpressionAttributeValues": {":c0": {"S": "u2"}, ":c1": {"S": "New"}},
                }
            },
            {
                "Delete": {
                    "TableName": "app-prod",
                    "Key": {
                        "PK": {"S": "UNIQUE#postTitlePerUser#u1"},
                        "SK": {"S": "VALUE#Old"},
                    },
                }
            },
            {
                "Put": {
                    "TableName": "app-prod",
                    "Item": {
                        "PK": {"S": "UNIQUE#postTitlePerUser#u2"},
                        "SK": {"S": "VALUE#New"},
                    },
                    "ExpressionAttributeNames": {"#ce": "PK"},
                    "ConditionExpression": "attribute_not_exists(#ce)",
                }
            },
        ],
    )


def test_unchanged_unique_value_swap_is_dropped() -> None:
    runtime, client = make({"rename": RENAME_TX})
    runtime.execute_transaction(
        "rename",
        {"postId": "p1", "userId": "u1", "title": "T", "old.userId": "u1", "old.title": "T"},
    )
    items = sent(client)
    assert [next(iter(e)) for e in items] == ["Update"]


# --- Put derivation ---------------------------------------------------------------------------


ENV_ORDER_PARAMS = {
    "groupId": S,
    "members": {
        "type": "array",
        "required": True,
        "element": {"userId": S_OPT, "groupId": S_OPT, "role": S},
    },
}


def test_put_derivation_env_record_then_element_then_params() -> None:
    from_element = {
        "type": "Put",
        "tableName": "AppTable",
        "entity": "GroupMembershipModel",
        "forEach": {"source": "members"},
        "item": {"role": "{item.role}", "joinedAt": JOINED},
    }
    from_record = {
        "type": "Put",
        "tableName": "AppTable",
        "entity": "GroupMembershipModel",
        "forEach": {"source": "members"},
        "item": {"groupId": "R", "role": "{item.role}"},
    }
    params = {
        "groupId": "P",
        "members": [
            {"userId": "u1", "groupId": "E", "role": "admin"},
            {"userId": "u2", "role": "member"},
        ],
    }
    _, client = run([from_element, from_record], params, ENV_ORDER_PARAMS)

    def item(record: dict[str, str], group: str, user: str) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": "app-prod",
                "Item": {
                    **{k: {"S": v} for k, v in record.items()},
                    "PK": {"S": f"GROUP#{group}"},
                    "SK": {"S": f"USER#{user}"},
                    "GSI1PK": {"S": f"USER#{user}"},
                    "GSI1SK": {"S": f"GROUP#{group}"},
                },
            }
        }

    assert_exact(
        sent(client),
        [
            item({"role": "admin", "joinedAt": JOINED}, "E", "u1"),  # element beats params
            item({"role": "member", "joinedAt": JOINED}, "P", "u2"),  # params as last resort
            item({"groupId": "R", "role": "admin"}, "R", "u1"),  # record beats element
            item({"groupId": "R", "role": "member"}, "R", "u2"),
        ],
    )


def test_put_unbound_key_placeholder_raises_before_any_call() -> None:
    item = {
        "type": "Put",
        "tableName": "AppTable",
        "entity": "GroupMembershipModel",
        "forEach": {"source": "members"},
        "item": {"role": "{item.role}"},
    }
    params = {"groupId": "P", "members": [{"userId": "u1", "role": "r"}, {"role": "r"}]}
    with pytest.raises(ParameterValidationError) as caught:
        run([item], params, ENV_ORDER_PARAMS)
    assert str(caught.value) == (
        "t: cannot derive key attribute 'SK' of entity 'GroupMembershipModel': "
        "template 'USER#{userId}' references unbound field 'userId'"
    )


def test_put_derived_key_overwrites_a_template_field_in_place() -> None:
    item = {
        "type": "Put",
        "tableName": "AppTable",
        "entity": "GroupMembershipModel",
        "item": {"GSI1PK": "manual", "groupId": "{groupId}", "userId": "u1"},
    }
    _, client = run([item], {"groupId": "eng"}, {"groupId": S})
    assert_exact(
        sent(client)[0]["Put"]["Item"],
        {
            "GSI1PK": {"S": "USER#u1"},
            "groupId": {"S": "eng"},
            "userId": {"S": "u1"},
            "PK": {"S": "GROUP#eng"},
            "SK": {"S": "USER#u1"},
            "GSI1SK": {"S": "GROUP#eng"},
        },
    )


def test_literal_key_put_and_delete_are_written_as_is() -> None:
    put = {
        "type": "Put",
        "tableName": "AppTable",
        "entity": "GroupMembershipModel",  # only a label: no derivation
        "literalKey": True,
        "item": {"PK": "IDEMP#{groupId}", "SK": "TOKEN", "groupId": "{groupId}", "userId": "u"},
        "condition": {"kind": "attributeNotExists", "field": "PK"},
    }
    delete = {
        "type": "Delete",
        "tableName": "AppTable",
        "entity": "__marker__",
        "literalKey": True,
        "keyCondition": {"SK": "VALUE#{groupId}", "PK": "UNIQUE#name"},
        "condition": {"kind": "equals", "fields": {"owner": "{groupId}"}},
    }
    _, client = run([put, delete], {"groupId": "eng"}, {"groupId": S})
    assert_exact(
        sent(client),
        [
            {
                "Put": {
                    "TableName": "app-prod",
                    "Item": {
                        "PK": {"S": "IDEMP#eng"},
                        "SK": {"S": "TOKEN"},
                        "groupId": {"S": "eng"},
                        "userId": {"S": "u"},
                    },
                    "ExpressionAttributeNames": {"#ce": "PK"},
                    "ConditionExpression": "attribute_not_exists(#ce)",
                }
            },
            {
                "Delete": {
                    "TableName": "app-prod",
                    "Key": {"SK": {"S": "VALUE#eng"}, "PK": {"S": "UNIQUE#name"}},
                    "ExpressionAttributeNames": {"#e0": "owner"},
                    "ExpressionAttributeValues": {":e0": {"S": "eng"}},
                    "ConditionExpression": "#e0 = :e0",
                }
            },
        ],
    )


@pytest.mark.parametrize("kind", ["Put", "Delete"])
def test_empty_key_value_is_rejected_before_any_call(kind: str) -> None:
    item: dict[str, Any] = {
        "type": kind,
        "tableName": "AppTable",
        "entity": "__marker__",
        "literalKey": True,
    }
    key = {"PK": "{p}", "SK": "X"}
    item["item" if kind == "Put" else "keyCondition"] = key
    runtime, client = make({"t": {"params": {"p": S}, "items": [item]}})
    with pytest.raises(ParameterValidationError):
        runtime.execute_transaction("t", {"p": ""})
    assert client.calls == []


# --- Update: changes, GSI re-derivation, add --------------------------------------------------


def test_update_set_gsi_add_and_condition_order() -> None:
    item = {
        "type": "Update",
        "tableName": "AppTable",
        "entity": "UserModel",
        "keyCondition": {"PK": "USER#{userId}", "SK": "PROFILE"},
        "changes": {"email": "{email}", "name": "{name}"},
        "add": {"loginCount": "1", "credits": "-1", "score": 2.5, "visits": 3},
        "condition": {"kind": "equals", "fields": {"status": "active"}},
    }
    params = {"userId": S, "email": S, "name": S}
    _, client = run([item], {"userId": "alice", "email": "a@new", "name": "Al"}, params)
    assert_exact(
        sent(client),
        [
            {
                "Update": {
                    "TableName": "app-prod",
                    "Key": {"PK": {"S": "USER#alice"}, "SK": {"S": "PROFILE"}},
                    "UpdateExpression": (
                        "SET #c0 = :c0, #c1 = :c1, #gsi0pk = :gsi0pk, #gsi0sk = :gsi0sk "
                        "ADD #a0 :a0, #a1 :a1, #a2 :a2, #a3 :a3"
                    ),
                    "ExpressionAttributeNames": {
                        "#c0": "email",
                        "#c1": "name",
                        "#gsi0pk": "GSI1PK",
                        "#gsi0sk": "GSI1SK",
                        "#a0": "loginCount",
                        "#a1": "credits",
                        "#a2": "score",
                        "#a3": "visits",
                        "#e0": "status",
                    },
                    "ExpressionAttributeValues": {
                        ":c0": {"S": "a@new"},
                        ":c1": {"S": "Al"},
                        ":gsi0pk": {"S": "EMAIL#a@new"},
                        ":gsi0sk": {"S": "PROFILE"},
                        ":a0": {"N": "1"},
                        ":a1": {"N": "-1"},
                        ":a2": {"N": "2.5"},
                        ":a3": {"N": "3"},
                        ":e0": {"S": "active"},
                    },
                    "ConditionExpression": "#e0 = :e0",
                }
            }
        ],
    )


def test_update_unaffected_gsi_is_not_touched() -> None:
    item = {
        "type": "Update",
        "tableName": "AppTable",
        "entity": "UserModel",
        "keyCondition": {"PK": "USER#{userId}", "SK": "PROFILE"},
        "changes": {"status": "disabled"},
    }
    _, client = run([item], {"userId": "alice"}, {"userId": S})
    body = sent(client)[0]["Update"]
    assert body["UpdateExpression"] == "SET #c0 = :c0"
    assert body["ExpressionAttributeNames"] == {"#c0": "status"}


ORDER_STATUS_PARAMS = {
    "tenantId": S_OPT,
    "orders": {
        "type": "array",
        "required": True,
        "element": {"orderId": S, "status": S, "tenantId": S_OPT},
    },
}


def _order_status_item(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Update",
        "tableName": "AppTable",
        "entity": "OrderModel",
        "forEach": {"source": "orders"},
        "keyCondition": {"PK": "ORDER#{item.orderId}", "SK": "META"},
        "changes": changes,
    }


def test_update_gsi_rederivation_env_changes_then_element_then_params() -> None:
    params = {
        "tenantId": "tP",
        "orders": [
            {"orderId": "o1", "status": "SHIPPED", "tenantId": "tE"},
            {"orderId": "o2", "status": "PAID"},
        ],
    }
    _, client = run([_order_status_item({"status": "{item.status}"})], params, ORDER_STATUS_PARAMS)
    items = sent(client)
    assert_exact(
        items[0]["Update"],
        {
            "TableName": "app-prod",
            "Key": {"PK": {"S": "ORDER#o1"}, "SK": {"S": "META"}},
            "UpdateExpression": "SET #c0 = :c0, #gsi0pk = :gsi0pk, #gsi0sk = :gsi0sk",
            "ExpressionAttributeNames": {
                "#c0": "status",
                "#gsi0pk": "GSI1PK",
                "#gsi0sk": "GSI1SK",
            },
            "ExpressionAttributeValues": {
                ":c0": {"S": "SHIPPED"},
                ":gsi0pk": {"S": "TENANT#tE#STATUS#SHIPPED"},
                ":gsi0sk": {"S": "ORDER#o1"},
            },
        },
    )
    values = items[1]["Update"]["ExpressionAttributeValues"]
    assert values[":gsi0pk"] == {"S": "TENANT#tP#STATUS#PAID"}
    assert values[":gsi0sk"] == {"S": "ORDER#o2"}
    # the resolved changes come first
    item = _order_status_item({"status": "{item.status}", "tenantId": "tC"})
    _, client = run([item], params, ORDER_STATUS_PARAMS)
    values = sent(client)[0]["Update"]["ExpressionAttributeValues"]
    assert values[":gsi0pk"] == {"S": "TENANT#tC#STATUS#SHIPPED"}


def test_update_affected_gsi_missing_dependency_raises_before_any_call() -> None:
    params = {"orders": [{"orderId": "o1", "status": "SHIPPED"}]}
    runtime, client = make(
        {"t": {"params": ORDER_STATUS_PARAMS, "items": [_order_status_item({"status": "X"})]}}
    )
    with pytest.raises(ParameterValidationError) as caught:
        runtime.execute_transaction("t", params)
    assert str(caught.value) == (
        "t: updating 'status' affects index 'GSI1' (also depends on 'tenantId'); provide it, "
        "or use read-modify-write."
    )
    assert client.calls == []


def test_update_with_literal_key_entity_is_not_rederived() -> None:
    item = {
        "type": "Update",
        "tableName": "AppTable",
        "entity": "UserModel",
        "literalKey": True,
        "keyCondition": {"PK": "USER#{userId}", "SK": "PROFILE"},
        "changes": {"email": "{email}"},
    }
    _, client = run([item], {"userId": "a", "email": "e"}, {"userId": S, "email": S})
    body = sent(client)[0]["Update"]
    assert body["UpdateExpression"] == "SET #c0 = :c0"
    assert body["ExpressionAttributeNames"] == {"#c0": "email"}


def test_update_without_actions_and_condition_check_shapes() -> None:
    check = {
        "type": "ConditionCheck",
        "tableName": "AppTable",
        "entity": "UserModel",
        "forEach": {"source": "users"},
        "keyCondition": {"PK": "USER#{item.userId}", "SK": "PROFILE"},
        "condition": {"kind": "equals", "fields": {"status": "{item.status}"}},
    }
    bare = g_update()
    only_condition = {
        "type": "Update",
        "tableName": "AppTable",
        "entity": "OrderModel",
        "keyCondition": {"PK": "ORDER#o1", "SK": "META"},
        "condition": {"kind": "notExists"},
    }
    params = {
        "groupId": S,
        "users": {"type": "array", "required": True, "element": {"userId": S, "status": S}},
    }
    args = {"groupId": "eng", "users": [{"userId": "a", "status": "active"}]}
    _, client = run([check, bare, only_condition], args, params)
    assert_exact(
        sent(client),
        [
            {
                "ConditionCheck": {
                    "TableName": "app-prod",
                    "Key": {"PK": {"S": "USER#a"}, "SK": {"S": "PROFILE"}},
                    "ExpressionAttributeNames": {"#e0": "status"},
                    "ExpressionAttributeValues": {":e0": {"S": "active"}},
                    "ConditionExpression": "#e0 = :e0",
                }
            },
            {"Update": {"TableName": "app-prod", "Key": GROUP_KEY_AV}},
            {
                "Update": {
                    "TableName": "app-prod",
                    "Key": {"PK": {"S": "ORDER#o1"}, "SK": {"S": "META"}},
                    "ExpressionAttributeNames": {"#pk": "PK"},
                    "ConditionExpression": "attribute_not_exists(#pk)",
                }
            },
        ],
    )


ADD_PARAMS = {"groupId": S, "d": S_OPT, "n": N_OPT, "flag": B_OPT}


@pytest.mark.parametrize(
    ("template", "args", "expected"),
    [
        ("{d}", {"d": "1"}, {"N": "1"}),
        ("{d}", {"d": "-1"}, {"N": "-1"}),
        ("{d}", {"d": "+3"}, {"N": "3"}),
        ("{d}", {"d": "007"}, {"N": "7"}),
        ("{d}", {"d": "-0"}, {"N": "0"}),  # an integer string becomes an int
        ("{d}", {"d": "1.5"}, {"N": "1.5"}),
        ("{n}", {"n": 4}, {"N": "4"}),
        ("{n}", {"n": Decimal("0.25")}, {"N": "0.25"}),
        ("{d}0", {"d": "1"}, {"N": "10"}),
    ],
)
def test_add_delta_resolution(template: str, args: dict[str, Any], expected: Any) -> None:
    item = g_update(add={"memberCount": template})
    _, client = run([item], {"groupId": "eng", **args}, ADD_PARAMS)
    assert_exact(
        sent(client)[0]["Update"],
        {
            "TableName": "app-prod",
            "Key": GROUP_KEY_AV,
            "UpdateExpression": "ADD #a0 :a0",
            "ExpressionAttributeNames": {"#a0": "memberCount"},
            "ExpressionAttributeValues": {":a0": expected},
        },
    )


@pytest.mark.parametrize(
    ("template", "args"),
    [
        ("{d}", {"d": "abc"}),
        ("{d}", {"d": ""}),
        ("{d}", {"d": "NaN"}),
        ("{d}", {"d": "Infinity"}),
        ("{flag}", {"flag": True}),
        ("{flag}", {"flag": False}),
    ],
)
def test_add_delta_rejects_non_numbers_before_any_call(template: str, args: dict[str, Any]) -> None:
    runtime, client = make(
        {"t": {"params": ADD_PARAMS, "items": [g_update(add={"memberCount": template})]}}
    )
    with pytest.raises(ParameterValidationError):
        runtime.execute_transaction("t", {"groupId": "eng", **args})
    assert client.calls == []


# --- maintain ---------------------------------------------------------------------------------


MAINTAIN_PARAMS = {
    "groupId": S,
    "postId": S,
    "body": S_OPT,
    "score": N_OPT,
    "pinned": B_OPT,
    "name": S_OPT,
    "bio": S_OPT,
}
#: Fields a maintenance write cannot honour (TX012, an error).
UNHONOURED = {
    "changes": {"name": "ignored"},
    "add": {"memberCount": "1"},
    "condition": {"kind": "attributeExists", "field": "PK"},
}


def test_maintain_collection_exact() -> None:
    maintain = {
        "kind": "collection",
        "projection": {
            "postId": {"op": "identity", "args": [], "inputField": "postId"},
            "textPreview": {"op": "preview", "args": [5], "inputField": "body"},
            "scoreText": {"op": "preview", "args": [10], "inputField": "score"},
            "pinnedText": {"op": "preview", "args": [3], "inputField": "pinned"},
            "score": {"op": "identity", "args": [], "inputField": "score"},
        },
        "collection": {"field": "latestPosts", "maxItems": 1},
    }
    args = {"groupId": "eng", "postId": "p1", "body": "Hello world", "score": 1.0, "pinned": True}
    runtime, client = make(
        {"t": {"params": MAINTAIN_PARAMS, "items": [g_update(maintain=maintain)]}}
    )
    runtime.execute_transaction("t", args)
    assert_exact(
        sent(client),
        [
            {
                "Update": {
                    "TableName": "app-prod",
                    "Key": GROUP_KEY_AV,
                    "UpdateExpression": "SET #c = list_append(if_not_exists(#c, :empty), :item)",
                    "ExpressionAttributeNames": {"#c": "latestPosts"},
                    "ExpressionAttributeValues": {
                        ":empty": {"L": []},
                        ":item": {
                            "L": [
                                {
                                    "M": {
                                        "postId": {"S": "p1"},
                                        "textPreview": {"S": "Hello"},
                                        "scoreText": {"S": "1"},
                                        "pinnedText": {"S": "tru"},
                                        "score": {"N": "1.0"},
                                    }
                                }
                            ]
                        },
                    },
                }
            }
        ],
    )


@pytest.mark.parametrize("field", sorted(UNHONOURED))
def test_a_maintenance_write_with_changes_add_or_condition_fails_to_load(field: str) -> None:
    maintain = {"kind": "counter", "counter": {"attribute": "postCount", "delta": 1}}
    item = g_update(maintain=maintain, **{field: UNHONOURED[field]})
    with pytest.raises(SpecError) as caught:
        make({"t": {"params": MAINTAIN_PARAMS, "items": [item]}})
    (issue,) = [i for i in caught.value.issues if i.rule == "TX012"]
    assert issue.severity == "error"
    assert issue.message == (
        f"{field!r} cannot be honoured on a maintenance write, which always upserts its owner "
        "row; move it to an item of its own"
    )


def test_maintain_snapshot_exact() -> None:
    maintain = {
        "kind": "snapshot",
        "projection": {
            "displayName": {"op": "identity", "args": [], "inputField": "name"},
            "bioPreview": {"op": "preview", "args": [4], "inputField": "bio"},
        },
    }
    _, client = run(
        [g_update(maintain=maintain)],
        {"groupId": "eng", "postId": "p", "name": "Ada", "bio": "Mathematician"},
        MAINTAIN_PARAMS,
    )
    assert_exact(
        sent(client)[0]["Update"],
        {
            "TableName": "app-prod",
            "Key": GROUP_KEY_AV,
            "UpdateExpression": "SET #m0 = :m0, #m1 = :m1",
            "ExpressionAttributeNames": {"#m0": "displayName", "#m1": "bioPreview"},
            "ExpressionAttributeValues": {":m0": {"S": "Ada"}, ":m1": {"S": "Math"}},
        },
    )


@pytest.mark.parametrize(("delta", "expected"), [(1, "1"), ("-1", "-1"), (-2, "-2")])
def test_maintain_counter_exact(delta: Any, expected: str) -> None:
    maintain = {"kind": "counter", "counter": {"attribute": "postCount", "delta": delta}}
    _, client = run(
        [g_update(maintain=maintain)], {"groupId": "eng", "postId": "p"}, MAINTAIN_PARAMS
    )
    assert_exact(
        sent(client)[0]["Update"],
        {
            "TableName": "app-prod",
            "Key": GROUP_KEY_AV,
            "UpdateExpression": "ADD #a0 :a0",
            "ExpressionAttributeNames": {"#a0": "postCount"},
            "ExpressionAttributeValues": {":a0": {"N": expected}},
        },
    )


def test_maintain_snapshot_for_each_element_source() -> None:
    item = {
        "type": "Update",
        "tableName": "AppTable",
        "entity": "UserModel",
        "forEach": {"source": "users"},
        "keyCondition": {"PK": "USER#{item.userId}", "SK": "PROFILE"},
        "maintain": {
            "kind": "snapshot",
            "projection": {
                "groupName": {"op": "identity", "args": [], "inputField": "name"},
                "nick": {"op": "preview", "args": [2], "inputField": "item.nick"},
            },
        },
    }
    params = {
        "name": S,
        "users": {"type": "array", "required": True, "element": {"userId": S, "nick": S_OPT}},
    }
    args = {"name": "Eng", "users": [{"userId": "a", "nick": "Ann"}, {"userId": "b", "nick": "Bo"}]}
    _, client = run([item], args, params)
    items = sent(client)
    assert [e["Update"]["ExpressionAttributeValues"] for e in items] == [
        {":m0": {"S": "Eng"}, ":m1": {"S": "An"}},
        {":m0": {"S": "Eng"}, ":m1": {"S": "Bo"}},
    ]
    with pytest.raises(UnboundParameterError):
        run([item], {"name": "Eng", "users": [{"userId": "a"}]}, params)


def test_maintain_unbound_source_raises_before_any_call() -> None:
    maintain = {
        "kind": "snapshot",
        "projection": {"bioPreview": {"op": "preview", "args": [4], "inputField": "bio"}},
    }
    runtime, client = make(
        {"t": {"params": MAINTAIN_PARAMS, "items": [g_update(maintain=maintain)]}}
    )
    with pytest.raises(UnboundParameterError):
        runtime.execute_transaction("t", {"groupId": "eng", "postId": "p"})
    assert client.calls == []


# --- same-key collapse (section 27) -----------------------------------------------------------


def _marker(kind: str) -> dict[str, Any]:
    """A ``literalKey`` marker Put or Delete of GROUP#{groupId}/META: nothing but the key."""
    item: dict[str, Any] = {
        "type": kind,
        "tableName": "AppTable",
        "entity": "__marker__",
        "literalKey": True,
    }
    item["item" if kind == "Put" else "keyCondition"] = dict(GROUP_KEY)
    return item


def test_delete_put_same_key_drops_both_others_kept() -> None:
    _, client = run([_marker("Delete"), M_PUT, _marker("Put")], G_ARGS, G_PARAMS)
    items = sent(client)
    assert len(items) == 1
    assert items[0]["Put"]["Item"]["SK"] == {"S": "USER#u1"}


@pytest.mark.parametrize(
    "items",
    [
        [_marker("Put"), _marker("Delete")],
        [_marker("Delete"), _marker("Put")],
        [_marker("Put"), _marker("Delete"), _marker("Put")],
    ],
    ids=["put-delete", "delete-put", "put-delete-put"],
)
def test_delete_put_only_group_leaves_nothing_and_makes_no_call(items: list[Any]) -> None:
    result, client = run(items, G_ARGS, G_PARAMS)
    assert result is None
    assert client.calls == []


def test_put_update_same_key_raises() -> None:
    runtime, client = make(
        {"t": {"params": G_PARAMS, "items": [g_put(), g_update(add={"memberCount": "1"})]}}
    )
    with pytest.raises(TransactionCollapseError) as caught:
        runtime.execute_transaction("t", G_ARGS)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == (
        "a derived counter (increment) resolves to the SAME item as the entity write at "
        "runtime; a Put+Update on one row is unsupported"
    )
    assert client.calls == []


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([g_delete(), g_update(add={"memberCount": "1"})], "2 {} (Delete+Update)"),
        (
            [g_delete(), g_put(), g_update(add={"memberCount": "1"})],
            "3 {} (Delete+Put+Update)",
        ),
        ([g_check(), g_update(add={"memberCount": "1"})], "2 {} (ConditionCheck+Update)"),
        ([g_check(), g_check()], "2 {} (ConditionCheck)"),
        ([g_put(), g_check()], "2 {} (ConditionCheck+Put)"),
        ([g_check(), g_delete(), M_PUT, g_put()], "3 {} (ConditionCheck+Delete+Put)"),
        (
            [g_update(add={"memberCount": "1"}), g_delete(), g_update(add={"memberCount": "1"})],
            "3 {} (Delete+Update)",
        ),
    ],
)
def test_unsupported_combinations_raise(items: list[Any], message: str) -> None:
    runtime, client = make({"t": {"params": G_PARAMS, "items": items}})
    with pytest.raises(TransactionCollapseError) as caught:
        runtime.execute_transaction("t", G_ARGS)
    middle = "transaction items resolve to the same physical row with an unsupported op combination"
    assert str(caught.value) == message.format(middle)
    assert client.calls == []


def test_identical_puts_and_identical_deletes_keep_the_first() -> None:
    cond = {"kind": "attributeExists", "field": "PK"}
    # two identical Puts of GROUP#eng/META keep the first; two identical Deletes likewise
    delete_other = {
        "type": "Delete",
        "tableName": "AppTable",
        "entity": "GroupMembershipModel",
        "keyCondition": {"PK": "GROUP#{groupId}", "SK": "USER#u1"},
        "condition": cond,
    }
    items = [g_put("A"), delete_other, g_put("A"), delete_other]
    _, client = run(items, G_ARGS, G_PARAMS)
    assert_exact(
        sent(client),
        [
            {
                "Put": {
                    "TableName": "app-prod",
                    "Item": {
                        "groupId": {"S": "eng"},
                        "name": {"S": "A"},
                        "PK": {"S": "GROUP#eng"},
                        "SK": {"S": "META"},
                    },
                }
            },
            {
                "Delete": {
                    "TableName": "app-prod",
                    "Key": {"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#u1"}},
                    "ExpressionAttributeNames": {"#ce": "PK"},
                    "ConditionExpression": "attribute_exists(#ce)",
                }
            },
        ],
    )


def test_merge_updates_at_first_position_with_renumbering() -> None:
    first = g_update(changes={"name": "{name}"}, add={"memberCount": "1"})
    second = g_update(
        changes={"name": "{name}", "createdAt": "2024-01-02"},
        add={"memberCount": "1", "postCount": "-1"},
    )
    _, client = run([M_PUT, first, M_PUT, second], G_ARGS, G_PARAMS)
    items = sent(client)
    assert [next(iter(e)) for e in items] == ["Put", "Update"]
    assert_exact(
        items[1]["Update"],
        {
            "TableName": "app-prod",
            "Key": GROUP_KEY_AV,
            "UpdateExpression": "SET #c0 = :c0, #c1 = :c1 ADD #a0 :a0, #a1 :a1",
            "ExpressionAttributeNames": {
                "#c0": "name",
                "#c1": "createdAt",
                "#a0": "memberCount",
                "#a1": "postCount",
            },
            "ExpressionAttributeValues": {
                ":c0": {"S": "Eng"},
                ":c1": {"S": "2024-01-02"},
                ":a0": {"N": "2"},
                ":a1": {"N": "-1"},
            },
        },
    )


def test_merge_first_position_precedes_later_items() -> None:
    first = g_update(add={"memberCount": "1"})
    _, client = run([first, M_PUT, g_update(add={"memberCount": "1"})], G_ARGS, G_PARAMS)
    assert [next(iter(e)) for e in sent(client)] == ["Update", "Put"]


def test_merge_pure_add_sums() -> None:
    first = g_update(add={"memberCount": "1", "a": "1", "b": 1})
    second = g_update(add={"memberCount": "1", "a": "-1", "b": 0.5})
    _, client = run([first, second], G_ARGS, G_PARAMS)
    assert_exact(
        sent(client),
        [
            {
                "Update": {
                    "TableName": "app-prod",
                    "Key": GROUP_KEY_AV,
                    "UpdateExpression": "ADD #a0 :a0, #a1 :a1, #a2 :a2",
                    "ExpressionAttributeNames": {"#a0": "memberCount", "#a1": "a", "#a2": "b"},
                    "ExpressionAttributeValues": {
                        ":a0": {"N": "2"},
                        ":a1": {"N": "0"},
                        ":a2": {"N": "1.5"},
                    },
                }
            }
        ],
    )


def test_merge_keeps_one_condition_after_action_names() -> None:
    first = g_update(add={"memberCount": "1"})
    second = g_update(
        changes={"name": "{name}"},
        condition={"kind": "equals", "fields": {"groupId": "{groupId}"}},
    )
    _, client = run([first, second], G_ARGS, G_PARAMS)
    assert_exact(
        sent(client)[0]["Update"],
        {
            "TableName": "app-prod",
            "Key": GROUP_KEY_AV,
            "UpdateExpression": "SET #c0 = :c0 ADD #a0 :a0",
            "ExpressionAttributeNames": {"#c0": "name", "#a0": "memberCount", "#e0": "groupId"},
            "ExpressionAttributeValues": {
                ":c0": {"S": "Eng"},
                ":a0": {"N": "1"},
                ":e0": {"S": "eng"},
            },
            "ConditionExpression": "#e0 = :e0",
        },
    )


def test_merge_rederived_gsi_keys_become_set_entries() -> None:
    user_key = {"PK": "USER#{userId}", "SK": "PROFILE"}
    base = {
        "type": "Update",
        "tableName": "AppTable",
        "entity": "UserModel",
        "keyCondition": user_key,
    }
    items = [dict(base, changes={"email": "{email}"}), dict(base, add={"loginCount": "1"})]
    _, client = run(items, {"userId": "alice", "email": "a@x"}, {"userId": S, "email": S})
    assert_exact(
        sent(client)[0]["Update"],
        {
            "TableName": "app-prod",
            "Key": {"PK": {"S": "USER#alice"}, "SK": {"S": "PROFILE"}},
            "UpdateExpression": "SET #c0 = :c0, #c1 = :c1, #c2 = :c2 ADD #a0 :a0",
            "ExpressionAttributeNames": {
                "#c0": "email",
                "#c1": "GSI1PK",
                "#c2": "GSI1SK",
                "#a0": "loginCount",
            },
            "ExpressionAttributeValues": {
                ":c0": {"S": "a@x"},
                ":c1": {"S": "EMAIL#a@x"},
                ":c2": {"S": "PROFILE"},
                ":a0": {"N": "1"},
            },
        },
    )


def test_merge_snapshot_and_counter_maintain_with_plain_update() -> None:
    snapshot = {
        "kind": "snapshot",
        "projection": {"name": {"op": "identity", "args": [], "inputField": "name"}},
    }
    counter = {"kind": "counter", "counter": {"attribute": "postCount", "delta": 1}}
    items = [
        g_update(maintain=snapshot),
        g_update(maintain=counter),
        g_update(changes={"name": "{name}"}, add={"postCount": "1"}),
    ]
    _, client = run(items, {"groupId": "eng", "postId": "p", "name": "Eng"}, MAINTAIN_PARAMS)
    assert_exact(
        sent(client)[0]["Update"],
        {
            "TableName": "app-prod",
            "Key": GROUP_KEY_AV,
            "UpdateExpression": "SET #c0 = :c0 ADD #a0 :a0",
            "ExpressionAttributeNames": {"#c0": "name", "#a0": "postCount"},
            "ExpressionAttributeValues": {":c0": {"S": "Eng"}, ":a0": {"N": "2"}},
        },
    )


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            [g_update(changes={"name": "{name}"}), g_update(changes={"name": "other"})],
            "conflicting SET of 'name' on the same row",
        ),
        ([g_update(changes={"memberCount": 5}), g_update(add={"memberCount": "1"})], None),
        (
            [
                g_update(add={"memberCount": "1"}, condition={"kind": "notExists"}),
                g_update(
                    add={"memberCount": "1"},
                    condition={"kind": "attributeExists", "field": "PK"},
                ),
            ],
            None,
        ),
        (
            [
                g_update(add={"memberCount": "1"}),
                g_update(
                    maintain={
                        "kind": "collection",
                        "projection": {"n": {"op": "identity", "args": [], "inputField": "name"}},
                        "collection": {"field": "latest"},
                    }
                ),
            ],
            "cannot merge a maintain collection update with another update of the same row",
        ),
    ],
    ids=["conflicting-set", "set-and-add", "two-conditions", "collection-maintain"],
)
def test_merge_rejections(items: list[Any], message: str | None) -> None:
    runtime, client = make({"t": {"params": G_PARAMS, "items": items}})
    with pytest.raises(TransactionCollapseError) as caught:
        runtime.execute_transaction("t", G_ARGS)
    if message is not None:
        assert str(caught.value) == message
    assert client.calls == []


def test_collapse_uses_the_physical_table() -> None:
    mirror = {
        "type": "Update",
        "tableName": "MirrorTable",
        "entity": "GroupMirrorModel",
        "keyCondition": dict(GROUP_KEY),
        "add": {"memberCount": "1"},
    }
    items = [g_update(add={"memberCount": "1"}), mirror]
    same = {"AppTable": "app-prod", "MirrorTable": "app-prod"}
    _, client = run(items, G_ARGS, G_PARAMS, mapping=same)
    assert_exact(
        sent(client),
        [
            {
                "Update": {
                    "TableName": "app-prod",
                    "Key": GROUP_KEY_AV,
                    "UpdateExpression": "ADD #a0 :a0",
                    "ExpressionAttributeNames": {"#a0": "memberCount"},
                    "ExpressionAttributeValues": {":a0": {"N": "2"}},
                }
            }
        ],
    )
    other = {"AppTable": "app-prod", "MirrorTable": "mirror-prod"}
    _, client = run(items, G_ARGS, G_PARAMS, mapping=other)
    assert [e["Update"]["TableName"] for e in sent(client)] == ["app-prod", "mirror-prod"]


def test_collapse_target_ignores_key_condition_order() -> None:
    reordered = {
        "type": "Delete",
        "tableName": "AppTable",
        "entity": "GroupModel",
        "keyCondition": {"SK": "META", "PK": "GROUP#{groupId}"},
    }
    result, client = run([_marker("Put"), reordered], G_ARGS, G_PARAMS)
    assert result is None
    assert client.calls == []


def _numeric_key_item(kind: str, placeholder: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": kind,
        "tableName": "AppTable",
        "entity": "__marker__",
        "literalKey": True,
    }
    item["item" if kind == "Put" else "keyCondition"] = {"PK": placeholder, "SK": "META"}
    return item


def test_numeric_key_values_compare_as_numbers() -> None:
    params = {"a": N, "b": N, "s": S}
    deletes = [_numeric_key_item("Delete", "{a}"), _numeric_key_item("Delete", "{b}")]
    _, client = run(deletes, {"a": 5, "b": Decimal("5.0"), "s": "5"}, params)
    assert_exact(
        sent(client),
        [{"Delete": {"TableName": "app-prod", "Key": {"PK": {"N": "5"}, "SK": {"S": "META"}}}}],
    )
    swap = [_numeric_key_item("Delete", "{a}"), _numeric_key_item("Put", "{b}")]
    result, client = run(swap, {"a": 5, "b": 5.0, "s": "5"}, params)
    assert result is None
    assert client.calls == []
    # a string "5" is another row than the number 5
    mixed = [_numeric_key_item("Delete", "{a}"), _numeric_key_item("Delete", "{s}")]
    _, client = run(mixed, {"a": 5, "b": 5, "s": "5"}, params)
    assert len(sent(client)) == 2


# --- size pre-flight (section 28.1) -----------------------------------------------------------

# addMemberIfGroupExists with GHOST, by hand:
#   ConditionCheck Key: PK(2)+"GROUP#ghost"(11) + SK(2)+"META"(4)                       = 19
#   Put Item: groupId(7)+5 + userId(6)+5 + role(4)+6 + joinedAt(8)+24 + PK(2)+11
#             + SK(2)+"USER#frank"(10) + GSI1PK(6)+10 + GSI1SK(6)+11                  = 123
GHOST_BYTES = 19 + 123


def test_size_estimate_hand_computed_and_limit_message() -> None:
    runtime, client = make(limits=RuntimeLimits(max_transaction_bytes=GHOST_BYTES - 1))
    with pytest.raises(LimitExceededError) as caught:
        runtime.execute_transaction("addMemberIfGroupExists", dict(GHOST))
    assert str(caught.value) == (
        "addMemberIfGroupExists: transaction is about 142 bytes, exceeds max_transaction_bytes 141"
    )
    assert client.calls == []
    runtime, client = make(limits=RuntimeLimits(max_transaction_bytes=GHOST_BYTES))
    runtime.execute_transaction("addMemberIfGroupExists", dict(GHOST))
    assert len(client.calls) == 1


def test_size_counts_expression_attribute_values() -> None:
    # section 43.6 addMembers: Put carol 117, Put erin 113, Update Key 17,
    # plus the values entry ":a0" -> {"N": "2"}: 3 + 1 = 4 (ExpressionAttributeNames not counted)
    expected = 117 + 113 + 17 + 4
    runtime, client = make(limits=RuntimeLimits(max_transaction_bytes=expected - 1))
    with pytest.raises(LimitExceededError) as caught:
        runtime.execute_transaction("addMembers", add_members_params(CAROL_DAN_ERIN))
    assert str(caught.value) == (
        f"addMembers: transaction is about {expected} bytes, exceeds max_transaction_bytes "
        f"{expected - 1}"
    )
    assert client.calls == []


def test_size_of_lists_maps_and_bools() -> None:
    maintain = {
        "kind": "collection",
        "projection": {
            "postId": {"op": "identity", "args": [], "inputField": "postId"},
            "pinned": {"op": "identity", "args": [], "inputField": "pinned"},
        },
        "collection": {"field": "latestPosts"},
    }
    # Key: PK(2)+"GROUP#eng"(9) + SK(2)+"META"(4)                             = 17
    # ":empty"(6) + L[] (3)                                                    = 9
    # M = 3 + ("postId" 6+1+2) + ("pinned" 6+1+1(BOOL)) = 20; L = 3 + (1+20) = 24
    # ":item"(5) + 24                                                          = 29
    expected = 17 + 9 + 29
    runtime, client = make(
        {"t": {"params": MAINTAIN_PARAMS, "items": [g_update(maintain=maintain)]}},
        limits=RuntimeLimits(max_transaction_bytes=expected - 1),
    )
    with pytest.raises(LimitExceededError, match=f"about {expected} bytes"):
        runtime.execute_transaction("t", {"groupId": "eng", "postId": "p1", "pinned": True})
    assert client.calls == []


def test_cap_is_checked_before_size() -> None:
    runtime, client = make(edit=_set_max_items(2), limits=RuntimeLimits(max_transaction_bytes=1))
    with pytest.raises(LimitExceededError, match="expanded to 3 items"):
        runtime.execute_transaction("addMembers", add_members_params(CAROL_DAN_ERIN))
    assert client.calls == []


def test_zero_items_skip_the_size_and_cap_checks() -> None:
    runtime, client = make(edit=_set_max_items(1), limits=RuntimeLimits(max_transaction_bytes=1))
    assert call(runtime, "addMembers", add_members_params([])) is None
    assert client.calls == []


# --- tokens and options -----------------------------------------------------------------------


def test_client_request_token_keyword() -> None:
    runtime, client = make()
    runtime.execute_transaction("addMemberIfGroupExists", dict(GHOST), client_request_token="k1")
    assert list(first(client)) == ["TransactItems", "ClientRequestToken"]
    assert first(client)["ClientRequestToken"] == "k1"


def test_same_token_both_ways_is_sent_once() -> None:
    runtime, client = make()
    runtime.execute_transaction(
        "addMemberIfGroupExists",
        dict(GHOST),
        {"idempotencyToken": "t" * 36, "context": {"tenant": "x"}},
        client_request_token="t" * 36,
    )
    assert list(first(client)) == ["TransactItems", "ClientRequestToken"]
    assert first(client)["ClientRequestToken"] == "t" * 36


def test_different_tokens_raise_before_any_call() -> None:
    runtime, client = make()
    with pytest.raises(ParameterValidationError):
        runtime.execute_transaction(
            "addMemberIfGroupExists",
            dict(GHOST),
            {"idempotencyToken": "a"},
            client_request_token="b",
        )
    assert client.calls == []


@pytest.mark.parametrize("token", ["", "x" * 37, 123, b"abc", ["a"]])
@pytest.mark.parametrize("route", ["options", "keyword"])
def test_invalid_token_raises_before_any_call(token: Any, route: str) -> None:
    runtime, client = make()
    with pytest.raises(ParameterValidationError):
        if route == "options":
            runtime.execute_transaction(
                "addMemberIfGroupExists", dict(GHOST), {"idempotencyToken": token}
            )
        else:
            runtime.execute_transaction(
                "addMemberIfGroupExists", dict(GHOST), client_request_token=token
            )
    assert client.calls == []


def test_invalid_token_is_rejected_even_when_nothing_would_be_sent() -> None:
    runtime, client = make()
    with pytest.raises(ParameterValidationError):
        runtime.execute_transaction("addMembers", add_members_params([]), {"idempotencyToken": ""})
    assert client.calls == []


@pytest.mark.parametrize("options", ["token", ["a"], {"context": 5}])
def test_invalid_options_raise_before_any_call(options: Any) -> None:
    runtime, client = make()
    with pytest.raises(ParameterValidationError):
        runtime.execute_transaction("addMemberIfGroupExists", dict(GHOST), options)
    assert client.calls == []


def test_nothing_else_is_sent() -> None:
    runtime, client = make()
    runtime.execute_transaction("addMemberIfGroupExists", dict(GHOST), {"context": {}})
    assert list(first(client)) == ["TransactItems"]


# --- cancellation reasons (section 13.3) ------------------------------------------------------


def test_reasons_map_foreach_elements_and_merged_item_origin() -> None:
    error = cancel_error(
        [
            {"Code": "None"},
            {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
            {"Code": "None"},
        ],
        "Transaction cancelled [None, ConditionalCheckFailed, None]",
    )
    runtime, client = make(error=error)
    member_list = [
        {"userId": "dan", "role": ""},
        {"userId": "carol", "role": "member"},
        {"userId": "erin", "role": "admin"},
    ]
    with pytest.raises(TransactionCanceledError) as caught:
        runtime.execute_transaction("addMembers", add_members_params(member_list))
    assert len(sent(client)) == 3
    assert caught.value.reasons == (
        CancellationReason(index=0, spec_item=0, element=1, code="None", message=None),
        CancellationReason(
            index=1,
            spec_item=0,
            element=2,
            code="ConditionalCheckFailed",
            message="The conditional request failed",
        ),
        # the merged Update takes the origin of its first member: spec item 1, element 1
        CancellationReason(index=2, spec_item=1, element=1, code="None", message=None),
    )


def test_reasons_index_the_items_sent_after_collapse() -> None:
    error = cancel_error(
        [{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Message": "failed"}],
        "Transaction cancelled [None, ConditionalCheckFailed]",
    )
    # spec items 0 and 2 are a same-key swap and are dropped: reasons index the sent items
    marker = {"tableName": "AppTable", "entity": "__marker__", "literalKey": True}
    swap_put = {**marker, "type": "Put", "item": {"PK": "GROUP#{groupId}", "SK": "USER#u9"}}
    swap_delete = {
        **marker,
        "type": "Delete",
        "keyCondition": {"PK": "GROUP#{groupId}", "SK": "USER#u9"},
    }
    items = [swap_put, g_update(add={"memberCount": "1"}), swap_delete, M_PUT]
    runtime, client = make({"t": {"params": G_PARAMS, "items": items}}, error=error)
    with pytest.raises(TransactionCanceledError) as caught:
        runtime.execute_transaction("t", G_ARGS)
    assert [next(iter(e)) for e in sent(client)] == ["Update", "Put"]
    assert caught.value.reasons == (
        CancellationReason(index=0, spec_item=1, element=None, code="None", message=None),
        CancellationReason(
            index=1, spec_item=3, element=None, code="ConditionalCheckFailed", message="failed"
        ),
    )


def test_reasons_fallback_to_the_message_list() -> None:
    runtime, _ = make(error=cancel_error(None, CANCEL_MESSAGE))
    with pytest.raises(TransactionCanceledError) as caught:
        runtime.execute_transaction("addMemberIfGroupExists", dict(GHOST))
    assert caught.value.code == "TransactionCanceledException"
    assert caught.value.operation_id == "addMemberIfGroupExists"
    assert caught.value.reasons == (
        CancellationReason(
            index=0, spec_item=0, element=None, code="ConditionalCheckFailed", message=None
        ),
        CancellationReason(index=1, spec_item=1, element=None, code="None", message=None),
    )


def test_reasons_empty_without_reasons_or_list() -> None:
    runtime, _ = make(error=cancel_error(None, "Transaction cancelled"))
    with pytest.raises(TransactionCanceledError) as caught:
        runtime.execute_transaction("addMemberIfGroupExists", dict(GHOST))
    assert caught.value.reasons == ()


def test_other_client_errors_and_foreign_exceptions() -> None:
    error = ClientError(
        {"Error": {"Code": "ValidationException", "Message": "bad"}},
        "TransactWriteItems",
    )
    runtime, _ = make(error=error)
    with pytest.raises(OperationExecutionError) as caught:
        runtime.execute_transaction("addMemberIfGroupExists", dict(GHOST))
    assert not isinstance(caught.value, TransactionCanceledError)
    assert caught.value.code == "ValidationException"
    boom = RuntimeError("boom")
    runtime, _ = make(error=boom)
    with pytest.raises(RuntimeError) as raw:
        runtime.execute_transaction("addMemberIfGroupExists", dict(GHOST))
    assert raw.value is boom


# --- look-up and params -----------------------------------------------------------------------


def test_unknown_transaction_id_with_suggestion() -> None:
    runtime, client = make()
    with pytest.raises(TransactionNotFoundError) as caught:
        runtime.execute_transaction("addMember", {})
    assert str(caught.value).startswith("unknown transaction 'addMember'")
    assert "'addMembers'" in str(caught.value)
    with pytest.raises(TransactionNotFoundError) as caught:
        runtime.execute_transaction("getUser", {"userId": "alice"})
    assert str(caught.value) == (
        "unknown transaction 'getUser': 'getUser' is a query, not a transaction; use execute_query"
    )
    assert client.calls == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([], "addMembers: params must be a mapping, got list []"),
        ({"joinedAt": JOINED, "members": []}, "addMembers: missing required parameter 'groupId'"),
        (
            {"groupId": None, "joinedAt": JOINED, "members": []},
            "addMembers: missing required parameter 'groupId'",
        ),
        (
            {"groupId": "eng", "joinedAt": JOINED, "members": "x"},
            "addMembers: parameter 'members' must be an array, got str 'x'",
        ),
        (
            {"groupId": "eng", "joinedAt": JOINED, "members": ["x"]},
            "addMembers: parameter 'members[0]' must be an object, got str 'x'",
        ),
        (
            {
                "groupId": "eng",
                "joinedAt": JOINED,
                "members": [{"userId": "a", "role": "r"}, {"role": "r"}],
            },
            "addMembers: parameter 'members[1]' missing required field 'userId'",
        ),
        (
            {"groupId": "eng", "joinedAt": JOINED, "members": [{"userId": "a", "role": 5}]},
            "addMembers: parameter 'members[0].role' must be a string, got int 5",
        ),
        (
            {"groupId": "eng", "joinedAt": JOINED, "members": [], "extra": None},
            "addMembers: unknown parameter 'extra'",
        ),
    ],
)
def test_bad_params_raise_before_any_call(params: Any, message: str) -> None:
    runtime, client = make()
    with pytest.raises(ParameterValidationError) as caught:
        runtime.execute_transaction("addMembers", params)
    assert str(caught.value) == message
    assert client.calls == []
