"""A four-op relation query through the runtime next to hand-written boto3 code doing the same work.

Scenario: ``execute_query("getUserAccess", {"userId": "alice"})`` of the worked example (FORMAT.md
section 43.5), where alice belongs to 20 groups. The runtime sends 1 GetItem (the user), 1 Query
on GSI1 (20 memberships), then, in one stage with at most 8 requests in flight (the spec's
``executionPlan``), 1 BatchGetItem for the 20 group items and 20 per-group permission Queries
(2 permissions each). The hand-written code makes the same 23 calls one after the other, decodes
with TypeDeserializer, projects the same fields and builds the same nested dict; the script
asserts both sides return equal results.

Canned responses are keyed on the request (the user key, the membership partition, each group's
partition, the batch's keys; batch items come back in reverse order), so a result attached to
the wrong parent fails the equality check. Two transports, as in ``bench_calls.py``:

* ``botocore``: a real boto3 client whose HTTP send is a ``before-send`` hook returning the
  canned responses (serialization, signing and parsing all run);
* ``cpu``: a fake client returning the canned dicts (the runtime's own work, threads included).

Two measurements:

(a) CPU: no latency; per-call time, runtime / hand-written.
(b) latency: every call sleeps 2 ms before answering; the runtime's wall time against the
    critical path, counting a fan-out stage as ceil(requests / concurrency) waves:
    root 1 + memberships 1 + max(batch 1, ceil(20 / 8) = 3) = 5 waves = 10 ms. The sequential
    hand-written wall time (23 calls) is shown for reference.

    python benchmarks/bench_relations.py [--quick] [--latency-ms 2]

Goals: (a) ratio <= 1.5 and (b) wall / critical path <= 1.3, on both transports.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from _transport import canned_client, per_call_us
from boto3.dynamodb.types import TypeDeserializer

from graphddb_runtime import GraphDDBRuntime
from graphddb_runtime.demo import example_spec

TABLE = "app-prod"
GROUPS = 20
PERMISSIONS = 2
LATENCY_MS = 2.0  # per call in (b); --latency-ms changes it
_DESERIALIZER = TypeDeserializer()

AV = dict[str, Any]

USER_ITEM: AV = {
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
GROUP_IDS = [f"g{i:02}" for i in range(GROUPS)]
MEMBERSHIPS: list[AV] = [
    {
        "PK": {"S": f"GROUP#{gid}"},
        "SK": {"S": "USER#alice"},
        "GSI1PK": {"S": "USER#alice"},
        "GSI1SK": {"S": f"GROUP#{gid}"},
        "groupId": {"S": gid},
        "userId": {"S": "alice"},
        "role": {"S": "admin" if i % 3 == 0 else "member"},
        "joinedAt": {"S": "2024-03-01T09:30:00.000Z"},
    }
    for i, gid in enumerate(GROUP_IDS)
]
# What BatchGetItem returns under the op's projection (groupId, name and the key attributes).
GROUP_ITEMS: dict[str, AV] = {
    gid: {
        "PK": {"S": f"GROUP#{gid}"},
        "SK": {"S": "META"},
        "groupId": {"S": gid},
        "name": {"S": f"Group {gid.upper()}"},
    }
    for gid in GROUP_IDS
}
PERMISSION_ITEMS: dict[str, list[AV]] = {
    gid: [
        {
            "PK": {"S": f"GROUP#{gid}"},
            "SK": {"S": f"PERM#repo-{gid}#{action}"},
            "groupId": {"S": gid},
            "resource": {"S": f"repo-{gid}"},
            "action": {"S": action},
        }
        for action in ("read", "write")[:PERMISSIONS]
    ]
    for gid in GROUP_IDS
}


def _query_response(items: list[AV]) -> AV:
    return {"Items": items, "Count": len(items), "ScannedCount": len(items)}


def respond(operation: str, request: AV) -> AV:
    """The canned response for one request, chosen from the request's own key values."""
    if operation == "GetItem":
        pk = request["Key"]["PK"]["S"]
        return {"Item": USER_ITEM} if pk == "USER#alice" else {}
    if operation == "Query":
        pk = request["ExpressionAttributeValues"][":k0"]["S"]
        if request.get("IndexName") == "GSI1":
            return _query_response(MEMBERSHIPS if pk == "USER#alice" else [])
        return _query_response(PERMISSION_ITEMS.get(pk.removeprefix("GROUP#"), []))
    if operation == "BatchGetItem":
        (table, entry), *_ = request["RequestItems"].items()
        found = [
            GROUP_ITEMS[key["PK"]["S"].removeprefix("GROUP#")]
            for key in entry["Keys"]
            if key["SK"]["S"] == "META" and key["PK"]["S"].removeprefix("GROUP#") in GROUP_ITEMS
        ]
        # DynamoDB returns batch items in no particular order: reverse them so that matching by
        # position instead of by key would attach the wrong group.
        return {"Responses": {table: found[::-1]}, "UnprocessedKeys": {}}
    raise AssertionError(f"unexpected operation {operation}")


