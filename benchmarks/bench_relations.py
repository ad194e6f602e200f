"""A four-op relation query through the runtime next to hand-written boto3 code doing the same work.

Scenario: ``execute_query("getUserAccess", {"userId": "alice"})`` of the worked example
(docs/format.md section 43.5), where alice belongs to 20 groups. The runtime sends 1 GetItem (the
user), 1 Query on GSI1 (20 memberships), then, in one stage with at most 8 requests in flight (the
spec's ``executionPlan``), 1 BatchGetItem for the 20 group items and 20 per-group permission Queries
(2 permissions each). The hand-written code makes the same 23 calls, decodes with TypeDeserializer,
projects the same fields and builds the same nested dict, in two versions: sequential (one call
after the other) and threaded (the last stage on a ThreadPoolExecutor with the plan's 8 workers, the
BatchGetItem submitted first). The script asserts that all three return equal results and make the
same calls.

Canned responses are keyed on the request (the user key, the membership partition, each group's
partition, the batch's keys; batch items come back in reverse order), so a result attached to
the wrong parent fails the equality check. Two transports, as in ``bench_calls.py``:

* ``botocore``: a real boto3 client whose HTTP send is a ``before-send`` hook returning the
  canned responses (serialization, signing and parsing all run);
* ``cpu``: a fake client returning the canned dicts (the runtime's own work, threads included).

Two measurements:

(a) CPU: no latency; per-call time, runtime / sequential hand-written.
(b) latency: every call sleeps 2 ms before answering; the runtime's wall time against the
    critical path, counting a fan-out stage as ceil(requests / concurrency) waves:
    root 1 + memberships 1 + max(batch 1, ceil(20 / 8) = 3) = 5 waves = 10 ms, and against the
    threaded hand-written code in the same run (rt/thr): what threads can do on this transport
    under the GIL, measured rather than estimated. The sequential wall time (23 calls) is shown
    for reference.

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
from concurrent.futures import ThreadPoolExecutor
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


def _user(client: Any, user_id: str) -> dict[str, Any] | None:
    response = client.get_item(
        TableName=TABLE, Key={"PK": {"S": f"USER#{user_id}"}, "SK": {"S": "PROFILE"}}
    )
    item = response.get("Item")
    return _project(item, ("userId", "name", "status")) if item else None


def _memberships(client: Any, user: dict[str, Any]) -> list[dict[str, Any]]:
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
    return [_project(i, ("groupId", "role")) for i in response.get("Items", [])]


def _groups(client: Any, memberships: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    """Each membership's group: one BatchGetItem for the unique keys, matched by key."""
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
    return groups


def _permissions(client: Any, membership: dict[str, Any]) -> dict[str, Any]:
    """One membership's permissions: one Query for its group."""
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
    return {"items": items, "cursor": None}


def hand_written(client: Any) -> Callable[[], Any]:
    """getUserAccess written directly against boto3: the same 23 calls, one after the other."""

    def get_user_access(user_id: str = "alice") -> Any:
        user = _user(client, user_id)
        if user is None:
            return None
        memberships = _memberships(client, user)
        user["groups"] = {"items": memberships, "cursor": None}
        groups = _groups(client, memberships)
        for membership in memberships:
            membership["group"] = groups.get((f"GROUP#{membership['groupId']}", "META"))
        for membership in memberships:
            membership["permissions"] = _permissions(client, membership)
        return user

    return get_user_access


def hand_written_threaded(client: Any, concurrency: int) -> Callable[[], Any]:
    """The same calls with the last stage on a ThreadPoolExecutor (``concurrency`` in flight).

    What a careful hand-written version does: the pool is created once and reused, the
    BatchGetItem is submitted first, then the 20 permission Queries; the calling thread waits.
    """
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench-threaded")

    def get_user_access(user_id: str = "alice") -> Any:
        user = _user(client, user_id)
        if user is None:
            return None
        memberships = _memberships(client, user)
        user["groups"] = {"items": memberships, "cursor": None}
        groups = pool.submit(_groups, client, memberships)
        permissions = [pool.submit(_permissions, client, m) for m in memberships]
        found = groups.result()
        for membership in memberships:
            membership["group"] = found.get((f"GROUP#{membership['groupId']}", "META"))
        for membership, future in zip(memberships, permissions, strict=True):
            membership["permissions"] = future.result()
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


