"""Core rules not covered by the section 43 goldens: every sort-key operator, every condition
kind on the wire, empty expression maps, ReturnValues on Put/Delete, option edge cases."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from graphddb_runtime import (
    ConfigurationError,
    GraphDDBRuntime,
    OperationExecutionError,
    ParameterValidationError,
)

from ._fake_dynamo import Recorder

MANIFEST = {
    "entities": {
        "Event": {
            "table": "Events",
            "key": {"pkTemplate": "STREAM#{streamId}", "skTemplate": "{seq}"},
            "fields": {
                "streamId": {"type": "string"},
                "seq": {"type": "number"},
                "kind": {"type": "string"},
                "version": {"type": "number"},
                "tags": {"type": "list"},
            },
        }
    }
}


def _query(operator: str, value: Any) -> dict[str, Any]:
    return {
        "params": {
            "streamId": {"type": "string", "required": True},
            "lo": {"type": "number"},
            "hi": {"type": "number"},
        },
        "operations": [
            {
                "type": "Query",
                "tableName": "Events",
                "entity": "Event",
                "keyCondition": {"PK": "STREAM#{streamId}"},
                "rangeCondition": {"operator": operator, "key": "SK", "value": value},
                "projection": ["seq", "kind"],
            }
        ],
    }


OPERATIONS = {
    "queries": {
        "eq": _query("=", "{lo}"),
        "lt": _query("<", "{lo}"),
        "le": _query("<=", 5),
        "gt": _query(">", "{lo}"),
        "ge": _query(">=", "{lo}"),
        "between": _query("between", ["{lo}", "{hi}"]),
        "prefix": _query("begins_with", "{lo}"),
        "get": {
            "params": {
                "streamId": {"type": "string", "required": True},
                "seq": {"type": "number", "required": True},
            },
            "operations": [
                {
                    "type": "GetItem",
                    "tableName": "Events",
                    "keyCondition": {"PK": "STREAM#{streamId}", "SK": "{seq}"},
                    "projection": ["seq"],
                }
            ],
        },
    },
    "commands": {
        "touch": {
            "type": "UpdateItem",
            "tableName": "Events",
            "entity": "Event",
            "params": {
                "streamId": {"type": "string", "required": True},
                "seq": {"type": "number", "required": True},
            },
            "keyCondition": {"PK": "STREAM#{streamId}", "SK": "{seq}"},
        },
        "bump": {
            "type": "UpdateItem",
            "tableName": "Events",
            "entity": "Event",
            "params": {
                "streamId": {"type": "string", "required": True},
                "seq": {"type": "number", "required": True},
                "version": {"type": "number", "required": True},
                "expected": {"type": "number", "required": True},
            },
            "keyCondition": {"PK": "STREAM#{streamId}", "SK": "{seq}"},
            "changes": {"version": "{version}"},
            "condition": {"kind": "equals", "fields": {"version": "{expected}", "kind": "created"}},
        },
        "record": {
            "type": "PutItem",
            "tableName": "Events",
            "entity": "Event",
            "params": {
                "streamId": {"type": "string", "required": True},
                "seq": {"type": "number", "required": True},
                "banned": {"type": "string", "required": True},
            },
            "item": {"streamId": "{streamId}", "seq": "{seq}", "kind": "created", "tags": ["a", 1]},
            "condition": {
                "kind": "raw",
                "expression": "#cr_kind <> :cr0 AND attribute_not_exists(#cr_seq)",
                "names": {"#cr_kind": "kind", "#cr_seq": "seq"},
                "values": {":cr0": {"$param": "banned"}},
            },
        },
        "drop": {
            "type": "DeleteItem",
            "tableName": "Events",
            "entity": "Event",
            "params": {
                "streamId": {"type": "string", "required": True},
                "seq": {"type": "number", "required": True},
            },
            "keyCondition": {"PK": "STREAM#{streamId}", "SK": "{seq}"},
            "condition": {"kind": "attributeExists", "field": "kind"},
        },
        "dropIfGone": {
            "type": "DeleteItem",
            "tableName": "Events",
            "entity": "Event",
            "params": {
                "streamId": {"type": "string", "required": True},
                "seq": {"type": "number", "required": True},
            },
            "keyCondition": {"PK": "STREAM#{streamId}", "SK": "{seq}"},
            "condition": {"kind": "expr", "declarative": {"kind": None}},
        },
    },
}


def _rt(client: Any, **kwargs: Any) -> GraphDDBRuntime:
    return GraphDDBRuntime(client, MANIFEST, OPERATIONS, **kwargs)


@pytest.mark.parametrize(
    ("query", "clause", "values"),
    [
        ("eq", "#kr = :kr", {":kr": {"N": "3"}}),
        ("lt", "#kr < :kr", {":kr": {"N": "3"}}),
        ("le", "#kr <= :kr", {":kr": {"N": "5"}}),
        ("gt", "#kr > :kr", {":kr": {"N": "3"}}),
        ("ge", "#kr >= :kr", {":kr": {"N": "3"}}),
        ("between", "#kr BETWEEN :kr0 AND :kr1", {":kr0": {"N": "3"}, ":kr1": {"N": "9"}}),
    ],
)
def test_every_sort_key_operator(query: str, clause: str, values: dict[str, Any]) -> None:
    client = Recorder(query={"Items": []})
    _rt(client).execute_query(query, {"streamId": "s", "lo": 3, "hi": 9})
    [(method, request)] = client.calls
    assert method == "query"
    assert request["KeyConditionExpression"] == f"#k0 = :k0 AND {clause}"
    assert request["ExpressionAttributeNames"] == {"#k0": "PK", "#kr": "SK"}
    assert request["ExpressionAttributeValues"] == {":k0": {"S": "STREAM#s"}, **values}


def test_begins_with_needs_a_string() -> None:
    client = Recorder()
    with pytest.raises(ParameterValidationError, match="begins_with needs a string"):
        _rt(client).execute_query("prefix", {"streamId": "s", "lo": 3})
    assert client.calls == []


def test_update_without_changes_sends_no_expression_maps() -> None:
    client = Recorder()
    _rt(client).execute_command("touch", {"streamId": "s", "seq": 1})
    assert client.calls == [
        (
            "update_item",
            {"TableName": "Events", "Key": {"PK": {"S": "STREAM#s"}, "SK": {"N": "1"}}},
        ),
    ]


def test_equals_condition_is_typed() -> None:
    client = Recorder()
    _rt(client).execute_command("bump", {"streamId": "s", "seq": 1, "version": 4, "expected": 3})
    [(_, request)] = client.calls
    assert request == {
        "TableName": "Events",
        "Key": {"PK": {"S": "STREAM#s"}, "SK": {"N": "1"}},
        "UpdateExpression": "SET #c0 = :c0",
        "ExpressionAttributeNames": {"#c0": "version", "#e0": "version", "#e1": "kind"},
        "ExpressionAttributeValues": {
            ":c0": {"N": "4"},
            ":e0": {"N": "3"},
            ":e1": {"S": "created"},
        },
        "ConditionExpression": "#e0 = :e0 AND #e1 = :e1",
    }


def test_raw_condition_with_param_marker_and_literal_list_item() -> None:
    client = Recorder(put_item={"Attributes": {"PK": {"S": "STREAM#s"}, "kind": {"S": "old"}}})
    old = _rt(client).execute_command(
        "record", {"streamId": "s", "seq": 2, "banned": "spam"}, {"returnValues": "ALL_OLD"}
    )
    assert old == {"kind": "old"}  # internal keys removed
    [(method, request)] = client.calls
    assert method == "put_item"
    assert request == {
        "TableName": "Events",
        "Item": {
            "streamId": {"S": "s"},
            "seq": {"N": "2"},
            "kind": {"S": "created"},
            "tags": {"L": [{"S": "a"}, {"N": "1"}]},
            "PK": {"S": "STREAM#s"},
            "SK": {"N": "2"},
        },
        "ExpressionAttributeNames": {"#cr_kind": "kind", "#cr_seq": "seq"},
        "ExpressionAttributeValues": {":cr0": {"S": "spam"}},
        "ConditionExpression": "#cr_kind <> :cr0 AND attribute_not_exists(#cr_seq)",
        "ReturnValues": "ALL_OLD",
    }


def test_delete_conditions_and_return_values() -> None:
    client = Recorder()
    assert (
        _rt(client).execute_command(
            "drop", {"streamId": "s", "seq": 1}, {"returnValues": "ALL_OLD"}
        )
        is None
    )  # no Attributes
    assert client.calls[0][1] == {
        "TableName": "Events",
        "Key": {"PK": {"S": "STREAM#s"}, "SK": {"N": "1"}},
        "ExpressionAttributeNames": {"#ce": "kind"},
        "ConditionExpression": "attribute_exists(#ce)",
        "ReturnValues": "ALL_OLD",
    }
    _rt(client).execute_command("dropIfGone", {"streamId": "s", "seq": 1})
    assert client.calls[1][1] == {  # an expr that compiles to nothing adds nothing at all
        "TableName": "Events",
        "Key": {"PK": {"S": "STREAM#s"}, "SK": {"N": "1"}},
    }


def test_get_item_root_ignores_cursor_limit_and_order() -> None:
    client = Recorder()
    result = _rt(client).execute_query(
        "get", {"streamId": "s", "seq": 1}, {"cursor": "@@@", "limit": 500, "order": "desc"}
    )
    assert result is None
    assert client.calls == [
        ("get_item", {"TableName": "Events", "Key": {"PK": {"S": "STREAM#s"}, "SK": {"N": "1"}}})
    ]


def test_unmapped_tables_pass_through_and_mapped_ones_change() -> None:
    client = Recorder()
    _rt(client).execute_query("get", {"streamId": "s", "seq": 1})
    _rt(client, table_mapping={"Events": "events-prod"}).execute_query(
        "get", {"streamId": "s", "seq": 1}
    )
    assert [c[1]["TableName"] for c in client.calls] == ["Events", "events-prod"]


def test_a_mapping_of_a_table_the_spec_does_not_have_is_a_configuration_error() -> None:
    # Section 15.6: 0.5.x ignored {"Other": "x"}; a typo in a key must not send the logical name.
    with pytest.raises(ConfigurationError) as caught:
        _rt(Recorder(), table_mapping={"Other": "x"})
    assert (
        str(caught.value)
        == "table_mapping: unknown logical table 'Other'; logical tables: 'Events'"
    )


def test_botocore_transport_errors_are_operation_errors() -> None:
    offline = Recorder()
    offline.fail_on("get_item", EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    with pytest.raises(OperationExecutionError) as caught:
        _rt(offline).execute_query("get", {"streamId": "s", "seq": 1})
    assert caught.value.code is None and caught.value.operation_id == "get"
    assert isinstance(caught.value.original, EndpointConnectionError)


def test_non_finite_numbers_never_reach_the_wire() -> None:
    client = Recorder()
    with pytest.raises(ParameterValidationError):
        _rt(client).execute_query("eq", {"streamId": "s", "lo": float("nan")})
    assert client.calls == []
