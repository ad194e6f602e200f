"""The benchmark scripts run (a smoke test: timings are reported, never asserted here)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _script(name: str) -> Any:
    """Import a benchmark script (a module in ``benchmarks/``, which is not a package)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_bench_load_runs(capsys: pytest.CaptureFixture[str]) -> None:
    bench_load = _script("bench_load")
    assert bench_load.main(["--samples", "3"]) in (0, 1)  # 1 only means a goal was missed
    out = capsys.readouterr().out
    assert "section 43 example" in out and "synthetic, 500 operations" in out


def test_synthetic_spec_loads_cleanly_in_strict_mode() -> None:
    synthetic = _script("synthetic")
    from graphddb_runtime import GraphDDBRuntime  # noqa: PLC0415

    manifest, operations = synthetic.build(500)
    count = sum(len(operations[s]) for s in ("queries", "commands", "transactions"))
    assert count == 500
    assert GraphDDBRuntime(object(), manifest, operations, strict=True).spec_issues == ()


def test_bench_calls_runs_and_both_sides_agree(capsys: pytest.CaptureFixture[str]) -> None:
    bench_calls = _script("bench_calls")
    assert bench_calls.main(["--quick"]) in (0, 1)  # 1 only means a goal was missed
    out = capsys.readouterr().out
    assert "transport: botocore" in out and "transport: cpu" in out
    assert "Update + GSI re-derivation" in out


def test_bench_relations_runs_and_both_sides_agree(capsys: pytest.CaptureFixture[str]) -> None:
    bench_relations = _script("bench_relations")
    assert bench_relations.main(["--quick"]) in (0, 1)  # 1 only means a goal was missed
    out = capsys.readouterr().out
    assert "(a) CPU" in out and "critical path 5 waves" in out
    assert "  botocore " in out and "  cpu " in out


def test_bench_transactions_runs_and_both_sides_send_the_same_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bench_transactions = _script("bench_transactions")
    assert bench_transactions.main(["--quick"]) in (0, 1)  # 1 only means a goal was missed
    out = capsys.readouterr().out
    assert "25-item transaction" in out and "100-item transaction" in out


def test_bench_cold_start_runs_in_fresh_processes(capsys: pytest.CaptureFixture[str]) -> None:
    bench_cold_start = _script("bench_cold_start")
    assert bench_cold_start.main(["--quick"]) in (0, 1)  # 1 only means the goal was missed
    out = capsys.readouterr().out
    assert "section 43 example" in out and "synthetic, 500 ops" in out
    assert "(3+4)/(1+2)" in out and "goal:" in out


def test_bench_middleware_runs(capsys: pytest.CaptureFixture[str]) -> None:
    bench_middleware = _script("bench_middleware")
    assert bench_middleware.main(["--quick"]) in (0, 1)  # 1 only means a goal was missed
    out = capsys.readouterr().out
    assert "transport: botocore" in out and "transport: cpu" in out
    assert "Put + GSI derivation" in out and "goal: runtime / core" in out
