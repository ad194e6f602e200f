"""What the middleware layer costs a call when no middleware is registered (docs/format.md 35).

Three ways to run the same call, interleaved in one run:

* ``core``: the executor called directly (``_execute.reads.execute_query`` /
``_execute.writes.execute_command``
  on the runtime's engine), i.e. the core path with no middleware code at all;
* ``runtime``: the public method with an empty registry (snapshot, then the executor with the
  shared empty hook sets);
* ``1 empty mw``: the public method with one registered middleware that has no hooks: the
  executor runs the same (empty) hook lists, resolved from the snapshot (for information).

Scenarios: GetItem (``getUser``) and PutItem with GSI derivation (``createUser``), on the
``botocore`` transport (a real client with canned HTTP responses, as in ``bench_calls.py``) and the
``cpu`` transport (a fake client returning canned dicts).

    python benchmarks/bench_middleware.py [--quick]

Goal (middleware issue): with no middleware registered, per-call cost within 2 % of the core path
on the botocore transport.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from typing import Any

from _transport import canned_client, per_call_us

from graphddb_runtime import GraphDDBRuntime
from graphddb_runtime._execute import reads as _reads
from graphddb_runtime._execute import writes as _writes
from graphddb_runtime.demo import example_spec

USER_ITEM = {
    "PK": {"S": "USER#alice"},
    "SK": {"S": "PROFILE"},
    "userId": {"S": "alice"},
    "name": {"S": "Alice"},
    "email": {"S": "alice@example.com"},
    "status": {"S": "active"},
    "createdAt": {"S": "2023-11-20T08:00:00.000Z"},
}
RESPONSES: dict[str, dict[str, Any]] = {"GetItem": {"Item": USER_ITEM}, "PutItem": {}}
NEW_USER = {
    "userId": "u1",
    "name": "Ada",
    "email": "ada@example.com",
    "createdAt": "2024-01-02T03:04:05.000Z",
}
GOAL = 1.02


class _Fake:
    def get_item(self, **_: Any) -> dict[str, Any]:
        return RESPONSES["GetItem"]

    def put_item(self, **_: Any) -> dict[str, Any]:
        return RESPONSES["PutItem"]


def _client(transport: str) -> Any:
    if transport == "cpu":
        return _Fake()
    return canned_client(lambda op, _: json.dumps(RESPONSES[op]).encode())


def _runtimes(transport: str) -> tuple[GraphDDBRuntime, GraphDDBRuntime]:
    manifest, operations = example_spec()
    plain = GraphDDBRuntime(_client(transport), manifest, operations)
    hooked = GraphDDBRuntime(_client(transport), manifest, operations)
    hooked.use({"name": "empty"})
    return plain, hooked


def _scenarios(
    plain: GraphDDBRuntime, hooked: GraphDDBRuntime
) -> dict[str, dict[str, Callable[[], Any]]]:
    engine = plain._engine  # the core path, on purpose
    key = {"userId": "alice"}
    return {
        "GetItem": {
            "core": lambda: _reads.execute_query(engine, "getUser", key, None),
            "runtime": lambda: plain.execute_query("getUser", key),
            "1 empty mw": lambda: hooked.execute_query("getUser", key),
        },
        "Put + GSI derivation": {
            "core": lambda: _writes.execute_command(engine, "createUser", NEW_USER, None),
            "runtime": lambda: plain.execute_command("createUser", NEW_USER),
            "1 empty mw": lambda: hooked.execute_command("createUser", NEW_USER),
        },
    }


def _measure(
    variants: dict[str, Callable[[], Any]], rounds: int, calls: int
) -> tuple[dict[str, float], float]:
    """Median µs per call of each variant, and the median of the paired runtime/core ratios.

    Each round times every variant back to back (the order alternates between rounds), so a
    ratio compares samples taken under the same machine load.
    """
    samples: dict[str, list[float]] = {name: [] for name in variants}
    ratios: list[float] = []
    for fn in variants.values():
        per_call_us(fn, max(1, calls // 10))  # warm up
    names = list(variants)
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            samples[name].append(per_call_us(variants[name], calls))
        ratios.append(samples["runtime"][-1] / samples["core"][-1])
    return {name: statistics.median(v) for name, v in samples.items()}, statistics.median(ratios)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few samples (smoke test)")
    args = parser.parse_args(argv)
    rounds, calls = (3, 30) if args.quick else (31, 300)
    worst = 0.0
    for transport in ("botocore", "cpu"):
        plain, hooked = _runtimes(transport)
        print(f"transport: {transport}")
        print(f"  {'scenario':<22} {'core':>9} {'runtime':>9} {'ratio':>6} {'1 empty mw':>11}")
        for name, variants in _scenarios(plain, hooked).items():
            us, ratio = _measure(variants, rounds, calls)
            if transport == "botocore":
                worst = max(worst, ratio)
            print(
                f"  {name:<22} {us['core']:>7.1f}us {us['runtime']:>7.1f}us {ratio:>6.3f} "
                f"{us['1 empty mw']:>9.1f}us"
            )
    met = worst <= GOAL
    print(f"goal: runtime / core <= {GOAL} on botocore: {'met' if met else 'MISSED'} ({worst:.3f})")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
