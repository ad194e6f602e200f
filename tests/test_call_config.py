"""Configuration fails closed (docs/format.md sections 2.1, 3.2, 15.2 and 15.6).

- ``table_mapping`` keys must be logical tables; the physical name is the mapping, else the
  manifest's ``physicalName``, else the logical name, everywhere a table name is sent;
- every constructor argument is type-checked.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from graphddb_runtime import (
    ConfigurationError,
    GraphDDBRuntime,
    SpecError,
)
from graphddb_runtime.local import create_tables

from ._fake_dynamo import Recorder

SPECS = Path(__file__).resolve().parent / "specs" / "contracts"
MANIFEST, OPERATIONS = SPECS / "manifest.json", SPECS / "operations.json"
MANIFEST_JSON: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
JOINED = "2024-05-01T00:00:00.000Z"
USER = {
    "PK": {"S": "USER#alice"},
    "SK": {"S": "PROFILE"},
    "userId": {"S": "alice"},
    "name": {"S": "Alice"},
    "status": {"S": "active"},
}
MEMBERSHIP = {
    "PK": {"S": "GROUP#eng"},
    "SK": {"S": "USER#alice"},
    "GSI1PK": {"S": "USER#alice"},
    "GSI1SK": {"S": "GROUP#eng"},
    "groupId": {"S": "eng"},
    "userId": {"S": "alice"},
    "role": {"S": "admin"},
}


def _every_kind_of_request(rt: GraphDDBRuntime) -> None:
    """One call of each request shape: GetItem, Query, relation BatchGetItem, the three
    single-op writes, TransactWriteItems, point-array BatchGetItem, BatchWriteItem, read-back."""
    rt.execute_query("getUserAccess", {"userId": "alice"})
    rt.execute_command(
        "createUser", {"userId": "u1", "name": "Ada", "email": "a@x.io", "createdAt": JOINED}
    )
    rt.execute_command("disableUser", {"userId": "u1", "status": "disabled"})
    rt.execute_command("removeMember", {"groupId": "eng", "userId": "u1"})
    rt.execute_transaction(
        "addMembers",
        {"groupId": "eng", "joinedAt": JOINED, "members": [{"userId": "a", "role": "member"}]},
    )
    rt.execute_query_method("GroupById", "get", [{"groupId": "g1"}, {"groupId": "g2"}])
    rt.execute_command_method("MembershipCommands", "remove", [{"groupId": "g", "userId": "u"}])
    rt.execute_command_method(
        "MembershipCommands",
        "add",
        {"groupId": "g", "userId": "u"},
        {"role": "member", "joinedAt": JOINED},
    )


def _scripted() -> Recorder:
    return Recorder(
        {
            "get_item": {"Item": USER},
            "query": {"Items": [MEMBERSHIP]},
            "batch_get_item": {"Responses": {}},
            "batch_write_item": {"UnprocessedItems": {}},
        }
    )


def _methods(client: Recorder) -> set[str]:
    return {method for method, _ in client.calls}


EVERY_METHOD = {
    "get_item",
    "query",
    "batch_get_item",
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "batch_write_item",
}


# --- sections 3.2 and 15.6: physical names ----------------------------------------------------


def test_without_a_mapping_every_request_goes_to_the_physical_name() -> None:
    client = _scripted()
    _every_kind_of_request(GraphDDBRuntime(client, MANIFEST, OPERATIONS))
    assert _methods(client) == EVERY_METHOD
    assert client.tables() == {"app-prod"}  # the manifest's physicalName, never 'AppTable'


def test_the_mapping_wins_over_physical_name() -> None:
    client = _scripted()
    rt = GraphDDBRuntime(client, MANIFEST, OPERATIONS, table_mapping={"AppTable": "app-dev"})
    _every_kind_of_request(rt)
    assert _methods(client) == EVERY_METHOD
    assert client.tables() == {"app-dev"}
    assert rt.table_mapping == {"AppTable": "app-dev"}


def test_without_physical_name_or_mapping_the_logical_name_is_sent() -> None:
    manifest = copy.deepcopy(MANIFEST_JSON)
    for meta in manifest["entities"].values():
        meta.pop("physicalName", None)
    client = _scripted()
    _every_kind_of_request(GraphDDBRuntime(client, manifest, OPERATIONS))
    assert client.tables() == {"AppTable"}


def test_explain_shows_the_physical_name() -> None:
    explained = GraphDDBRuntime(object(), MANIFEST, OPERATIONS).explain(
        "getUserAccess", {"userId": "alice"}
    )
    for op in explained["operations"]:
        assert op["tableName"] == "app-prod"
        request = op["request"]
        assert request.get("TableName", "app-prod") == "app-prod"
        assert set(request.get("RequestItems", {"app-prod": 0})) == {"app-prod"}


def test_local_create_tables_names_tables_as_the_runtime_does() -> None:
    client = Recorder({"list_tables": {"TableNames": []}})
    assert create_tables(client, MANIFEST, wait=False) == ["app-prod"]
    assert create_tables(client, MANIFEST, {"AppTable": "app-dev"}, wait=False) == ["app-dev"]
    with pytest.raises(ConfigurationError, match="unknown logical table 'AppTabel'"):
        create_tables(client, MANIFEST, {"AppTabel": "x"}, wait=False)


TWO_TABLES: dict[str, Any] = {
    "entities": {
        "EA": {
            "table": "A",
            "physicalName": "shared",
            "key": {"pkTemplate": "C#{id}", "skTemplate": "META"},
            "fields": {"id": {}, "n": {"type": "number"}},
        },
        "EB": {
            "table": "B",
            "physicalName": "shared",
            "key": {"pkTemplate": "C#{id}", "skTemplate": "META"},
            "fields": {"id": {}, "n": {"type": "number"}},
        },
    }
}
ID = {"id": {"type": "string", "required": True}}
KEY = {"PK": "C#{id}", "SK": "META"}
TWO_TABLE_OPS: dict[str, Any] = {
    "transactions": {
        "bump": {
            "params": ID,
            "items": [
                {
                    "type": "Update",
                    "tableName": t,
                    "entity": e,
                    "keyCondition": KEY,
                    "add": {"n": 1},
                }
                for t, e in (("A", "EA"), ("B", "EB"))
            ],
        },
        "mark": {
            "params": ID,
            "items": [
                {
                    "type": "Put",
                    "tableName": "Markers",  # a logical table no entity lives on
                    "entity": "__marker__",
                    "literalKey": True,
                    "item": {"PK": "M#{id}", "SK": "V"},
                }
            ],
        },
    }
}


def test_the_collapse_signature_uses_physical_names() -> None:
    # Two logical tables on one physical table: the same row, so the counter updates merge.
    client = Recorder()
    GraphDDBRuntime(client, TWO_TABLES, TWO_TABLE_OPS).execute_transaction("bump", {"id": "x"})
    ((_, request),) = client.calls
    assert [item["Update"]["TableName"] for item in request["TransactItems"]] == ["shared"]
    assert request["TransactItems"][0]["Update"]["ExpressionAttributeValues"] == {":a0": {"N": "2"}}
    client = Recorder()
    mapped = GraphDDBRuntime(client, TWO_TABLES, TWO_TABLE_OPS, table_mapping={"A": "a-prod"})
    mapped.execute_transaction("bump", {"id": "x"})
    ((_, request),) = client.calls
    assert [item["Update"]["TableName"] for item in request["TransactItems"]] == [
        "a-prod",
        "shared",
    ]


def test_tables_named_only_by_operations_are_logical_tables() -> None:
    client = Recorder()
    rt = GraphDDBRuntime(client, TWO_TABLES, TWO_TABLE_OPS, table_mapping={"Markers": "m-prod"})
    rt.execute_transaction("mark", {"id": "x"})
    GraphDDBRuntime(client, TWO_TABLES, TWO_TABLE_OPS).execute_transaction("mark", {"id": "x"})
    assert [kw["TransactItems"][0]["Put"]["TableName"] for _, kw in client.calls] == [
        "m-prod",
        "Markers",
    ]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {"AppTabel": "app-prod"},
            "table_mapping: unknown logical table 'AppTabel'; did you mean 'AppTable'?",
        ),
        ({"Zzz": "z"}, "table_mapping: unknown logical table 'Zzz'; logical tables: 'AppTable'"),
        (
            {"AppTable": "app-prod", "apptable": "x"},
            "table_mapping: unknown logical table 'apptable'; did you mean 'AppTable'?",
        ),
    ],
)
def test_a_mapping_key_that_is_no_logical_table_is_a_configuration_error(
    mapping: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        GraphDDBRuntime(object(), MANIFEST, OPERATIONS, table_mapping=mapping)
    assert str(caught.value) == message


def test_spec_errors_come_before_the_mapping_check() -> None:
    manifest = copy.deepcopy(MANIFEST_JSON)
    manifest["entities"]["OrderModel"]["physicalName"] = "orders-prod"
    with pytest.raises(SpecError) as caught:
        GraphDDBRuntime(object(), manifest, OPERATIONS, table_mapping={"AppTabel": "x"})
    assert [(i.rule, i.pointer) for i in caught.value.issues] == [
        ("MF014", "/entities/OrderModel/physicalName")
    ]


# --- section 15.2: constructor arguments ------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"client": None}, "dynamodb_client must be a boto3 DynamoDB client, got None"),
        (
            {"table_mapping": ["AppTable"]},
            "table_mapping must be None or a mapping of str to str, got list ['AppTable']",
        ),
        ({"table_mapping": {1: "x"}}, "table_mapping: every key must be a str, got int 1"),
        (
            {"table_mapping": {"AppTable": ""}},
            "table_mapping['AppTable'] must be a non-empty str (a physical table name), got str ''",
        ),
        (
            {"table_mapping": {"AppTable": None}},
            "table_mapping['AppTable'] must be a non-empty str (a physical table name), "
            "got NoneType None",
        ),
        ({"limits": {"max_items": 5}}, "limits must be None or a RuntimeLimits, got dict"),
        ({"strict": "yes"}, "strict must be a bool, got str 'yes'"),
        ({"strict": 1}, "strict must be a bool, got int 1"),
        ({"sleep": 1.0}, "sleep must be None or a callable, got float 1.0"),
        (
            {"cursor_secret": 5},
            "cursor_secret must be None, a non-empty str or non-empty bytes, got int",
        ),
    ],
)
def test_constructor_arguments_are_type_checked(kwargs: dict[str, Any], message: str) -> None:
    client = kwargs.pop("client", object())
    with pytest.raises(ConfigurationError) as caught:
        GraphDDBRuntime(client, MANIFEST, OPERATIONS, **kwargs)
    assert str(caught.value).startswith(message)


def test_argument_checks_run_before_the_files_are_read() -> None:
    with pytest.raises(ConfigurationError, match="strict must be a bool"):
        GraphDDBRuntime(object(), "/nonexistent/manifest.json", {}, strict="no")  # type: ignore[arg-type]


def test_a_boto3_resource_is_rejected_with_the_fix() -> None:
    resource = boto3.resource(
        "dynamodb", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    with pytest.raises(ConfigurationError) as caught:
        GraphDDBRuntime(resource, MANIFEST, OPERATIONS)
    assert "pass resource.meta.client" in str(caught.value)
    GraphDDBRuntime(resource.meta.client, MANIFEST, OPERATIONS)  # the client is fine


def test_a_secret_is_never_shown() -> None:
    with pytest.raises(ConfigurationError) as caught:
        GraphDDBRuntime(object(), MANIFEST, OPERATIONS, cursor_secret=bytearray(b"hunter2"))  # type: ignore[arg-type]
    assert "hunter2" not in str(caught.value) and str(caught.value).endswith("got bytearray")
