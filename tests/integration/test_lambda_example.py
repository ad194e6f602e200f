"""examples/lambda: build function.zip, unpack it, and run ``handler.handler`` from the unpacked
copy in a fresh interpreter (so the vendored packages are imported, not this checkout) against the
moto server on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from graphddb_runtime.local import create_tables

from .conftest import CREDENTIALS

ROOT = Path(__file__).resolve().parents[2]
LAMBDA = ROOT / "examples" / "lambda"

# Runs in the child: argv[1] is the unpacked zip, argv[2] this checkout (kept off sys.path),
# stdin the list of events.
CHILD = """
import json, os, sys
task, checkout = sys.argv[1:]
sys.path[:] = [task] + [
    p for p in sys.path if p not in ("", task) and os.path.realpath(p) != checkout
]
import handler, graphddb_runtime, jsonschema
events = json.load(sys.stdin)
json.dump({
    "files": [handler.__file__, graphddb_runtime.__file__, jsonschema.__file__],
    "path": sys.path,
    "responses": [handler.handler(event, None) for event in events],
}, sys.stdout)
"""
ADA = {
    "userId": "ada",
    "name": "Ada",
    "email": "ada@example.com",
    "createdAt": "2024-01-02T03:04:05.000Z",
}
JOIN = {
    "groupId": "eng",
    "joinedAt": "2024-05-01T00:00:00.000Z",
    "members": [{"userId": "ada", "role": "admin"}],
}
MEMBERS = {"groupId": "eng", "joinedSince": "2024-01-01T00:00:00.000Z"}
EVENTS: list[Any] = [
    {"command": "createUser", "params": ADA},
    {"query": "getUser", "params": {"userId": "ada"}},
    {"query": "getUserByEmail", "params": {"email": "ada@example.com"}},
    {"transaction": "addMembers", "params": JOIN, "options": {"idempotencyToken": "t-1"}},
    {"query": "listGroupMembers", "params": MEMBERS, "options": {"limit": 10}},
    {"command": "createUser", "params": ADA},  # notExists: refused
    {"query": "getUser", "params": {}},  # missing required param
    {"query": "getUsr", "params": {"userId": "ada"}},  # unknown id
    {"params": {"userId": "ada"}},  # names no operation
]


def _package_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lambda_package", LAMBDA / "package.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _child_env(tmp_path: Path, endpoint: str, table: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTHONPATH"}
    env.update(
        AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
        AWS_DEFAULT_REGION=CREDENTIALS["region_name"],
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
        DYNAMODB_ENDPOINT_URL=endpoint,
        GRAPHDDB_TABLE_MAPPING=json.dumps({"AppTable": table}),
    )
    return env


def test_function_zip_runs_the_handler_on_moto(moto_server: str, tmp_path: Path) -> None:
    package = _package_script()
    out = package.build(tmp_path / "build" / "function.zip")
    assert package.build(tmp_path / "again.zip").read_bytes() == out.read_bytes()  # reproducible
    task = tmp_path / "task"
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        archive.extractall(task)
    assert {"handler.py", "generated/manifest.json", "generated/operations.json"} <= names
    assert "graphddb_runtime/__init__.py" in names and "jsonschema/__init__.py" in names
    assert not any(n.startswith(("boto3/", "botocore/")) for n in names)

    table = f"lambda-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=moto_server, **CREDENTIALS)
    create_tables(client, ROOT / "examples" / "generated" / "manifest.json", {"AppTable": table})

    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(task), os.path.realpath(ROOT)],
        input=json.dumps(EVENTS),
        capture_output=True,
        text=True,
        cwd=task,
        env=_child_env(tmp_path, moto_server, table),
        timeout=60,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    report = json.loads(child.stdout)
    for file in report["files"]:  # handler, graphddb_runtime and jsonschema: all from the zip
        assert Path(file).resolve().is_relative_to(task.resolve())
    assert not any(Path(p or ".").resolve() == ROOT for p in report["path"])

    responses = report["responses"]
    user = {**ADA, "status": "active"}
    assert responses[:5] == [
        {"result": None},
        {"result": user},
        {"result": user},
        {"result": None},
        {
            "result": {
                "items": [
                    {
                        "groupId": "eng",
                        "userId": "ada",
                        "role": "admin",
                        "joinedAt": "2024-05-01T00:00:00.000Z",
                    }
                ],
                "cursor": None,
            }
        },
    ]
    refused, missing, unknown, bad = (r["error"] for r in responses[5:])
    assert refused["type"] == "ConditionFailedError"
    assert missing["type"] == "ParameterValidationError" and "userId" in missing["message"]
    assert unknown["type"] == "QueryNotFoundError" and "getUsr" in unknown["message"]
    assert bad["type"] == "BadEvent"
    # The items really are in the mapped physical table.
    item = client.get_item(TableName=table, Key={"PK": {"S": "USER#ada"}, "SK": {"S": "PROFILE"}})
    assert item["Item"]["name"] == {"S": "Ada"}


def test_platform_build_uses_pip_for_the_lambda_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--platform`` runs pip (faked here: no network) and zips what it installed."""
    package = _package_script()
    commands: list[list[str]] = []

    def fake_run(command: list[str], check: bool) -> None:
        commands.append(command)
        target = Path(command[command.index("--target") + 1])
        for name in ("jsonschema/__init__.py", "rpds/rpds.so", "bin/jsonschema"):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_text("")

    monkeypatch.setattr(package.subprocess, "run", fake_run)
    out = package.build(
        tmp_path / "function.zip", platform="manylinux2014_aarch64", python_version="3.99"
    )
    [command] = commands
    assert command[command.index("--platform") + 1] == "manylinux2014_aarch64"
    assert command[command.index("--python-version") + 1] == "3.99"
    assert "--only-binary=:all:" in command and command[-1].startswith("jsonschema==")
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
    assert "jsonschema/__init__.py" in names and "rpds/rpds.so" in names
    assert "bin/jsonschema" not in names
    assert not any(n.endswith(".pyc") for n in names)  # another Python version: no bytecode
