"""Golden requests: the exact boto3 kwargs of docs/format.md sections 10, 11 and 43 (key order)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graphddb_runtime import GraphDDBRuntime, ParameterValidationError, UnboundParameterError
from graphddb_runtime._bind.requests import (
    delete_request,
    display,
    get_item_request,
    put_request,
    query_request,
    update_request,
)
from graphddb_runtime._values.templates import Bindings
from graphddb_runtime.spec.plans import Catalog

from . import _golden as golden
from ._cases import SPECS

TABLE = "app-prod"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    runtime = GraphDDBRuntime(
        object(), SPECS / "example" / "manifest.json", SPECS / "example" / "operations.json"
    )
    return runtime._engine.catalog


def _same(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Equal values and equal key order, at every level."""
    assert json.dumps(got) == json.dumps(want)


def _put(catalog: Catalog, cid: str, params: dict[str, Any], rv: str | None = None) -> Any:
    command = catalog.commands[cid]
    entity = catalog.entities[command.entity or ""]
    return put_request(command, entity, params, table=TABLE, return_values=rv, op_id=cid)


def _update(catalog: Catalog, cid: str, params: dict[str, Any], rv: str | None = None) -> Any:
    command = catalog.commands[cid]
    entity = catalog.entities.get(command.entity or "")
    return update_request(command, entity, params, table=TABLE, return_values=rv, op_id=cid)


def test_put_with_gsi_derivation_and_condition(catalog: Catalog) -> None:
    _same(_put(catalog, "createUser", golden.CREATE_USER_PARAMS), golden.CREATE_USER)


def test_put_with_typed_number_and_literal_derivation(catalog: Catalog) -> None:
    request = _put(
        catalog,
        "placeOrder",
        {
            "orderId": "o1",
            "tenantId": "t1",
            "userId": "u1",
            "total": 99.5,
            "createdAt": "2024-06-01T12:00:00.000Z",
        },
    )
    _same(
        request,
        {
            "TableName": "app-prod",
            "Item": {
                "orderId": {"S": "o1"},
                "tenantId": {"S": "t1"},
                "userId": {"S": "u1"},
                "status": {"S": "PENDING"},
                "total": {"N": "99.5"},
                "createdAt": {"S": "2024-06-01T12:00:00.000Z"},
                "PK": {"S": "ORDER#o1"},
                "SK": {"S": "META"},
                "GSI1PK": {"S": "TENANT#t1#STATUS#PENDING"},
                "GSI1SK": {"S": "ORDER#o1"},
            },
        },
    )


def test_update_re_derives_an_affected_gsi(catalog: Catalog) -> None:
    request = _update(catalog, "setOrderStatus", golden.SET_ORDER_STATUS_PARAMS, "ALL_NEW")
    _same(request, golden.SET_ORDER_STATUS)


def test_update_missing_gsi_dependency_raises_before_any_call(catalog: Catalog) -> None:
    with pytest.raises(ParameterValidationError) as caught:
        _update(catalog, "setOrderStatus", {"orderId": "o1", "status": "SHIPPED"})
    assert str(caught.value) == (
        "setOrderStatus: updating 'status' affects index 'GSI1' (also depends on 'tenantId'); "
        "provide it, or use read-modify-write."
    )


def test_update_with_expr_condition(catalog: Catalog) -> None:
    request = _update(catalog, "raiseOrderTotal", {"orderId": "o1", "total": 120})
    _same(
        request,
        {
            "TableName": "app-prod",
            "Key": {"PK": {"S": "ORDER#o1"}, "SK": {"S": "META"}},
            "UpdateExpression": "SET #c0 = :c0",
            "ExpressionAttributeNames": {"#c0": "total", "#f0": "status", "#f1": "total"},
            "ExpressionAttributeValues": {
                ":c0": {"N": "120"},
                ":vf0": {"S": "CANCELLED"},
                ":vf1": {"N": "120"},
            },
            "ConditionExpression": "(#f0 <> :vf0 AND #f1 < :vf1)",
        },
    )


