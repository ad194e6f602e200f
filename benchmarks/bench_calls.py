"""Per-call cost of the runtime next to hand-written boto3 code doing the same work.

Two transports:

* ``botocore``: a real boto3 client whose HTTP layer is replaced by a ``before-send`` hook that
  returns canned responses, so serialization, signing, parsing and the runtime all run;
* ``cpu``: a fake client returning the canned response dicts, so the difference is exactly the
  runtime's own work (validation, request building, decoding, hydration).

Scenarios: GetItem, a GSI query returning one item, a partition Query returning 100 items, a Put
with GSI derivation, an Update with GSI re-derivation. The hand-written code builds the same
request and does the same decoding (TypeDeserializer, projection, datetime parsing).

    python benchmarks/bench_calls.py [--quick]

Goals (issue: core): botocore transport ratio <= 1.10 for every scenario; cpu mode
<= 10 us of runtime overhead per GetItem.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from _transport import canned_client, per_call_us
from boto3.dynamodb.types import TypeDeserializer

from graphddb_runtime import GraphDDBRuntime
from graphddb_runtime.demo import example_spec

TABLE = "app-prod"
_DESERIALIZER = TypeDeserializer()

USER_ITEM = {
    "PK": {"S": "USER#alice"},
    "SK": {"S": "PROFILE"},
    "GSI1PK": {"S": "EMAIL#alice@example.com"},
    "GSI1SK": {"S": "PROFILE"},
    "userId": {"S": "alice"},
    "name": {"S": "Alice"},
    "email": {"S": "alice@example.com"},
    "status": {"S": "active"},
    "createdAt": {"S": "2023-11-20T08:00:00.000Z"},
}
MEMBER_ITEMS = [
    {
        "PK": {"S": "GROUP#eng"},
        "SK": {"S": f"USER#u{i:03}"},
        "groupId": {"S": "eng"},
        "userId": {"S": f"u{i:03}"},
        "role": {"S": "member"},
        "joinedAt": {"S": "2024-03-01T09:30:00.000Z"},
    }
    for i in range(100)
]
RESPONSES: dict[str, dict[str, Any]] = {
    "GetItem": {"Item": USER_ITEM},
    "Query1": {"Items": [USER_ITEM], "Count": 1},
    "Query100": {"Items": MEMBER_ITEMS, "Count": 100},
    "PutItem": {},
    "UpdateItem": {},
}


def _parse_datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _project(
    item: dict[str, Any], fields: tuple[str, ...], dates: tuple[str, ...]
) -> dict[str, Any]:
    plain = {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}
    out = {f: plain[f] for f in fields if f in plain}
    for f in dates:
        if f in out:
            out[f] = _parse_datetime(out[f])
    return out


USER_FIELDS = ("userId", "name", "email", "status", "createdAt")


def hand_written(client: Any) -> dict[str, Callable[[], Any]]:
    """The same five access patterns written directly against boto3."""

    def get_item() -> Any:
        response = client.get_item(
            TableName=TABLE, Key={"PK": {"S": "USER#alice"}, "SK": {"S": "PROFILE"}}
        )
        item = response.get("Item")
        return _project(item, USER_FIELDS, ("createdAt",)) if item else None

    def query_one() -> Any:
        response = client.query(
            TableName=TABLE,
            KeyConditionExpression="#k0 = :k0 AND #k1 = :k1",
            ExpressionAttributeNames={"#k0": "GSI1PK", "#k1": "GSI1SK"},
            ExpressionAttributeValues={
                ":k0": {"S": "EMAIL#alice@example.com"},
                ":k1": {"S": "PROFILE"},
            },
            IndexName="GSI1",
        )
        items = response.get("Items", [])
        return _project(items[0], USER_FIELDS, ("createdAt",)) if items else None

    def query_100() -> Any:
        response = client.query(
            TableName=TABLE,
            KeyConditionExpression="#k0 = :k0 AND begins_with(#kr, :kr)",
            ExpressionAttributeNames={"#k0": "PK", "#kr": "SK", "#f0": "role", "#f1": "joinedAt"},
            ExpressionAttributeValues={
                ":k0": {"S": "GROUP#eng"},
                ":kr": {"S": "USER#"},
                ":vf0": {"S": "admin"},
                ":vf1": {"S": "member"},
                ":vf2": {"S": "2024-01-01T00:00:00.000Z"},
            },
            FilterExpression="#f0 IN (:vf0, :vf1) AND #f1 >= :vf2",
        )
        fields = ("groupId", "userId", "role", "joinedAt")
        items = [_project(i, fields, ("joinedAt",)) for i in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return {"items": items, "cursor": last}

    def put() -> Any:
        order_id, tenant, user, total = "o1", "t1", "u1", 99.5
        client.put_item(
            TableName=TABLE,
            Item={
                "orderId": {"S": order_id},
                "tenantId": {"S": tenant},
                "userId": {"S": user},
                "status": {"S": "PENDING"},
                "total": {"N": str(Decimal(str(total)))},
                "createdAt": {"S": "2024-06-01T12:00:00.000Z"},
                "PK": {"S": f"ORDER#{order_id}"},
                "SK": {"S": "META"},
                "GSI1PK": {"S": f"TENANT#{tenant}#STATUS#PENDING"},
                "GSI1SK": {"S": f"ORDER#{order_id}"},
            },
        )

    def update() -> Any:
        order_id, tenant, status = "o1", "t1", "SHIPPED"
        client.update_item(
            TableName=TABLE,
            Key={"PK": {"S": f"ORDER#{order_id}"}, "SK": {"S": "META"}},
            UpdateExpression="SET #c0 = :c0, #gsi0pk = :gsi0pk, #gsi0sk = :gsi0sk",
            ExpressionAttributeNames={"#c0": "status", "#gsi0pk": "GSI1PK", "#gsi0sk": "GSI1SK"},
            ExpressionAttributeValues={
                ":c0": {"S": status},
                ":gsi0pk": {"S": f"TENANT#{tenant}#STATUS#{status}"},
                ":gsi0sk": {"S": f"ORDER#{order_id}"},
            },
        )

    return {
        "GetItem": get_item,
        "GSI query, 1 item": query_one,
        "Query, 100 items": query_100,
        "Put + GSI derivation": put,
        "Update + GSI re-derivation": update,
    }


def through_runtime(rt: GraphDDBRuntime) -> dict[str, Callable[[], Any]]:
    members = {"groupId": "eng", "joinedSince": "2024-01-01T00:00:00.000Z"}
    order = {
        "orderId": "o1",
        "tenantId": "t1",
        "userId": "u1",
        "total": 99.5,
        "createdAt": "2024-06-01T12:00:00.000Z",
    }
    return {
        "GetItem": lambda: rt.execute_query("getUser", {"userId": "alice"}),
        "GSI query, 1 item": lambda: rt.execute_query(
            "getUserByEmail", {"email": "alice@example.com"}
        ),
        "Query, 100 items": lambda: rt.execute_query("listGroupMembers", members),
        "Put + GSI derivation": lambda: rt.execute_command("placeOrder", order),
        "Update + GSI re-derivation": lambda: rt.execute_command(
            "setOrderStatus", {"orderId": "o1", "tenantId": "t1", "status": "SHIPPED"}
        ),
    }


def botocore_client() -> Any:
    """A real client whose HTTP send returns canned responses (no network at all)."""

    def payload(operation: str, body: bytes) -> bytes:
        if operation == "Query":
            key = "Query1" if json.loads(body).get("IndexName") else "Query100"
        else:
            key = operation
        return json.dumps(RESPONSES[key]).encode()

    return canned_client(payload)


class FakeClient:
    """Returns the canned responses directly: isolates the runtime's CPU cost."""

    def get_item(self, **_: Any) -> Any:
        return RESPONSES["GetItem"]

    def query(self, **kwargs: Any) -> Any:
        return RESPONSES["Query1" if "IndexName" in kwargs else "Query100"]

    def put_item(self, **_: Any) -> Any:
        return RESPONSES["PutItem"]

    def update_item(self, **_: Any) -> Any:
        return RESPONSES["UpdateItem"]


