"""Transactions of 25 and 100 items through the runtime next to hand-written boto3 code.

The transaction is the worked example's ``addMembers`` (a ``forEach`` Put per member with key and
GSI derivation and a ``notExists`` condition, plus a per-member counter Update that collapses into
one ``ADD``): 24 members give 25 items and 99 members give 100. The hand-written code builds the
identical ``TransactItems`` (checked before timing, key order included) and sends it on the same
client.

Two transports, as in ``bench_calls.py``: ``botocore`` (a real client whose HTTP send is a
``before-send`` hook returning ``{}``), and ``cpu`` (a fake client), which isolates the runtime's
own work: expansion, derivation, collapse, size pre-flight. Both sides run interleaved, medians
of rounds; each round starts after a full ``gc.collect()`` (see ``compare``).

    python benchmarks/bench_transactions.py [--quick]

Goal (issue: transactions): botocore transport ratio <= 1.10 for both sizes.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import statistics
import sys
from collections.abc import Callable
from typing import Any

from _transport import canned_client, per_call_us

from graphddb_runtime import GraphDDBRuntime
from graphddb_runtime.demo import example_spec

TABLE = "app-prod"
JOINED = "2024-05-01T00:00:00.000Z"


def _params(members: int) -> dict[str, Any]:
    return {
        "groupId": "eng",
        "joinedAt": JOINED,
        "members": [{"userId": f"user{i:03}", "role": "member"} for i in range(members)],
    }


def hand_written(client: Any, params: dict[str, Any]) -> Callable[[], Any]:
    """The same TransactItems, built directly: one Put per member, one merged ADD."""

    def run() -> Any:
        group = params["groupId"]
        items: list[dict[str, Any]] = []
        count = 0
        for member in params["members"]:
            if member["role"] == "":
                continue
            user = member["userId"]
            items.append(
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {
                            "groupId": {"S": group},
                            "userId": {"S": user},
                            "role": {"S": member["role"]},
                            "joinedAt": {"S": params["joinedAt"]},
                            "PK": {"S": f"GROUP#{group}"},
                            "SK": {"S": f"USER#{user}"},
                            "GSI1PK": {"S": f"USER#{user}"},
                            "GSI1SK": {"S": f"GROUP#{group}"},
                        },
                        "ExpressionAttributeNames": {"#pk": "PK"},
                        "ConditionExpression": "attribute_not_exists(#pk)",
                    }
                }
            )
            count += 1
        if count:
            items.append(
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"PK": {"S": f"GROUP#{group}"}, "SK": {"S": "META"}},
                        "UpdateExpression": "ADD #a0 :a0",
                        "ExpressionAttributeNames": {"#a0": "memberCount"},
                        "ExpressionAttributeValues": {":a0": {"N": str(count)}},
                    }
                }
            )
            client.transact_write_items(TransactItems=items)

    return run


def botocore_client() -> Any:
    return canned_client(lambda operation, body: b"{}")


class FakeClient:
    def __init__(self) -> None:
        self.last: dict[str, Any] | None = None

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.last = kwargs
        return {}


def _runtime(client: Any) -> GraphDDBRuntime:
    manifest, operations = example_spec()
    operations = copy.deepcopy(operations)
    operations["transactions"]["addMembers"]["maxItems"] = 100
    return GraphDDBRuntime(client, manifest, operations, table_mapping={"AppTable": TABLE})


def check_same_request(members: int) -> None:
    ours, theirs = FakeClient(), FakeClient()
    params = _params(members)
    _runtime(ours).execute_transaction("addMembers", params)
    hand_written(theirs, params)()
    assert ours.last == theirs.last, "the runtime and the hand-written code differ"
    assert json.dumps(ours.last) == json.dumps(theirs.last), "the key order differs"
    assert ours.last is not None and len(ours.last["TransactItems"]) == members + 1


def compare(client: Any, members: int, iterations: int, rounds: int) -> tuple[float, float]:
    rt = _runtime(client)
    params = _params(members)

    def ours() -> None:
        rt.execute_transaction("addMembers", params)

    theirs = hand_written(client, params)
    a, b = [], []
    for _ in range(rounds):
        # A full collection before each round: otherwise the periodic full collections of
        # this process (about 20 ms each with botocore loaded, one every few hundred calls
        # of either side) phase-lock onto whichever side runs first in a round, and add
        # 100-200 us per call to its median. Young collections still run inside the rounds.
        gc.collect()
        a.append(per_call_us(ours, iterations))
        gc.collect()
        b.append(per_call_us(theirs, iterations))
    return statistics.median(a), statistics.median(b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    iterations, rounds = (5, 3) if args.quick else (100, 9)
    ok = True
    for members in (24, 99):
        check_same_request(members)
    for transport, factory in (("botocore", botocore_client), ("cpu", FakeClient)):
        print(f"transport: {transport}")
        print(f"  {'scenario':<24}{'runtime':>12}{'boto3':>12}{'ratio':>8}{'overhead':>12}")
        for members in (24, 99):
            ours, theirs = compare(factory(), members, iterations, rounds)
            ratio = ours / theirs
            name = f"{members + 1}-item transaction"
            print(
                f"  {name:<24}{ours:>10.1f}us{theirs:>10.1f}us{ratio:>7.2f}x"
                f"{ours - theirs:>10.1f}us"
            )
            if transport == "botocore" and ratio > 1.10:
                ok = False
    print(f"goal (botocore ratio <= 1.10 for both sizes): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
