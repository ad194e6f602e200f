"""The exact requests of docs/format.md section 43 (table mapped to ``app-prod``), in contract key
order. Builder tests compare with them byte for byte; Stubber tests expect them on the wire."""

from __future__ import annotations

from typing import Any

CREATE_USER_PARAMS = {
    "userId": "u1",
    "name": "Ada",
    "email": "ada@example.com",
    "createdAt": "2024-01-02T03:04:05.000Z",
}
CREATE_USER: dict[str, Any] = {
    "TableName": "app-prod",
    "Item": {
        "userId": {"S": "u1"},
        "name": {"S": "Ada"},
        "email": {"S": "ada@example.com"},
        "status": {"S": "active"},
        "createdAt": {"S": "2024-01-02T03:04:05.000Z"},
        "PK": {"S": "USER#u1"},
        "SK": {"S": "PROFILE"},
        "GSI1PK": {"S": "EMAIL#ada@example.com"},
        "GSI1SK": {"S": "PROFILE"},
    },
    "ExpressionAttributeNames": {"#pk": "PK"},
    "ConditionExpression": "attribute_not_exists(#pk)",
}

SET_ORDER_STATUS_PARAMS = {"orderId": "o1", "tenantId": "t1", "status": "SHIPPED"}
SET_ORDER_STATUS: dict[str, Any] = {
    "TableName": "app-prod",
    "Key": {"PK": {"S": "ORDER#o1"}, "SK": {"S": "META"}},
    "UpdateExpression": "SET #c0 = :c0, #gsi0pk = :gsi0pk, #gsi0sk = :gsi0sk",
    "ExpressionAttributeNames": {"#c0": "status", "#gsi0pk": "GSI1PK", "#gsi0sk": "GSI1SK"},
    "ExpressionAttributeValues": {
        ":c0": {"S": "SHIPPED"},
        ":gsi0pk": {"S": "TENANT#t1#STATUS#SHIPPED"},
        ":gsi0sk": {"S": "ORDER#o1"},
    },
    "ReturnValues": "ALL_NEW",
}

USER_BY_EMAIL: dict[str, Any] = {
    "TableName": "app-prod",
    "KeyConditionExpression": "#k0 = :k0 AND #k1 = :k1",
    "ExpressionAttributeNames": {"#k0": "GSI1PK", "#k1": "GSI1SK"},
    "ExpressionAttributeValues": {":k0": {"S": "EMAIL#alice@example.com"}, ":k1": {"S": "PROFILE"}},
    "IndexName": "GSI1",
}

MEMBERS_PARAMS = {"groupId": "eng", "joinedSince": "2024-01-01T00:00:00.000Z"}
MEMBERS_LIMIT_1: dict[str, Any] = {
    "TableName": "app-prod",
    "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
    "ExpressionAttributeNames": {"#k0": "PK", "#kr": "SK", "#f0": "role", "#f1": "joinedAt"},
    "ExpressionAttributeValues": {
        ":k0": {"S": "GROUP#eng"},
        ":kr": {"S": "USER#"},
        ":vf0": {"S": "admin"},
        ":vf1": {"S": "member"},
        ":vf2": {"S": "2024-01-01T00:00:00.000Z"},
    },
    "Limit": 1,
    "FilterExpression": "#f0 IN (:vf0, :vf1) AND #f1 >= :vf2",
}
ALICE_KEY = {"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#alice"}}
ALICE_CURSOR = "eyJQSyI6IkdST1VQI2VuZyIsIlNLIjoiVVNFUiNhbGljZSJ9"

# Section 43.5: the result of getUserAccess for alice.
ACCESS = {
    "userId": "alice",
    "name": "Alice",
    "status": "active",
    "groups": {
        "items": [
            {
                "groupId": "eng",
                "role": "admin",
                "group": {"groupId": "eng", "name": "Engineering"},
                "permissions": {
                    "items": [
                        {"resource": "codebase", "action": "read"},
                        {"resource": "codebase", "action": "write"},
                    ],
                    "cursor": None,
                },
            },
            {
                "groupId": "ops",
                "role": "member",
                "group": {"groupId": "ops", "name": "Operations"},
                "permissions": {"items": [], "cursor": None},
            },
        ],
        "cursor": None,
    },
}