# --- the hand-written side ----------------------------------------------------------------------


def _project(item: AV, fields: tuple[str, ...]) -> dict[str, Any]:
    plain = {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}
    return {f: plain[f] for f in fields if f in plain}


def hand_written(client: Any) -> Callable[[], Any]:
    """getUserAccess written directly against boto3: the same 23 calls, one after the other."""

    def get_user_access(user_id: str = "alice") -> Any:
        response = client.get_item(
            TableName=TABLE, Key={"PK": {"S": f"USER#{user_id}"}, "SK": {"S": "PROFILE"}}
        )
        item = response.get("Item")
        if not item:
            return None
        user = _project(item, ("userId", "name", "status"))

        response = client.query(
            TableName=TABLE,
            KeyConditionExpression="#k0 = :k0 AND begins_with(#kr, :kr)",
            ExpressionAttributeNames={"#k0": "GSI1PK", "#kr": "GSI1SK"},
            ExpressionAttributeValues={
                ":k0": {"S": f"USER#{user['userId']}"},
                ":kr": {"S": "GROUP#"},
            },
            IndexName="GSI1",
            Limit=20,
        )
        assert "LastEvaluatedKey" not in response  # no cursor to mint in this scenario
        memberships = [_project(i, ("groupId", "role")) for i in response.get("Items", [])]
        user["groups"] = {"items": memberships, "cursor": None}

        # Each membership's group: one BatchGetItem for the unique keys, matched by key.
        keys: list[AV] = []
        seen: set[str] = set()
        for membership in memberships:
            gid = membership["groupId"]
            if gid not in seen:
                seen.add(gid)
                keys.append({"PK": {"S": f"GROUP#{gid}"}, "SK": {"S": "META"}})
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        while keys:
            response = client.batch_get_item(
                RequestItems={
                    TABLE: {
                        "Keys": keys,
                        "ProjectionExpression": "#p0, #p1, #p2, #p3",
                        "ExpressionAttributeNames": {
                            "#p0": "groupId",
                            "#p1": "name",
                            "#p2": "PK",
                            "#p3": "SK",
                        },
                    }
                }
            )
            for raw in response["Responses"].get(TABLE, []):
                groups[(raw["PK"]["S"], raw["SK"]["S"])] = _project(raw, ("groupId", "name"))
            keys = response.get("UnprocessedKeys", {}).get(TABLE, {}).get("Keys", [])
        for membership in memberships:
            membership["group"] = groups.get((f"GROUP#{membership['groupId']}", "META"))

        # Each membership's permissions: one Query per group.
        for membership in memberships:
            response = client.query(
                TableName=TABLE,
                KeyConditionExpression="#k0 = :k0 AND begins_with(#kr, :kr)",
                ExpressionAttributeNames={"#k0": "PK", "#kr": "SK", "#f0": "resource"},
                ExpressionAttributeValues={
                    ":k0": {"S": f"GROUP#{membership['groupId']}"},
                    ":kr": {"S": "PERM#"},
                },
                Limit=20,
                FilterExpression="attribute_exists(#f0)",
            )
            assert "LastEvaluatedKey" not in response
            items = [_project(i, ("resource", "action")) for i in response.get("Items", [])]
            membership["permissions"] = {"items": items, "cursor": None}
        return user

    return get_user_access


