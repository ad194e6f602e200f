"""execute_query / execute_command / explain on a real boto3 client with botocore's Stubber.

The Stubber checks that each call's kwargs equal the expected ones, so these tests pin the exact
requests of docs/format.md section 43 end to end (validation, request, send, decode, result).
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from botocore.stub import Stubber

from graphddb_runtime import (
    CommandNotFoundError,
    ConditionFailedError,
    CursorError,
    GraphDDBRuntime,
    LimitExceededError,
    OperationExecutionError,
    ParameterValidationError,
    QueryNotFoundError,
    RuntimeLimits,
    ThrottledError,
)
from graphddb_runtime.cursor import encode_cursor

from . import _golden as golden
from ._cases import SPECS
from ._fake_dynamo import Recorder

UTC = timezone.utc
ALICE_CURSOR = golden.ALICE_CURSOR


@pytest.fixture
def client(boto_client: Any) -> Any:
    """The stubbed boto3 client of ``tests/conftest.py`` (``stub`` stubs it)."""
    return boto_client


def _runtime(client: Any, **kwargs: Any) -> GraphDDBRuntime:
    return GraphDDBRuntime(
        client,
        SPECS / "example" / "manifest.json",
        SPECS / "example" / "operations.json",
        table_mapping={"AppTable": "app-prod"},
        **kwargs,
    )


def test_get_item(client: Any, stub: Stubber) -> None:
    rt = _runtime(client)
    key = {"PK": {"S": "USER#u1"}, "SK": {"S": "PROFILE"}}
    stub.add_response(
        "get_item",
        {
            "Item": {
                **key,
                "userId": {"S": "u1"},
                "name": {"S": "Ada"},
                "email": {"S": "ada@example.com"},
                "status": {"S": "active"},
                "createdAt": {"S": "2024-01-02T03:04:05.000Z"},
                "GSI1PK": {"S": "EMAIL#ada@example.com"},
                "GSI1SK": {"S": "PROFILE"},
            }
        },
        {"TableName": "app-prod", "Key": key},
    )
    assert rt.execute_query("getUser", {"userId": "u1"}) == {
        "userId": "u1",
        "name": "Ada",
        "email": "ada@example.com",
        "status": "active",
        "createdAt": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    stub.add_response("get_item", {}, {"TableName": "app-prod", "Key": key, "ConsistentRead": True})
    assert rt.execute_query("getUser", {"userId": "u1"}, {"consistentRead": True}) is None


def test_gsi_query_cardinality_one(client: Any, stub: Stubber) -> None:
    rt = _runtime(client)
    stub.add_response(
        "query",
        {
            "Items": [
                {
                    "userId": {"S": "alice"},
                    "name": {"S": "Alice"},
                    "email": {"S": "alice@example.com"},
                    "status": {"S": "active"},
                    "createdAt": {"S": "2023-11-20T08:00:00.000Z"},
                }
            ],
            "LastEvaluatedKey": {"GSI1PK": {"S": "EMAIL#alice@example.com"}},
        },
        golden.USER_BY_EMAIL,
    )
    assert rt.execute_query("getUserByEmail", {"email": "alice@example.com"}) == {
        "userId": "alice",
        "name": "Alice",
        "email": "alice@example.com",
        "status": "active",
        "createdAt": datetime(2023, 11, 20, 8, 0, tzinfo=UTC),
    }
    with pytest.raises(ParameterValidationError) as caught:
        rt.execute_query("getUserByEmail", {"email": "a"}, {"consistentRead": True})
    assert str(caught.value) == (
        "getUserByEmail: consistentRead is not supported on index 'GSI1' (operation 0)"
    )


MEMBERS_REQUEST = golden.MEMBERS_LIMIT_1
MEMBERS = golden.MEMBERS_PARAMS


def _member(user: str, role: str, joined: str) -> dict[str, Any]:
    return {
        "PK": {"S": "GROUP#eng"},
        "SK": {"S": f"USER#{user}"},
        "groupId": {"S": "eng"},
        "userId": {"S": user},
        "role": {"S": role},
        "joinedAt": {"S": joined},
    }


def test_partition_query_pages_with_cursors(client: Any, stub: Stubber) -> None:
    rt = _runtime(client)
    stub.add_response(
        "query",
        {
            "Items": [_member("alice", "admin", "2024-03-01T09:30:00.000Z")],
            "LastEvaluatedKey": {"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#alice"}},
        },
        MEMBERS_REQUEST,
    )
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
    stub.add_response(
        "query",
        {
            "Items": [_member("bob", "member", "2024-03-02T00:00:00.000Z")],
            "LastEvaluatedKey": {"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#bob"}},
        },
        {
            **MEMBERS_REQUEST,
            "ExclusiveStartKey": {"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#alice"}},
        },
    )
    second = rt.execute_query("listGroupMembers", MEMBERS, {"limit": 1, "cursor": ALICE_CURSOR})
    assert second["cursor"] == "eyJQSyI6IkdST1VQI2VuZyIsIlNLIjoiVVNFUiNib2IifQ"
    with pytest.raises(CursorError) as caught:
        rt.execute_query(
            "listGroupMembers", {**MEMBERS, "groupId": "ops"}, {"cursor": ALICE_CURSOR}
        )
    assert str(caught.value) == "listGroupMembers: cursor belongs to a different partition"
    for bad in ("@@@", "eyJhIjoxfQ", 5):
        with pytest.raises(CursorError):
            rt.execute_query("listGroupMembers", MEMBERS, {"cursor": bad})


def test_unlimited_query_truncates_at_max_items_and_resumes(client: Any, stub: Stubber) -> None:
    rt = _runtime(client)
    items = [_member(f"u{i:03}", "member", "2024-03-02T00:00:00.000Z") for i in range(150)]
    request = {k: v for k, v in MEMBERS_REQUEST.items() if k != "Limit"}
    stub.add_response("query", {"Items": items}, request)
    page = rt.execute_query("listGroupMembers", MEMBERS)
    assert len(page["items"]) == 100
    assert page["items"][-1]["userId"] == "u099"
    assert page["cursor"] == encode_cursor({"PK": "GROUP#eng", "SK": "USER#u099"})
    stub.add_response(
        "query",
        {"Items": items[100:]},
        {**request, "ExclusiveStartKey": {"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#u099"}}},
    )
    rest = rt.execute_query("listGroupMembers", MEMBERS, {"cursor": page["cursor"]})
    assert len(rest["items"]) == 50 and rest["cursor"] is None


def test_signed_cursors(client: Any, stub: Stubber) -> None:
    rt = _runtime(client, cursor_secret="s3cret")
    stub.add_response(
        "query",
        {"Items": [], "LastEvaluatedKey": {"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#alice"}}},
        MEMBERS_REQUEST,
    )
    page = rt.execute_query("listGroupMembers", MEMBERS, {"limit": 1})
    assert page["cursor"] == (f"{ALICE_CURSOR}.uhcBqPGKWLmIT0602HQ9BGBGSF0ubPXRIH4cqOdlRVE")
    with pytest.raises(CursorError, match="cursor signature is invalid"):
        rt.execute_query("listGroupMembers", MEMBERS, {"cursor": ALICE_CURSOR})


def test_pre_flight_errors_happen_before_any_call(client: Any, stub: Stubber) -> None:
    rt = _runtime(client, limits=RuntimeLimits(max_items=10))
    with pytest.raises(LimitExceededError, match="listUserGroups: limit 20 exceeds max_items 10"):
        rt.execute_query("listUserGroups", {"userId": "alice"})
    with pytest.raises(LimitExceededError, match="limit 11 exceeds max_items 10"):
        rt.execute_query("listGroupMembers", MEMBERS, {"limit": 11})
    with pytest.raises(QueryNotFoundError, match="did you mean 'getUser'"):
        rt.execute_query("getUsr", {})
    for options, message in [
        ({"limit": 0}, "option 'limit' must be a positive integer"),
        ({"limit": True}, "option 'limit' must be a positive integer"),
        ({"order": "up"}, "option 'order' must be 'asc' or 'desc'"),
        ({"consistentRead": "yes"}, "option 'consistentRead' must be a boolean"),
        ({"numbers": "float"}, "option 'numbers'"),
        ([], "options must be a mapping"),
    ]:
        with pytest.raises(ParameterValidationError, match=message):
            rt.execute_query("listGroupMembers", MEMBERS, options)
    with pytest.raises(ParameterValidationError, match="missing required parameter 'groupId'"):
        rt.execute_query("listGroupMembers", {"joinedSince": "x"})


def test_native_numbers_and_descending_order(client: Any, stub: Stubber) -> None:
    rt = _runtime(client)
    stub.add_response(
        "get_item",
        {
            "Item": {
                "groupId": {"S": "eng"},
                "name": {"S": "Engineering"},
                "memberCount": {"N": "2"},
            }
        },
        {"TableName": "app-prod", "Key": {"PK": {"S": "GROUP#eng"}, "SK": {"S": "META"}}},
    )
    group = rt.execute_query("getGroup", {"groupId": "eng"}, {"numbers": "native"})
    assert group == {"groupId": "eng", "name": "Engineering", "memberCount": 2}
    assert type(group["memberCount"]) is int
    stub.add_response("query", {"Items": []}, {**MEMBERS_REQUEST, "ScanIndexForward": False})
    assert rt.execute_query("listGroupMembers", MEMBERS, {"limit": 1, "order": "desc"}) == {
        "items": [],
        "cursor": None,
    }


def test_commands(client: Any, stub: Stubber) -> None:
    rt = _runtime(client)
    params = golden.CREATE_USER_PARAMS
    put = golden.CREATE_USER
    stub.add_response("put_item", {}, put)
    assert rt.execute_command("createUser", params) is None
    stub.add_client_error(
        "put_item",
        "ConditionalCheckFailedException",
        "The conditional request failed",
        expected_params=put,
        response_meta={"RequestId": "req-1"},
    )
    with pytest.raises(ConditionFailedError) as caught:
        rt.execute_command("createUser", params)
    error = caught.value
    assert (error.code, error.operation_id, error.request_id) == (
        "ConditionalCheckFailedException",
        "createUser",
        "req-1",
    )
    assert str(error).startswith("createUser: DynamoDB operation failed: ")
    assert error.__cause__ is error.original


def test_update_returns_attributes(client: Any, stub: Stubber) -> None:
    rt = _runtime(client)
    stub.add_response(
        "update_item",
        {
            "Attributes": {
                "PK": {"S": "ORDER#o1"},
                "SK": {"S": "META"},
                "orderId": {"S": "o1"},
                "tenantId": {"S": "t1"},
                "userId": {"S": "u1"},
                "status": {"S": "SHIPPED"},
                "total": {"N": "99.5"},
                "createdAt": {"S": "2024-06-01T12:00:00.000Z"},
                "GSI1PK": {"S": "TENANT#t1#STATUS#SHIPPED"},
                "GSI1SK": {"S": "ORDER#o1"},
            }
        },
        golden.SET_ORDER_STATUS,
    )
    result = rt.execute_command(
        "setOrderStatus",
        {"orderId": "o1", "tenantId": "t1", "status": "SHIPPED"},
        {"returnValues": "ALL_NEW"},
    )
    assert result == {
        "orderId": "o1",
        "tenantId": "t1",
        "userId": "u1",
        "status": "SHIPPED",
        "total": Decimal("99.5"),
        "createdAt": datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
    }
    assert list(result) == ["orderId", "tenantId", "userId", "status", "total", "createdAt"]


def test_command_option_errors(client: Any, stub: Stubber) -> None:
    rt = _runtime(client)
    with pytest.raises(ParameterValidationError, match="must be one of \\['ALL_OLD'\\]"):
        rt.execute_command(
            "removeMember", {"groupId": "g", "userId": "u"}, {"returnValues": "ALL_NEW"}
        )
    with pytest.raises(CommandNotFoundError, match="did you mean 'removeMember'"):
        rt.execute_command("removeMembr", {})


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("ThrottlingException", ThrottledError),
        ("ProvisionedThroughputExceededException", ThrottledError),
        ("ValidationException", OperationExecutionError),
    ],
)
def test_error_mapping(client: Any, stub: Stubber, code: str, error: type[Exception]) -> None:
    rt = _runtime(client)
    stub.add_client_error("delete_item", code, "nope")
    with pytest.raises(error) as caught:
        rt.execute_command("removeMember", {"groupId": "g", "userId": "u"})
    assert type(caught.value) is error


def test_non_botocore_errors_propagate_unchanged() -> None:
    broken = Recorder()
    broken.fail_on("get_item", RuntimeError("socket on fire"))
    rt = _runtime(broken)
    with pytest.raises(RuntimeError, match="socket on fire"):
        rt.execute_query("getUser", {"userId": "u1"})


def test_explain_matches_section_43(client: Any) -> None:
    rt = _runtime(client)
    assert rt.explain("getUserAccess", {"userId": "alice"}) == {
        "queryId": "getUserAccess",
        "cardinality": "one",
        "operations": [
            {
                "type": "GetItem",
                "tableName": "app-prod",
                "keyCondition": {"PK": "USER#alice", "SK": "PROFILE"},
                "projection": ["userId", "name", "status"],
                "resultPath": "$",
                "request": {
                    "TableName": "app-prod",
                    "Key": {"PK": {"S": "USER#alice"}, "SK": {"S": "PROFILE"}},
                },
            },
            {
                "type": "Query",
                "tableName": "app-prod",
                "keyCondition": {"GSI1PK": "USER#{result.userId}"},
                "projection": ["groupId", "role"],
                "resultPath": "$.groups.items",
                "indexName": "GSI1",
                "rangeCondition": {"operator": "begins_with", "key": "GSI1SK", "value": "GROUP#"},
                "limit": 20,
                "sourceField": "userId",
                "request": {
                    "TableName": "app-prod",
                    "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
                    "ExpressionAttributeNames": {"#k0": "GSI1PK", "#kr": "GSI1SK"},
                    "ExpressionAttributeValues": {
                        ":k0": {"S": "USER#{result.userId}"},
                        ":kr": {"S": "GROUP#"},
                    },
                    "IndexName": "GSI1",
                    "Limit": 20,
                },
            },
            {
                "type": "BatchGetItem",
                "tableName": "app-prod",
                "keyCondition": {"PK": "GROUP#{result.groupId}", "SK": "META"},
                "projection": ["groupId", "name"],
                "resultPath": "$.groups.items.group",
                "sourceField": "groupId",
                "request": {
                    "RequestItems": {
                        "app-prod": {
                            "Keys": [{"PK": {"S": "GROUP#{result.groupId}"}, "SK": {"S": "META"}}],
                            "ProjectionExpression": "#p0, #p1, #p2, #p3",
                            "ExpressionAttributeNames": {
                                "#p0": "groupId",
                                "#p1": "name",
                                "#p2": "PK",
                                "#p3": "SK",
                            },
                        }
                    }
                },
            },
            {
                "type": "Query",
                "tableName": "app-prod",
                "keyCondition": {"PK": "GROUP#{result.groupId}"},
                "projection": ["resource", "action"],
                "resultPath": "$.groups.items.permissions.items",
                "rangeCondition": {"operator": "begins_with", "key": "SK", "value": "PERM#"},
                "limit": 20,
                "filter": {"declarative": {"resource": {"attributeExists": True}}},
                "sourceField": "groupId",
                "request": {
                    "TableName": "app-prod",
                    "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
                    "ExpressionAttributeNames": {"#k0": "PK", "#kr": "SK", "#f0": "resource"},
                    "ExpressionAttributeValues": {
                        ":k0": {"S": "GROUP#{result.groupId}"},
                        ":kr": {"S": "PERM#"},
                    },
                    "Limit": 20,
                    "FilterExpression": "attribute_exists(#f0)",
                },
            },
        ],
        "executionPlan": {"groups": [[0], [1], [2, 3]], "concurrency": 8},
    }
    explained = rt.explain("listGroupMembers", MEMBERS, {"limit": 1, "cursor": ALICE_CURSOR})
    request = explained["operations"][0]["request"]
    assert request["Limit"] == 1
    assert request["ExclusiveStartKey"] == {"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#alice"}}
    assert rt.explain("getUser", {"userId": "u1"})["executionPlan"] == {
        "groups": [[0]],
        "concurrency": 16,
    }
