"""Expected values shared by the contract tests (unit and integration): the section 43.3 rows
as hydrated records, the section 32 cursor strings, extra rows of the contracts spec, and the
exact BatchGetItem request builder of section 19.3."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from ._golden import ALICE_CURSOR

AV = dict[str, Any]
UTC = timezone.utc
TABLE = "app-prod"
JOINED = "2024-05-01T00:00:00.000Z"
ALICE_INNER = ALICE_CURSOR  # the inner cursor of the section 32 example
ENG_ENVELOPE = (
    "eyJrZXkiOiJ7XCJncm91cElkXCI6XCJlbmdcIn0iLCJpbm5lciI6ImV5SlFTeUk2SWtkU1QxVlFJMlZ1WnlJc0lsTk"
    "xJam9pVlZORlVpTmhiR2xqWlNKOSJ9"
)

ENG = {"groupId": "eng", "name": "Engineering", "memberCount": Decimal("2")}
OPS = {"groupId": "ops", "name": "Operations", "memberCount": Decimal("5")}
ALICE = {
    "userId": "alice",
    "name": "Alice",
    "email": "alice@example.com",
    "status": "active",
    "createdAt": datetime(2023, 11, 20, 8, 0, tzinfo=UTC),
}
ENG_ALICE = {
    "groupId": "eng",
    "userId": "alice",
    "role": "admin",
    "joinedAt": datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
}
OPS_ALICE = {
    "groupId": "ops",
    "userId": "alice",
    "role": "member",
    "joinedAt": datetime(2024, 4, 1, tzinfo=UTC),
}
ENG_BOB = {
    "groupId": "eng",
    "userId": "bob",
    "role": "member",
    "joinedAt": datetime(2024, 3, 2, tzinfo=UTC),
}
EXTRA_ROWS: list[dict[str, Any]] = [
    {
        "PK": "PROJECT#p1",
        "SK": "META",
        "projectId": "p1",
        "name": "Apollo",
        "owner": {"groupId": "eng", "team": {"name": "core"}},
        "leadUserId": "alice",
    },
    {
        "PK": "PROJECT#p2",
        "SK": "META",
        "projectId": "p2",
        "name": "Borealis",
        "owner": {"groupId": "ops"},
        "leadUserId": "zed",
    },
    {"PK": "PROJECT#p3", "SK": "META", "projectId": "p3", "name": "Comet", "leadUserId": "alice"},
    {"PK": "COUNTER#5", "SK": "META", "n": 5, "label": "five"},
]
GROUP_FIELDS = ("groupId", "name", "memberCount", "PK", "SK")
MEMBER_FIELDS = ("groupId", "userId", "role", "joinedAt", "PK", "SK")
USER_FIELDS = ("userId", "name", "email", "status", "createdAt", "PK", "SK")

SERIALIZER = TypeSerializer()


def av_item(row: Mapping[str, Any]) -> AV:
    return {name: SERIALIZER.serialize(value) for name, value in row.items()}


def key(pk: str, sk: str) -> AV:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def batch_request(
    keys: list[AV], fields: tuple[str, ...], *, consistent: bool = False
) -> dict[str, Any]:
    names = {f"#p{i}": name for i, name in enumerate(fields)}
    entry: dict[str, Any] = {
        "Keys": keys,
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": names,
    }
    if consistent:
        entry["ConsistentRead"] = True
    return {"RequestItems": {TABLE: entry}}


def sign(payload: str, secret: str, scope: str) -> str:
    """Section 12.3 signature, computed independently of the runtime."""
    mac = hmac.new(secret.encode(), (scope + "\n" + payload).encode(), hashlib.sha256).digest()
    return payload + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
