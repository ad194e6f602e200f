"""Transactions on real tables: in-process moto and the moto server (docs/format.md sections 24-28).

What these prove and what they cannot: moto really applies TransactWriteItems atomically and
reports cancellation reasons, so rollback and uniqueness guards are checked by reading back.
moto ignores ``ClientRequestToken`` and does not enforce the 100-item / 4 MB limits, so the
token test checks what the runtime sends on a replay; the limits are unit-tested.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from graphddb_runtime import GraphDDBRuntime, TransactionCanceledError, TransactionCollapseError
from graphddb_runtime.demo import example_spec, seed
from graphddb_runtime.local import create_tables

TABLE = "app-prod"
JOINED = "2024-05-01T00:00:00.000Z"
UNIQUE_GROUP = {
    "params": {
        "groupId": {"type": "string", "required": True},
        "name": {"type": "string", "required": True},
    },
    "maxItems": 2,
    "items": [
        {
            "type": "Put",
            "tableName": "AppTable",
            "entity": "GroupModel",
            "item": {"groupId": "{groupId}", "name": "{name}"},
            "condition": {"kind": "notExists"},
        },
        {
            "type": "Put",
            "tableName": "AppTable",
            "entity": "__marker__",
            "literalKey": True,
            "item": {"PK": "UNIQUE#groupName#{name}", "SK": "VALUE#{name}"},
            "condition": {"kind": "attributeNotExists", "field": "PK"},
        },
    ],
}
RENAME_GROUP = {
    "params": {
        "groupId": {"type": "string", "required": True},
        "name": {"type": "string", "required": True},
        "old.name": {"type": "string", "required": True},
    },
    "items": [
        {
            "type": "Update",
            "tableName": "AppTable",
            "entity": "GroupModel",
            "keyCondition": {"PK": "GROUP#{groupId}", "SK": "META"},
            "changes": {"name": "{name}"},
        },
        {
            "type": "Delete",
            "tableName": "AppTable",
            "entity": "__marker__",
            "literalKey": True,
            "keyCondition": {"PK": "UNIQUE#groupName#{old.name}", "SK": "VALUE#{old.name}"},
        },
        {
            "type": "Put",
            "tableName": "AppTable",
            "entity": "__marker__",
            "literalKey": True,
            "item": {"PK": "UNIQUE#groupName#{name}", "SK": "VALUE#{name}"},
            "condition": {"kind": "attributeNotExists", "field": "PK"},
        },
    ],
}


#: One row per element: ORDER#<orderId> / LINE#<sku> with its quantity (section 27).
ORDER_LINES = {
    "params": {
        "orderId": {"type": "string", "required": True},
        "lines": {
            "type": "array",
            "required": True,
            "element": {
                "sku": {"type": "string", "required": True},
                "qty": {"type": "number", "required": True},
            },
        },
    },
    "items": [
        {
            "type": "Put",
            "tableName": "AppTable",
            "entity": "__marker__",
            "literalKey": True,
            "forEach": {"source": "lines"},
            "item": {"PK": "ORDER#{orderId}", "SK": "LINE#{item.sku}", "qty": "{item.qty}"},
        }
    ],
}


@pytest.fixture
def rt(dynamodb: Any) -> GraphDDBRuntime:
    manifest, operations = example_spec()
    operations = copy.deepcopy(operations)
    operations["transactions"]["createGroupUnique"] = UNIQUE_GROUP
    operations["transactions"]["renameGroup"] = RENAME_GROUP
    operations["transactions"]["putOrderLines"] = ORDER_LINES
    create_tables(dynamodb, manifest, {"AppTable": TABLE})
    seed(dynamodb, TABLE)
    return GraphDDBRuntime(dynamodb, manifest, operations, table_mapping={"AppTable": TABLE})


def _row(dynamodb: Any, pk: str, sk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = dynamodb.get_item(
        TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": sk}}, ConsistentRead=True
    ).get("Item")
    return item


def _members(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {
        "groupId": "eng",
        "joinedAt": JOINED,
        "members": [{"userId": u, "role": r} for u, r in pairs],
    }


def test_add_members_commits_every_item_and_merges_the_counter(
    rt: GraphDDBRuntime, dynamodb: Any
) -> None:
    params = _members(("carol", "member"), ("dan", ""), ("erin", "admin"))
    assert rt.execute_transaction("addMembers", params) is None
    assert _row(dynamodb, "GROUP#eng", "USER#carol") is not None
    assert _row(dynamodb, "GROUP#eng", "USER#dan") is None  # filtered out by `when`
    erin = _row(dynamodb, "GROUP#eng", "USER#erin")
    assert erin is not None and erin["GSI1PK"] == {"S": "USER#erin"}
    assert rt.execute_query("getGroup", {"groupId": "eng"}, {"numbers": "native"}) == {
        "groupId": "eng",
        "name": "Engineering",
        "memberCount": 4,
    }
    listed = rt.execute_query("listUserGroups", {"userId": "erin"})
    assert listed == {"items": [{"groupId": "eng", "role": "admin"}], "cursor": None}


def test_a_failing_condition_rolls_back_every_item(rt: GraphDDBRuntime, dynamodb: Any) -> None:
    rt.execute_transaction("addMembers", _members(("carol", "member")))
    # carol exists: her Put's notExists condition fails, so erin's Put and the counter roll back.
    with pytest.raises(TransactionCanceledError) as caught:
        rt.execute_transaction("addMembers", _members(("erin", "admin"), ("carol", "member")))
    codes = [(r.index, r.spec_item, r.element, r.code) for r in caught.value.reasons]
    assert codes == [
        (0, 0, 0, "None"),
        (1, 0, 1, "ConditionalCheckFailed"),
        (2, 1, 0, "None"),
    ]
    assert caught.value.operation_id == "addMembers"
    assert _row(dynamodb, "GROUP#eng", "USER#erin") is None
    group = rt.execute_query("getGroup", {"groupId": "eng"}, {"numbers": "native"})
    assert group["memberCount"] == 3  # 2 seeded + carol, not + erin


def test_condition_check_on_a_missing_group_cancels_with_section_43_reasons(
    rt: GraphDDBRuntime, dynamodb: Any
) -> None:
    params = {"groupId": "ghost", "userId": "frank", "role": "member", "joinedAt": JOINED}
    with pytest.raises(TransactionCanceledError) as caught:
        rt.execute_transaction("addMemberIfGroupExists", params, {"idempotencyToken": "req-7f3a"})
    error = caught.value
    assert error.code == "TransactionCanceledException"
    assert [(r.index, r.spec_item, r.element, r.code) for r in error.reasons] == [
        (0, 0, None, "ConditionalCheckFailed"),
        (1, 1, None, "None"),
    ]
    assert _row(dynamodb, "GROUP#ghost", "USER#frank") is None
    rt.execute_transaction("addMemberIfGroupExists", {**params, "groupId": "eng"})
    assert _row(dynamodb, "GROUP#eng", "USER#frank") is not None


def test_a_uniqueness_guard_rejects_a_duplicate_and_a_rename_moves_it(
    rt: GraphDDBRuntime, dynamodb: Any
) -> None:
    rt.execute_transaction("createGroupUnique", {"groupId": "plat", "name": "Platform"})
    assert _row(dynamodb, "UNIQUE#groupName#Platform", "VALUE#Platform") is not None
    with pytest.raises(TransactionCanceledError) as caught:
        rt.execute_transaction("createGroupUnique", {"groupId": "plat2", "name": "Platform"})
    assert [r.code for r in caught.value.reasons] == ["None", "ConditionalCheckFailed"]
    assert _row(dynamodb, "GROUP#plat2", "META") is None  # the group Put rolled back too
    # Rename: SET the name, delete the old marker, guard the new one, atomically.
    rt.execute_transaction(
        "renameGroup", {"groupId": "plat", "name": "Platform2", "old.name": "Platform"}
    )
    assert _row(dynamodb, "UNIQUE#groupName#Platform", "VALUE#Platform") is None
    assert _row(dynamodb, "UNIQUE#groupName#Platform2", "VALUE#Platform2") is not None
    assert rt.execute_query("getGroup", {"groupId": "plat"})["name"] == "Platform2"
    # Renaming to the same name: Delete + Put of one marker row collapse to nothing.
    rt.execute_transaction(
        "renameGroup", {"groupId": "plat", "name": "Platform2", "old.name": "Platform2"}
    )
    assert _row(dynamodb, "UNIQUE#groupName#Platform2", "VALUE#Platform2") is not None
    # Now "Platform" is free again.
    rt.execute_transaction("createGroupUnique", {"groupId": "plat3", "name": "Platform"})


def test_same_row_puts_collapse_only_when_identical(rt: GraphDDBRuntime, dynamodb: Any) -> None:
    # moto accepts two Puts of one item in a transaction: the runtime's own rule is tested.
    lines = [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}, {"sku": "A", "qty": 2}]
    rt.execute_transaction("putOrderLines", {"orderId": "1", "lines": lines})
    assert _row(dynamodb, "ORDER#1", "LINE#A") == {
        "PK": {"S": "ORDER#1"},
        "SK": {"S": "LINE#A"},
        "qty": {"N": "2"},
    }
    different = [{"sku": "C", "qty": 2}, {"sku": "D", "qty": 1}, {"sku": "C", "qty": 5}]
    with pytest.raises(TransactionCollapseError) as caught:
        rt.execute_transaction("putOrderLines", {"orderId": "1", "lines": different})
    assert caught.value.items == ((0, 0), (0, 2))
    assert "attribute 'qty' differs (N '2' vs N '5')" in str(caught.value)
    assert _row(dynamodb, "ORDER#1", "LINE#C") is None  # nothing was sent
    assert _row(dynamodb, "ORDER#1", "LINE#D") is None
    zeros = [{"sku": "E", "qty": -0.0}, {"sku": "E", "qty": 0.0}]
    with pytest.raises(TransactionCollapseError, match=r"N '-0\.0' vs N '0\.0'"):
        rt.execute_transaction("putOrderLines", {"orderId": "1", "lines": zeros})


def test_a_replay_with_the_same_token_sends_the_same_request(
    rt: GraphDDBRuntime, dynamodb: Any
) -> None:
    sent: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(copy.deepcopy(params))

    dynamodb.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", record)
    params = {"groupId": "eng", "userId": "frank", "role": "member", "joinedAt": JOINED}
    for _ in range(2):  # a client retrying after a timeout
        rt.execute_transaction("addMemberIfGroupExists", params, client_request_token="add-frank")
    assert len(sent) == 2 and sent[0] == sent[1]
    assert sent[0]["ClientRequestToken"] == "add-frank"
    frank = _row(dynamodb, "GROUP#eng", "USER#frank")
    assert frank is not None and frank["role"] == {"S": "member"}