def plan_concurrency() -> int:
    """The in-flight bound of getUserAccess's ``executionPlan`` (8)."""
    concurrency: int = example_spec()[1]["queries"]["getUserAccess"]["executionPlan"]["concurrency"]
    return concurrency


def check(client: Any) -> tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any]]:
    """The runtime, the sequential and the threaded hand-written code, after checking that
    they make the expected calls and return equal results."""
    counted = [Counting(client) for _ in range(3)]
    ours = _runtime(counted[0])()
    theirs = hand_written(counted[1])()
    threaded = hand_written_threaded(counted[2], plan_concurrency())()
    assert ours == theirs == threaded, "runtime and hand-written results differ"
    assert len(ours["groups"]["items"]) == GROUPS
    assert all(len(m["permissions"]["items"]) == PERMISSIONS for m in ours["groups"]["items"])
    for counting in counted:
        assert counting.calls == EXPECTED_CALLS, counting.calls
    return _runtime(client), hand_written(client), hand_written_threaded(client, plan_concurrency())


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
    ours, theirs, _ = check(client)
    a, b = [], []
    for _ in range(rounds):
        a.append(per_call_us(ours, iterations))
        b.append(per_call_us(theirs, iterations))
    return statistics.median(a), statistics.median(b)


def critical_path_waves(concurrency: int) -> int:
    """Root, memberships, then the stage: the batch alongside ceil(20 / concurrency) waves."""
    return 1 + 1 + max(1, math.ceil(GROUPS / concurrency))


Walls = list[tuple[float, float]]


def latency_walls(
    client: Any, latency: _Latency, iterations: int, rounds: int
) -> tuple[Walls, Walls, Walls]:
    """(wall, CPU) per call in ms of the runtime, the threaded and the sequential hand-written
    code, latency injected, interleaved round by round."""
    ours, theirs, threaded = check(client)
    a: Walls = []
    b: Walls = []
    c: Walls = []
    latency.seconds = latency.target
    try:
        for _ in range(rounds):
            a.extend(_walls_ms(ours, iterations))
            c.extend(_walls_ms(threaded, iterations))
            b.extend(_walls_ms(theirs, max(1, iterations // 4)))  # each one is ~5x longer
    finally:
        latency.seconds = 0.0
    return a, c, b


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

    concurrency = plan_concurrency()
    waves = critical_path_waves(concurrency)
    path = waves * args.latency_ms
    print(
        f"(b) {args.latency_ms:g} ms latency per call (time.sleep takes "
        f"{_sleep_ms(latency.target, 50):.2f} ms here); critical path {waves} waves x "
        f"{args.latency_ms:g} ms = {path:g} ms (concurrency {concurrency}); medians of "
        f"{lat_rounds} rounds x {lat_iterations} calls"
    )
    print(
        f"  {'':<12}{'runtime':^35}{'boto3 threaded':^26}{'':>9}{'boto3 sequential':^18}\n"
        f"  {'transport':<12}{'wall':>9}{'p90':>9}{'CPU':>9}{'/path':>8}"
        f"{'wall':>9}{'CPU':>9}{'/path':>8}{'rt/thr':>9}{'wall':>9}{'CPU':>9}"
    )
    for transport, client in transports:
        ours, threaded, theirs = latency_walls(client, latency, lat_iterations, lat_rounds)
        wall = statistics.median(w for w, _ in ours)
        threaded_wall = statistics.median(w for w, _ in threaded)
        ratio = wall / path
        print(
            f"  {transport:<12}{wall:>7.2f}ms{_p90([w for w, _ in ours]):>7.2f}ms"
            f"{statistics.median(c for _, c in ours):>7.2f}ms{ratio:>7.2f}x"
            f"{threaded_wall:>7.2f}ms{statistics.median(c for _, c in threaded):>7.2f}ms"
            f"{threaded_wall / path:>7.2f}x{wall / threaded_wall:>8.2f}x"
            f"{statistics.median(w for w, _ in theirs):>7.2f}ms"
            f"{statistics.median(c for _, c in theirs):>7.2f}ms"
        )
        ok = ok and ratio <= 1.3
    print(
        "  (CPU: process time per call, every thread; the GIL runs it one thread at a time. "
        "boto3 threaded: the same calls, the last stage on a ThreadPoolExecutor with "
        f"{concurrency} workers; rt/thr: runtime wall / threaded wall)"
    )
    print(f"goals ((a) ratio <= 1.5; (b) wall / critical path <= 1.3): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