# --- transports -----------------------------------------------------------------------------------


class _Latency:
    """The injected per-call latency (seconds): ``target`` while (b) runs, else 0."""

    seconds = 0.0
    target = LATENCY_MS / 1e3


def botocore_client(latency: _Latency) -> Any:
    """A real client whose HTTP send returns the canned responses (no network at all)."""
    # Encoded responses by (operation, request body): the same request always gets the same
    # answer, and the hook's own CPU stays a dict lookup instead of a JSON round trip per call.
    encoded: dict[tuple[str, bytes], bytes] = {}

    def payload(operation: str, body: bytes) -> bytes:
        answer = encoded.get((operation, body))
        if answer is None:
            answer = json.dumps(respond(operation, json.loads(body))).encode()
            encoded[(operation, body)] = answer
        if latency.seconds:
            time.sleep(latency.seconds)
        return answer

    return canned_client(payload)


class FakeClient:
    """Returns the canned response dicts directly: isolates the runtime's CPU cost."""

    def __init__(self, latency: _Latency) -> None:
        self.latency = latency

    def _answer(self, operation: str, request: AV) -> AV:
        response = respond(operation, request)
        if self.latency.seconds:
            time.sleep(self.latency.seconds)
        return response

    def get_item(self, **kwargs: Any) -> Any:
        return self._answer("GetItem", kwargs)

    def query(self, **kwargs: Any) -> Any:
        return self._answer("Query", kwargs)

    def batch_get_item(self, **kwargs: Any) -> Any:
        return self._answer("BatchGetItem", kwargs)


