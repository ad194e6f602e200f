"""The embedded-DynamoDB helpers: table definitions from a manifest, and the demo command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from graphddb_runtime import GraphDDBRuntime
from graphddb_runtime.demo import example_spec, run_demo
from graphddb_runtime.local import create_tables, table_definitions
from graphddb_runtime.spec import load_spec

from ._cases import SPECS

ROOT = Path(__file__).resolve().parent.parent


def test_the_three_copies_of_the_worked_example_agree() -> None:
    manifest, operations = example_spec()
    for folder in (SPECS / "example", ROOT / "examples" / "generated"):
        assert json.loads((folder / "manifest.json").read_text(encoding="utf-8")) == manifest
        assert json.loads((folder / "operations.json").read_text(encoding="utf-8")) == operations


def test_table_definitions_cover_keys_and_every_gsi() -> None:
    manifest, operations = example_spec()
    catalog = GraphDDBRuntime(object(), manifest, operations)._engine.catalog
    [table] = table_definitions(catalog, {"AppTable": "app-prod"})
    assert table == {
        "TableName": "app-prod",
        "AttributeDefinitions": [
            {"AttributeName": a, "AttributeType": "S"} for a in ("PK", "SK", "GSI1PK", "GSI1SK")
        ],
        "KeySchema": [
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "GSI1",
                "KeySchema": [
                    {"AttributeName": "GSI1PK", "KeyType": "HASH"},
                    {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }


def test_numeric_whole_placeholder_keys_are_n() -> None:
    manifest = {
        "entities": {
            "Counter": {
                "table": "Counters",
                "key": {"pkTemplate": "{id}"},
                "fields": {"id": {"type": "number"}},
            }
        }
    }
    # The manifest alone, as create_tables loads it (an empty operations.json is LD006).
    catalog = load_spec(manifest, {}, manifest_only=True).catalog
    [table] = table_definitions(catalog)
    assert table["AttributeDefinitions"] == [{"AttributeName": "PK", "AttributeType": "N"}]
    assert table["KeySchema"] == [{"AttributeName": "PK", "KeyType": "HASH"}]
    assert "GlobalSecondaryIndexes" not in table


def test_create_tables_is_idempotent() -> None:
    manifest, _ = example_spec()
    with mock_aws():
        client: Any = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        assert create_tables(client, manifest, {"AppTable": "t1"}) == ["t1"]
        assert create_tables(client, manifest, {"AppTable": "t1"}) == []
        description = client.describe_table(TableName="t1")["Table"]
        assert [i["IndexName"] for i in description["GlobalSecondaryIndexes"]] == ["GSI1"]


def test_demo_runs_every_access_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo() == 0
    out = capsys.readouterr().out
    _, operations = example_spec()
    every = [*operations["queries"], *operations["commands"], *operations["transactions"]]
    for name in every:
        assert f"\n{name} " in out, name
    for contract, spec in operations["contracts"].items():
        for method in spec["methods"]:
            assert f"\n{contract}.{method} " in out, (contract, method)
    assert '-> {"{\\"groupId\\":\\"eng\\"}": {"groupId": "eng"' in out  # the keyed batch map
    assert '"{\\"groupId\\":\\"nope\\"}": null}' in out
    assert "Error" not in out.replace("TransactionCanceledError (nothing written)", "")
    for name in (
        "getUser",
        "getUserByEmail",
        "listGroupMembers",
        "listUserGroups",
        "getGroup",
        "createUser",
        "placeOrder",
        "setOrderStatus",
        "raiseOrderTotal",
        "removeMember",
    ):
        assert f"\n{name} " in out
    assert '"memberCount": 2' in out
    assert '"status": "SHIPPED", "total": 99.5' in out
    assert 'read back after createUser: {"userId": "u1", "name": "Ada"' in out
    assert '"group": {"groupId": "eng", "name": "Engineering"}' in out  # getUserAccess tree
    assert "item 0: ConditionalCheckFailed, item 1: None" in out
    assert (
        'read back after addMembers: {"groupId": "eng", "name": "Engineering", "memberCount": 4}'
        in out
    )


def test_repositories_example_runs() -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "use_repositories.py")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "user: {'userId': 'ada'" in run.stdout
    assert "'status': 'SHIPPED'" in run.stdout
