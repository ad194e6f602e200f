"""The worked example (docs/format.md section 43) on real tables: in-process moto and a moto server.

Every single-op query and command of section 43 runs against tables created from the manifest,
and the results are the ones docs/format.md states.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from graphddb_runtime import (
    ConditionFailedError,
    CursorError,
    GraphDDBRuntime,
    ParameterValidationError,
    to_jsonable,
)
from graphddb_runtime.demo import example_spec, seed
from graphddb_runtime.local import create_tables

from .._golden import ACCESS

UTC = timezone.utc
TABLE = "app-prod"
MEMBERS = {"groupId": "eng", "joinedSince": "2024-01-01T00:00:00.000Z"}
ALICE_CURSOR = "eyJQSyI6IkdST1VQI2VuZyIsIlNLIjoiVVNFUiNhbGljZSJ9"


@pytest.fixture
def rt(dynamodb: Any) -> GraphDDBRuntime:
    manifest, operations = example_spec()
    create_tables(dynamodb, manifest, {"AppTable": TABLE})
    seed(dynamodb, TABLE)
    return GraphDDBRuntime(dynamodb, manifest, operations, table_mapping={"AppTable": TABLE})


def test_writes(rt: GraphDDBRuntime, dynamodb: Any) -> None:
    user = {
        "userId": "u1",
        "name": "Ada",
        "email": "ada@example.com",
        "createdAt": "2024-01-02T03:04:05.000Z",
    }
    assert rt.execute_command("createUser", user) is None
    with pytest.raises(ConditionFailedError) as caught:
        rt.execute_command("createUser", user)
    assert caught.value.code == "ConditionalCheckFailedException"
    assert caught.value.operation_id == "createUser"

    order = {
        "orderId": "o1",
        "tenantId": "t1",
        "userId": "u1",
        "total": 99.5,
        "createdAt": "2024-06-01T12:00:00.000Z",
    }
    assert rt.execute_command("placeOrder", order) is None
    stored = dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "ORDER#o1"}, "SK": {"S": "META"}})[
        "Item"
    ]
    assert stored["total"] == {"N": "99.5"}  # a number param is stored as N
    assert stored["GSI1PK"] == {"S": "TENANT#t1#STATUS#PENDING"}

    shipped = rt.execute_command(
        "setOrderStatus",
        {"orderId": "o1", "tenantId": "t1", "status": "SHIPPED"},
        {"returnValues": "ALL_NEW"},
    )
    assert shipped == {
        "orderId": "o1",
        "tenantId": "t1",
        "userId": "u1",
        "status": "SHIPPED",
        "total": Decimal("99.5"),
        "createdAt": datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
    }
    assert (
        rt.execute_command(
            "setOrderStatus", {"orderId": "o1", "tenantId": "t1", "status": "PACKED"}
        )
        is None
    )
    with pytest.raises(ParameterValidationError, match="also depends on 'tenantId'"):
        rt.execute_command("setOrderStatus", {"orderId": "o1", "status": "SHIPPED"})
    moved = dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "ORDER#o1"}, "SK": {"S": "META"}})[
        "Item"
    ]
    assert moved["GSI1PK"] == {"S": "TENANT#t1#STATUS#PACKED"}  # GSI re-derived

    assert rt.execute_command("raiseOrderTotal", {"orderId": "o1", "total": 150}) is None
    with pytest.raises(ConditionFailedError):
        rt.execute_command("raiseOrderTotal", {"orderId": "o1", "total": 120})

    assert rt.execute_command("removeMember", {"groupId": "eng", "userId": "bob"}) is None
    gone = dynamodb.get_item(
        TableName=TABLE, Key={"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#bob"}}
    )
    assert "Item" not in gone


def test_reads(rt: GraphDDBRuntime) -> None:
    rt.execute_command(
        "createUser",
        {
            "userId": "u1",
            "name": "Ada",
            "email": "ada@example.com",
            "createdAt": "2024-01-02T03:04:05.000Z",
        },
    )
    ada = {
        "userId": "u1",
        "name": "Ada",
        "email": "ada@example.com",
        "status": "active",
        "createdAt": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    assert rt.execute_query("getUser", {"userId": "u1"}) == ada
    assert rt.execute_query("getUser", {"userId": "u1"}, {"consistentRead": True}) == ada
    assert rt.execute_query("getUser", {"userId": "nobody"}) is None
    assert to_jsonable(ada) == {
        "userId": "u1",
        "name": "Ada",
        "email": "ada@example.com",
        "status": "active",
        "createdAt": "2024-01-02T03:04:05.000Z",
    }
    assert rt.execute_query("getUserByEmail", {"email": "alice@example.com"}) == {
        "userId": "alice",
        "name": "Alice",
        "email": "alice@example.com",
        "status": "active",
        "createdAt": datetime(2023, 11, 20, 8, 0, tzinfo=UTC),
    }
    assert rt.execute_query("getGroup", {"groupId": "eng"}, {"numbers": "native"}) == {
        "groupId": "eng",
        "name": "Engineering",
        "memberCount": 2,
    }
    assert rt.execute_query("listUserGroups", {"userId": "alice"}) == {
        "items": [{"groupId": "eng", "role": "admin"}, {"groupId": "ops", "role": "member"}],
        "cursor": None,
    }


def test_paging_with_cursors(rt: GraphDDBRuntime) -> None:
    first = rt.execute_query("listGroupMembers", MEMBERS, {"limit": 1})
    assert first == {
        "items": [
            {
                "groupId": "eng",
                "userId": "alice",
                "role": "admin",
                "joinedAt": datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
            }
        ],
        "cursor": ALICE_CURSOR,
    }
    second = rt.execute_query("listGroupMembers", MEMBERS, {"limit": 1, "cursor": ALICE_CURSOR})
    assert [m["userId"] for m in second["items"]] == ["bob"]
    with pytest.raises(CursorError, match="cursor belongs to a different partition"):
        rt.execute_query(
            "listGroupMembers", {**MEMBERS, "groupId": "ops"}, {"cursor": ALICE_CURSOR}
        )
    everything = rt.execute_query("listGroupMembers", MEMBERS, {"order": "desc"})
    assert [m["userId"] for m in everything["items"]] == ["bob", "alice"]


def test_an_unlimited_query_returns_100_then_50(rt: GraphDDBRuntime, dynamodb: Any) -> None:
    for i in range(150):
        dynamodb.put_item(
            TableName=TABLE,
            Item={
                "PK": {"S": "GROUP#big"},
                "SK": {"S": f"USER#u{i:03}"},
                "groupId": {"S": "big"},
                "userId": {"S": f"u{i:03}"},
                "role": {"S": "member"},
                "joinedAt": {"S": "2024-05-01T00:00:00.000Z"},
            },
        )
    params = {"groupId": "big", "joinedSince": "2024-01-01T00:00:00.000Z"}
    page = rt.execute_query("listGroupMembers", params)
    assert len(page["items"]) == 100 and page["cursor"] is not None
    rest = rt.execute_query("listGroupMembers", params, {"cursor": page["cursor"]})
    assert len(rest["items"]) == 50 and rest["cursor"] is None
    users = [m["userId"] for m in page["items"] + rest["items"]]
    assert users == [f"u{i:03}" for i in range(150)]  # nothing lost, nothing repeated


def test_the_four_operation_relation_query_returns_the_exact_tree(rt: GraphDDBRuntime) -> None:
    assert rt.execute_query("getUserAccess", {"userId": "alice"}) == ACCESS
    assert rt.execute_query("getUserAccess", {"userId": "nobody"}) is None


def test_a_nested_cursor_continues_with_the_continuation_query(
    rt: GraphDDBRuntime, dynamodb: Any
) -> None:
    for i in range(23):
        group = f"g{i:02}"
        dynamodb.put_item(
            TableName=TABLE,
            Item={
                "PK": {"S": f"GROUP#{group}"},
                "SK": {"S": "USER#dora"},
                "GSI1PK": {"S": "USER#dora"},
                "GSI1SK": {"S": f"GROUP#{group}"},
                "groupId": {"S": group},
                "userId": {"S": "dora"},
                "role": {"S": "member"},
            },
        )
    dynamodb.put_item(
        TableName=TABLE,
        Item={"PK": {"S": "USER#dora"}, "SK": {"S": "PROFILE"}, "userId": {"S": "dora"}},
    )
    access = rt.execute_query("getUserAccess", {"userId": "dora"})
    groups = access["groups"]
    assert [g["groupId"] for g in groups["items"]] == [f"g{i:02}" for i in range(20)]
    assert all(g["group"] is None for g in groups["items"])  # no META rows for these groups
    rest = rt.execute_query("listUserGroups", {"userId": "dora"}, {"cursor": groups["cursor"]})
    assert [g["groupId"] for g in rest["items"]] == ["g20", "g21", "g22"]
    assert rest["cursor"] is None