class Counting:
    """Wraps a client to count the calls of one execution (checks the scenario's shape)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()  # the runtime calls from several threads

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(**kwargs: Any) -> Any:
            with self.lock:
                self.calls[name] = self.calls.get(name, 0) + 1
            return method(**kwargs)

        return call


# --- measurement ----------------------------------------------------------------------------------

EXPECTED_CALLS = {"get_item": 1, "query": 1 + GROUPS, "batch_get_item": 1}


def _runtime(client: Any) -> Callable[[], Any]:
    manifest, operations = example_spec()
    rt = GraphDDBRuntime(client, manifest, operations, table_mapping={"AppTable": TABLE})
    return lambda: rt.execute_query("getUserAccess", {"userId": "alice"})


def check(client: Any) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """Both sides, after checking they make the expected calls and return equal results."""
    counted_ours, counted_theirs = Counting(client), Counting(client)
    ours, theirs = _runtime(counted_ours)(), hand_written(counted_theirs)()
    assert ours == theirs, "runtime and hand-written results differ"
    assert len(ours["groups"]["items"]) == GROUPS
    assert all(len(m["permissions"]["items"]) == PERMISSIONS for m in ours["groups"]["items"])
    assert counted_ours.calls == counted_theirs.calls == EXPECTED_CALLS, counted_ours.calls
    return _runtime(client), hand_written(client)


def _walls_ms(fn: Callable[[], Any], iterations: int) -> list[tuple[float, float]]:
    """(wall, process CPU) per call, in ms; the CPU counts every thread of the process."""
    walls = []
    for _ in range(iterations):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(((time.perf_counter() - start) * 1e3, (time.process_time() - cpu) * 1e3))
    return walls


def cpu_ratio(client: Any, iterations: int, rounds: int) -> tuple[float, float]:
    """(runtime us, hand-written us) per call: medians over interleaved rounds."""
    ours, theirs = check(client)
    a, b = [], []
    for _ in range(rounds):
        a.append(per_call_us(ours, iterations))
        b.append(per_call_us(theirs, iterations))
    return statistics.median(a), statistics.median(b)


def critical_path_waves(concurrency: int) -> int:
    """Root, memberships, then the stage: the batch alongside ceil(20 / concurrency) waves."""
    return 1 + 1 + max(1, math.ceil(GROUPS / concurrency))


def latency_walls(
    client: Any, latency: _Latency, iterations: int, rounds: int
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(wall, CPU) per call in ms, runtime and hand-written, latency injected, interleaved."""
    ours, theirs = check(client)
    a: list[tuple[float, float]] = []
    b: list[tuple[float, float]] = []
    latency.seconds = latency.target
    try:
        for _ in range(rounds):
            a.extend(_walls_ms(ours, iterations))
            b.extend(_walls_ms(theirs, max(1, iterations // 4)))  # each one is ~5x longer
    finally:
        latency.seconds = 0.0
    return a, b


def _sleep_ms(seconds: float, samples: int) -> float:
    """What ``time.sleep(seconds)`` really takes on this host (median), for context."""
    walls = []
    for _ in range(samples):
        start = time.perf_counter()
        time.sleep(seconds)
        walls.append((time.perf_counter() - start) * 1e3)
    return statistics.median(walls)


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--latency-ms", type=float, default=LATENCY_MS)
    args = parser.parse_args(argv)
    cpu_iterations, cpu_rounds = (5, 3) if args.quick else (100, 9)
    lat_iterations, lat_rounds = (4, 2) if args.quick else (40, 9)
    ok = True
    latency = _Latency()
    latency.target = args.latency_ms / 1e3
    transports = (("botocore", botocore_client(latency)), ("cpu", FakeClient(latency)))
    print(
        f"getUserAccess: 1 GetItem, 1 Query ({GROUPS} memberships), then 1 BatchGetItem "
        f"({GROUPS} keys) + {GROUPS} permission Queries ({PERMISSIONS} items each)"
    )

    print(f"(a) CPU, no latency: per call, medians of {cpu_rounds} rounds x {cpu_iterations} calls")
    print(f"  {'transport':<12}{'runtime':>11}{'boto3':>11}{'ratio':>8}{'overhead':>11}")
    for transport, client in transports:
        ours, theirs = cpu_ratio(client, cpu_iterations, cpu_rounds)
        ratio = ours / theirs
        print(
            f"  {transport:<12}{ours:>9.0f}us{theirs:>9.0f}us{ratio:>7.2f}x{ours - theirs:>9.0f}us"
        )
        ok = ok and ratio <= 1.5

    concurrency = example_spec()[1]["queries"]["getUserAccess"]["executionPlan"]["concurrency"]
    waves = critical_path_waves(concurrency)
    path = waves * args.latency_ms
    print(
        f"(b) {args.latency_ms:g} ms latency per call (time.sleep takes "
        f"{_sleep_ms(latency.target, 50):.2f} ms here); critical path {waves} waves x "
        f"{args.latency_ms:g} ms = {path:g} ms (concurrency {concurrency}); medians of "
        f"{lat_rounds} rounds x {lat_iterations} calls"
    )
    print(
        f"  {'transport':<12}{'wall':>9}{'p90':>9}{'CPU':>9}{'ratio':>8}"
        f"{'boto3 sequential wall':>23}{'CPU':>9}"
    )
    for transport, client in transports:
        ours, theirs = latency_walls(client, latency, lat_iterations, lat_rounds)
        wall = statistics.median(w for w, _ in ours)
        ratio = wall / path
        print(
            f"  {transport:<12}{wall:>7.2f}ms{_p90([w for w, _ in ours]):>7.2f}ms"
            f"{statistics.median(c for _, c in ours):>7.2f}ms{ratio:>7.2f}x"
            f"{statistics.median(w for w, _ in theirs):>21.2f}ms"
            f"{statistics.median(c for _, c in theirs):>7.2f}ms"
        )
        ok = ok and ratio <= 1.3
    print("  (CPU: process time per call, every thread; the GIL runs it one thread at a time)")
    print(f"goals ((a) ratio <= 1.5; (b) wall / critical path <= 1.3): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