def test_update_without_gsi_impact(catalog: Catalog) -> None:
    request = _update(catalog, "raiseOrderTotal", {"orderId": "o1", "total": 1.5})
    assert request["ExpressionAttributeValues"][":c0"] == {"N": "1.5"}


def test_delete(catalog: Catalog) -> None:
    command = catalog.commands["removeMember"]
    request = delete_request(
        command,
        {"groupId": "eng", "userId": "bob"},
        table=TABLE,
        return_values=None,
        op_id="removeMember",
    )
    _same(
        request,
        {"TableName": "app-prod", "Key": {"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#bob"}}},
    )


def test_get_item(catalog: Catalog) -> None:
    op = catalog.queries["getUser"].operations[0]
    request = get_item_request(op, {"userId": "u1"}, table=TABLE, consistent=False, op_id="q")
    _same(
        request, {"TableName": "app-prod", "Key": {"PK": {"S": "USER#u1"}, "SK": {"S": "PROFILE"}}}
    )
    consistent = get_item_request(op, {"userId": "u1"}, table=TABLE, consistent=True, op_id="q")
    assert list(consistent) == ["TableName", "Key", "ConsistentRead"]


def test_gsi_query_cardinality_one(catalog: Catalog) -> None:
    op = catalog.queries["getUserByEmail"].operations[0]
    request = query_request(
        op,
        {"email": "alice@example.com"},
        table=TABLE,
        consistent=False,
        limit=None,
        forward=True,
        start_key=None,
        op_id="q",
    )
    _same(request, golden.USER_BY_EMAIL)


def test_partition_query_with_filter_and_paging(catalog: Catalog) -> None:
    op = catalog.queries["listGroupMembers"].operations[0]
    params = golden.MEMBERS_PARAMS
    request = query_request(
        op,
        params,
        table=TABLE,
        consistent=False,
        limit=1,
        forward=True,
        start_key=golden.ALICE_KEY,
        op_id="q",
    )
    _same(request, {**golden.MEMBERS_LIMIT_1, "ExclusiveStartKey": golden.ALICE_KEY})
    descending = query_request(
        op,
        params,
        table=TABLE,
        consistent=True,
        limit=None,
        forward=False,
        start_key=None,
        op_id="q",
    )
    assert list(descending)[-3:] == ["ConsistentRead", "ScanIndexForward", "FilterExpression"]
    assert descending["ScanIndexForward"] is False


def test_relation_leg_queries(catalog: Catalog) -> None:
    ops = catalog.queries["getUserAccess"].operations
    groups = query_request(
        ops[1],
        Bindings({"userId": "alice"}, parent={"userId": "alice"}),
        table=TABLE,
        consistent=False,
        limit=20,
        forward=True,
        start_key=None,
        op_id="q",
    )
    _same(
        groups,
        {
            "TableName": "app-prod",
            "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
            "ExpressionAttributeNames": {"#k0": "GSI1PK", "#kr": "GSI1SK"},
            "ExpressionAttributeValues": {":k0": {"S": "USER#alice"}, ":kr": {"S": "GROUP#"}},
            "IndexName": "GSI1",
            "Limit": 20,
        },
    )
    perms = query_request(
        ops[3],
        Bindings({}, parent={"groupId": "eng"}),
        table=TABLE,
        consistent=False,
        limit=20,
        forward=True,
        start_key=None,
        op_id="q",
    )
    _same(
        perms,
        {
            "TableName": "app-prod",
            "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
            "ExpressionAttributeNames": {"#k0": "PK", "#kr": "SK", "#f0": "resource"},
            "ExpressionAttributeValues": {":k0": {"S": "GROUP#eng"}, ":kr": {"S": "PERM#"}},
            "Limit": 20,
            "FilterExpression": "attribute_exists(#f0)",
        },
    )


