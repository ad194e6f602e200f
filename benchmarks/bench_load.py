"""Construct time of GraphDDBRuntime next to plain ``json.load`` of the same two files.

Scenarios: the worked example of docs/format.md section 43, and a synthetic spec of 500 operations
(benchmarks/synthetic.py). Each construct runs with the process-wide caches cleared (parsed
templates, the compiled shape checker), so every sample is a cold construct as in a Lambda init.
Also reported: strict=True (full jsonschema validation) for comparison.

    python benchmarks/bench_load.py            # prints a table, exits 1 if a goal is missed
    python benchmarks/bench_load.py --quick    # fewer samples (used by the test suite)

Goals (issue: foundation): 500-operation construct <= 30 ms and <= 10x json.load.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic

from graphddb_runtime import GraphDDBRuntime
from graphddb_runtime._values.templates import parse_template
from graphddb_runtime.spec import _shape

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "specs" / "example"
GOAL_MS = 30.0
GOAL_RATIO = 10.0


def _clear_caches() -> None:
    parse_template.cache_clear()
    _shape.load_schema.cache_clear()


def _timed_ms(fn: Callable[[], object]) -> float:
    _clear_caches()
    gc.collect()
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _json_load(manifest: Path, operations: Path) -> None:
    for path in (manifest, operations):
        with path.open(encoding="utf-8") as handle:
            json.load(handle)


def measure(manifest: Path, operations: Path, samples: int) -> dict[str, float]:
    """Interleaved samples: each construct is paired with a json.load taken just before it, so
    the ratio is robust to the machine's speed drifting during the run."""
    client = object()
    loads, constructs, ratios = [], [], []
    for _ in range(samples):
        load = _timed_ms(lambda: _json_load(manifest, operations))
        construct = _timed_ms(lambda: GraphDDBRuntime(client, manifest, operations))
        loads.append(load)
        constructs.append(construct)
        ratios.append(construct / load)
    strict = statistics.median(
        _timed_ms(lambda: GraphDDBRuntime(client, manifest, operations, strict=True))
        for _ in range(max(3, samples // 5))
    )
    return {
        "json_load_ms": statistics.median(loads),
        "construct_ms": statistics.median(constructs),
        "strict_ms": strict,
        "ratio": statistics.median(ratios),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    parser.add_argument("--samples", type=int, default=None)
    args = parser.parse_args(argv)
    samples = args.samples or (7 if args.quick else 41)
    with tempfile.TemporaryDirectory() as tmp:
        big = synthetic.write(Path(tmp), 500)
        rows = [
            (
                "section 43 example",
                measure(EXAMPLE / "manifest.json", EXAMPLE / "operations.json", samples),
            ),
            ("synthetic, 500 operations", measure(*big, samples)),
        ]
        sizes = sum(p.stat().st_size for p in big)
    print(f"{'spec':<28}{'json.load':>11}{'construct':>11}{'ratio':>8}{'strict=True':>13}")
    for name, r in rows:
        print(
            f"{name:<28}{r['json_load_ms']:>9.2f}ms{r['construct_ms']:>9.2f}ms"
            f"{r['ratio']:>7.1f}x{r['strict_ms']:>11.2f}ms"
        )
    print(
        f"(synthetic spec: {sizes / 1024:.0f} KiB on disk; medians of {samples} cold constructs; "
        "ratio: median of per-sample ratios)"
    )
    big_row = rows[1][1]
    ok = big_row["construct_ms"] <= GOAL_MS and big_row["ratio"] <= GOAL_RATIO
    print(
        f"goal: 500-op construct <= {GOAL_MS:.0f} ms and <= {GOAL_RATIO:.0f}x json.load: "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
