"""Literals typed by the manifest (docs/format.md sections 3.4 and 42.8), through the public API.

A placeholder-free string written to a field the manifest types ``number`` or ``boolean`` is sent
as ``N`` / ``BOOL``, by commands (PutItem ``item``, UpdateItem ``changes``) and by transaction
items, on both transaction paths (generated code and the interpreted builder). Botocore's Stubber
checks the exact kwargs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from graphddb_runtime import GraphDDBRuntime, SpecError

from ._cases import SPECS

MANIFEST = json.loads((SPECS / "example" / "manifest.json").read_text(encoding="utf-8"))
OPERATIONS = json.loads((SPECS / "example" / "operations.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def client() -> Any:
    return boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _spec() -> tuple[dict[str, Any], dict[str, Any]]:
    manifest, operations = copy.deepcopy(MANIFEST), copy.deepcopy(OPERATIONS)
    fields = manifest["entities"]["GroupModel"]["fields"]
    fields["open"] = {"type": "boolean"}
    fields["rank"] = {"type": "number"}
    commands = operations["commands"]
    commands["openGroup"] = {
        "type": "PutItem",
        "tableName": "AppTable",
        "entity": "GroupModel",
        "params": {"groupId": {"type": "string", "required": True}},
        "item": {
            "groupId": "{groupId}",
            "name": "G",
            "memberCount": "0",
            "open": "true",
            "rank": "1.50",
            "createdAt": "1970-01-01T00:00:00.000Z",
        },
    }
    commands["closeGroup"] = {
        "type": "UpdateItem",
        "tableName": "AppTable",
        "entity": "GroupModel",
        "params": {"groupId": {"type": "string", "required": True}},
        "keyCondition": {"PK": "GROUP#{groupId}", "SK": "META"},
        "changes": {"open": "false", "memberCount": 0, "rank": "-2e3", "name": "0"},
    }
    operations["transactions"]["resetGroups"] = {
        "params": {
            "keys": {
                "type": "array",
                "required": True,
                "element": {"groupId": {"type": "string", "required": True}},
            },
            "extra": {"type": "string"},
        },
        "items": [
            {
                "type": "Update",
                "tableName": "AppTable",
                "entity": "GroupModel",
                "forEach": {"source": "keys"},
                "keyCondition": {"PK": "GROUP#{item.groupId}", "SK": "META"},
                "changes": {"memberCount": "0", "open": "false"},
            },
            {
                "type": "Put",
                "tableName": "AppTable",
                "entity": "GroupModel",
                "item": {"groupId": "audit", "open": "true", "rank": "7", "name": "{extra}"},
            },
        ],
    }
    return manifest, operations


def _runtime(client: Any) -> GraphDDBRuntime:
    manifest, operations = _spec()
    return GraphDDBRuntime(client, manifest, operations, strict=True)


def test_put_item_literals_are_sent_as_the_manifest_types(client: Any, stub: Stubber) -> None:
    stub.add_response(
        "put_item",
        {},
        {
            "TableName": "app-prod",  # the entity's physicalName (section 15.6)
            "Item": {
                "groupId": {"S": "eng"},
                "name": {"S": "G"},
                "memberCount": {"N": "0"},
                "open": {"BOOL": True},
                "rank": {"N": "1.50"},
                "createdAt": {"S": "1970-01-01T00:00:00.000Z"},
                "PK": {"S": "GROUP#eng"},
                "SK": {"S": "META"},
            },
        },
    )
    assert _runtime(client).execute_command("openGroup", {"groupId": "eng"}) is None


def test_update_item_changes_are_sent_as_the_manifest_types(client: Any, stub: Stubber) -> None:
    stub.add_response(
        "update_item",
        {},
        {
            "TableName": "app-prod",  # the entity's physicalName (section 15.6)
            "Key": {"PK": {"S": "GROUP#eng"}, "SK": {"S": "META"}},
            "UpdateExpression": "SET #c0 = :c0, #c1 = :c1, #c2 = :c2, #c3 = :c3",
            "ExpressionAttributeNames": {
                "#c0": "open",
                "#c1": "memberCount",
                "#c2": "rank",
                "#c3": "name",
            },
            # "name" is a string field: its "0" stays a string.
            "ExpressionAttributeValues": {
                ":c0": {"BOOL": False},
                ":c1": {"N": "0"},
                ":c2": {"N": "-2E+3"},
                ":c3": {"S": "0"},
            },
        },
    )
    assert _runtime(client).execute_command("closeGroup", {"groupId": "eng"}) is None


def _reset_request() -> dict[str, Any]:
    def update(group: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": "app-prod",  # the entity's physicalName (section 15.6)
                "Key": {"PK": {"S": f"GROUP#{group}"}, "SK": {"S": "META"}},
                "UpdateExpression": "SET #c0 = :c0, #c1 = :c1",
                "ExpressionAttributeNames": {"#c0": "memberCount", "#c1": "open"},
                "ExpressionAttributeValues": {":c0": {"N": "0"}, ":c1": {"BOOL": False}},
            }
        }

    put = {
        "Put": {
            "TableName": "app-prod",  # the entity's physicalName (section 15.6)
            "Item": {
                "groupId": {"S": "audit"},
                "open": {"BOOL": True},
                "rank": {"N": "7"},
                "name": {"S": "x"},
                "PK": {"S": "GROUP#audit"},
                "SK": {"S": "META"},
            },
        }
    }
    return {"TransactItems": [update("g1"), update("g2"), put]}


def test_transaction_items_are_sent_as_the_manifest_types(client: Any, stub: Stubber) -> None:
    runtime = _runtime(client)
    params = {"keys": [{"groupId": "g1"}, {"groupId": "g2"}], "extra": "x"}
    stub.add_response("transact_write_items", {}, _reset_request())
    runtime.execute_transaction("resetGroups", params)
    # The same request through the interpreted builders (a W1 hook takes that path).
    runtime.use({"write": {"before": lambda ctx: None}})
    stub.add_response("transact_write_items", {}, _reset_request())
    runtime.execute_transaction("resetGroups", params)


def test_an_unparsable_literal_fails_at_load_before_any_call(client: Any) -> None:
    manifest, operations = _spec()
    operations["commands"]["openGroup"]["item"]["memberCount"] = "zero"
    operations["transactions"]["resetGroups"]["items"][0]["changes"]["open"] = "yes"
    with pytest.raises(SpecError) as caught:
        GraphDDBRuntime(client, manifest, operations)
    assert [(i.rule, i.pointer) for i in caught.value.issues] == [
        ("VL001", "/commands/openGroup/item/memberCount"),
        ("VL001", "/transactions/resetGroups/items/0/changes/open"),
    ]
    assert caught.value.issues[0].message == (
        "literal for 'memberCount': 'zero' is not a number, but the manifest types it as number "
        "(on 'GroupModel')"
    )