def compare(client: Any, iterations: int, rounds: int) -> list[tuple[str, float, float]]:
    """(scenario, runtime us, hand-written us): medians over interleaved rounds."""
    manifest, operations = example_spec()
    rt = GraphDDBRuntime(client, manifest, operations, table_mapping={"AppTable": TABLE})
    ours, theirs = through_runtime(rt), hand_written(client)
    rows = []
    for name in ours:
        # Same work: both sides must produce the same result.
        assert ours[name]() == theirs[name](), name
        a, b = [], []
        for _ in range(rounds):
            a.append(per_call_us(ours[name], iterations))
            b.append(per_call_us(theirs[name], iterations))
        rows.append((name, statistics.median(a), statistics.median(b)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    iterations, rounds = (20, 3) if args.quick else (300, 9)
    ok = True
    for transport, client in (("botocore", botocore_client()), ("cpu", FakeClient())):
        print(f"transport: {transport}")
        print(f"  {'scenario':<28}{'runtime':>11}{'boto3':>11}{'ratio':>8}{'overhead':>11}")
        for name, ours, theirs in compare(client, iterations, rounds):
            ratio = ours / theirs
            print(
                f"  {name:<28}{ours:>9.1f}us{theirs:>9.1f}us{ratio:>7.2f}x{ours - theirs:>9.1f}us"
            )
            if transport == "botocore" and ratio > 1.10:
                ok = False
            if transport == "cpu" and name == "GetItem" and ours - theirs > 10:
                ok = False
    print(
        f"goals (botocore ratio <= 1.10; cpu GetItem overhead <= 10 us): "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