SMALL_MANIFEST = {
    "entities": {
        "Thing": {
            "table": "T",
            "key": {"pkTemplate": "{id}", "skTemplate": "THING#{kind}"},
            "gsis": [
                {
                    "indexName": "GSI1",
                    "pkTemplate": "OWNER#{owner}",
                    "skTemplate": "{rank}",
                    "inputFields": ["owner", "rank"],
                }
            ],
            "fields": {"id": {}, "kind": {}, "owner": {}, "rank": {}, "note": {}},
        }
    }
}
SMALL_OPERATIONS = {
    "queries": {
        "get": {
            "params": {
                "id": {"type": "number", "required": True},
                "kind": {"type": "string", "required": True},
            },
            "operations": [
                {
                    "type": "GetItem",
                    "tableName": "T",
                    "keyCondition": {"PK": "{id}", "SK": "THING#{kind}"},
                    "projection": ["id"],
                }
            ],
        },
        "getByText": {
            "params": {"id": {"type": "string", "required": True}},
            "operations": [
                {
                    "type": "GetItem",
                    "tableName": "T",
                    "keyCondition": {"PK": "{id}", "SK": "THING#x"},
                    "projection": ["id"],
                }
            ],
        },
    },
    "commands": {
        "put": {
            "type": "PutItem",
            "tableName": "T",
            "entity": "Thing",
            "params": {
                "id": {"type": "number", "required": True},
                "kind": {"type": "string"},
                "owner": {"type": "string"},
                "rank": {"type": "number"},
            },
            "item": {"id": "{id}", "note": "n"},
        },
    },
}


@pytest.fixture(scope="module")
def small() -> Catalog:
    return GraphDDBRuntime(object(), SMALL_MANIFEST, SMALL_OPERATIONS)._engine.catalog


def test_whole_placeholder_keys_keep_their_type(small: Catalog) -> None:
    op = small.queries["get"].operations[0]
    request = get_item_request(
        op, {"id": 10, "kind": "a"}, table="T", consistent=False, op_id="get"
    )
    assert request["Key"] == {"PK": {"N": "10"}, "SK": {"S": "THING#a"}}


def test_invalid_key_values_raise_before_any_call(small: Catalog) -> None:
    op = small.queries["getByText"].operations[0]
    with pytest.raises(ParameterValidationError, match="getByText: key attribute 'PK'"):
        get_item_request(op, {"id": ""}, table="T", consistent=False, op_id="getByText")
    with pytest.raises(UnboundParameterError):
        get_item_request(op, {}, table="T", consistent=False, op_id="getByText")


def test_no_partial_key_is_ever_written(small: Catalog) -> None:
    command, entity = small.commands["put"], small.entities["Thing"]
    with pytest.raises(ParameterValidationError) as caught:
        put_request(command, entity, {"id": 1}, table="T", return_values=None, op_id="put")
    assert str(caught.value) == (
        "put: cannot derive key attribute 'SK' of entity 'Thing': template 'THING#{kind}' "
        "references unbound field 'kind'"
    )


def test_gsi_keys_are_written_both_or_neither(small: Catalog) -> None:
    command, entity = small.commands["put"], small.entities["Thing"]

    def item(params: dict[str, Any]) -> Any:
        return put_request(command, entity, params, table="T", return_values=None, op_id="put")[
            "Item"
        ]

    sparse = item({"id": 1, "kind": "a", "owner": "o"})  # rank missing: no GSI1 attribute at all
    assert list(sparse) == ["id", "note", "PK", "SK"]
    full = item({"id": 1, "kind": "a", "owner": "o", "rank": 3})
    assert full["GSI1PK"] == {"S": "OWNER#o"} and full["GSI1SK"] == {"N": "3"}
    assert list(full) == ["id", "note", "PK", "SK", "GSI1PK", "GSI1SK"]
    assert full["PK"] == {"N": "1"}  # derived from the record value, typed


def test_display_values(catalog: Catalog) -> None:
    key = dict(catalog.queries["getUserAccess"].operations[1].key)
    assert display(key["GSI1PK"], {"userId": "alice"}, "q") == "USER#{result.userId}"
    user = dict(catalog.queries["getUser"].operations[0].key)
    assert display(user["PK"], {"userId": "alice"}, "q") == "USER#alice"
    assert display(user["PK"], {}, "q") == "USER#{userId}"
    assert display(user["SK"], {}, "q") == "PROFILE"
