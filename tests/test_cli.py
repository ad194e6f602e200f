"""The graphddb-runtime command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from graphddb_runtime.cli import main
from graphddb_runtime.spec._shape import load_schema

from ._cases import SPECS

MANIFEST = str(SPECS / "example" / "manifest.json")
OPERATIONS = str(SPECS / "example" / "operations.json")


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", MANIFEST, OPERATIONS, "--strict"]) == 0
    assert capsys.readouterr().out.strip() == "OK: 0 error(s), 0 advisory(ies)"


def test_validate_reports_every_issue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ops = json.loads(Path(OPERATIONS).read_text(encoding="utf-8"))
    ops["queries"]["getUser"]["operations"][0]["keyCondition"]["PK"] = "USER#{uid}"
    ops["queries"]["getGroup"]["cardinality"] = "single"
    bad = tmp_path / "operations.json"
    bad.write_text(json.dumps(ops), encoding="utf-8")
    assert main(["validate", MANIFEST, str(bad)]) == 1
    out = capsys.readouterr().out
    assert "[TP001] operations.json#/queries/getUser/operations/0/keyCondition/PK" in out
    assert "[QY002] operations.json#/queries/getGroup/cardinality" in out
    assert out.strip().endswith("FAILED: 2 error(s), 0 advisory(ies)")
    assert main(["validate", MANIFEST, str(bad), "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False
    assert [i["rule"] for i in payload["issues"]] == ["QY002", "TP001"]


def test_unknown_fields_fail_unless_warn_and_warn_fails_only_in_strict_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ops = json.loads(Path(OPERATIONS).read_text(encoding="utf-8"))
    ops["queries"]["getUser"]["sortOrder"] = "asc"  # unknown field: LD003
    path = tmp_path / "operations.json"
    path.write_text(json.dumps(ops), encoding="utf-8")
    assert main(["validate", MANIFEST, str(path)]) == 1
    out = capsys.readouterr().out
    assert "error    [LD003] operations.json#/queries/getUser/sortOrder" in out
    assert out.strip().endswith("FAILED: 1 error(s), 0 advisory(ies)")
    assert main(["validate", MANIFEST, str(path), "--unknown-fields", "warn"]) == 0
    assert "advisory [LD003]" in capsys.readouterr().out
    assert main(["validate", MANIFEST, str(path), "--unknown-fields", "warn", "--strict"]) == 1
    assert "[LD003]" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        main(["validate", MANIFEST, str(path), "--unknown-fields", "ignore"])
    assert usage.value.code == 2


def test_validate_fails_when_the_two_files_are_swapped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", OPERATIONS, MANIFEST]) == 1
    out = capsys.readouterr().out
    assert "[LD005] operations.json#: operations.json (the manifest) has no entities" in out
    assert "[LD006] manifest.json#: manifest.json (the operations) has no queries" in out
    assert out.count("(the two files look swapped)") == 2
    assert out.strip().endswith("FAILED: 2 error(s), 0 advisory(ies)")


def test_validate_reports_an_unsupported_version_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ops = json.loads(Path(OPERATIONS).read_text(encoding="utf-8"))
    ops["version"] = "1.3"
    ops["queries"]["getUser"]["sortOrder"] = "asc"  # not reported: the version gate failed
    path = tmp_path / "operations.json"
    path.write_text(json.dumps(ops), encoding="utf-8")
    assert main(["validate", MANIFEST, str(path), "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False
    assert [(i["rule"], i["pointer"]) for i in payload["issues"]] == [("VR001", "/version")]


def test_schema_prints_the_shipped_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "operations"]) == 0
    assert json.loads(capsys.readouterr().out) == load_schema("operations")


def test_console_entry_point_and_usage_errors() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "graphddb_runtime", "validate", MANIFEST, OPERATIONS],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "graphddb_runtime", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert usage.returncode == 2
