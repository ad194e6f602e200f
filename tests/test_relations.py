"""Relation legs and multi-operation assembly (docs/format.md sections 16 to 21 and 23).

Runs on the in-memory fake of ``_fake_dynamo`` so a test can inject latency (to reorder
completions), unprocessed keys, failures, and can count requests and in-flight calls.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.exceptions import ClientError

from graphddb_runtime import (
    BatchIncompleteError,
    CursorError,
    GraphDDBRuntime,
    OperationExecutionError,
    ParameterValidationError,
    RuntimeLimits,
)
from graphddb_runtime.demo import example_spec, seed

from ._fake_dynamo import FakeDynamo
from ._golden import ACCESS

TABLE = "app-prod"
BATCH_REQUEST = {
    "RequestItems": {
        TABLE: {
            "Keys": [
                {"PK": {"S": "GROUP#eng"}, "SK": {"S": "META"}},
                {"PK": {"S": "GROUP#ops"}, "SK": {"S": "META"}},
            ],
            "ProjectionExpression": "#p0, #p1, #p2, #p3",
            "ExpressionAttributeNames": {"#p0": "groupId", "#p1": "name", "#p2": "PK", "#p3": "SK"},
        }
    }
}


def _permissions_query(group: str) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
        "ExpressionAttributeNames": {"#k0": "PK", "#kr": "SK", "#f0": "resource"},
        "ExpressionAttributeValues": {":k0": {"S": f"GROUP#{group}"}, ":kr": {"S": "PERM#"}},
        "Limit": 20,
        "FilterExpression": "attribute_exists(#f0)",
    }


def _fake() -> FakeDynamo:
    fake = FakeDynamo({TABLE: (("PK", "SK"), {"GSI1": ("GSI1PK", "GSI1SK")})})
    seed(fake, TABLE)
    fake.forget()  # the seeding PutItem calls are not under test
    return fake


def _runtime(fake: FakeDynamo, operations: Any = None, **kwargs: Any) -> GraphDDBRuntime:
    manifest, ops = example_spec()
    return GraphDDBRuntime(
        fake, manifest, operations or ops, table_mapping={"AppTable": TABLE}, **kwargs
    )


def _membership(group: str, user: str = "alice", role: str = "member") -> dict[str, Any]:
    return {
        "PK": {"S": f"GROUP#{group}"},
        "SK": {"S": f"USER#{user}"},
        "GSI1PK": {"S": f"USER#{user}"},
        "GSI1SK": {"S": f"GROUP#{group}"},
        "groupId": {"S": group},
        "userId": {"S": user},
        "role": {"S": role},
    }


def _group(group: str, name: str | None = None) -> dict[str, Any]:
    return {
        "PK": {"S": f"GROUP#{group}"},
        "SK": {"S": "META"},
        "groupId": {"S": group},
        "name": {"S": name or group.upper()},
    }


def _with_query(name: str, query: dict[str, Any]) -> dict[str, Any]:
    _, operations = example_spec()
    operations = copy.deepcopy(operations)
    operations["queries"][name] = query
    return operations


# --- the worked example ------------------------------------------------------------------------


def test_get_user_access_returns_the_section_43_tree_with_the_section_43_requests() -> None:
    fake = _fake()
    result = _runtime(fake).execute_query("getUserAccess", {"userId": "alice"})
    assert result == ACCESS
    membership = result["groups"]["items"][0]
    assert list(membership) == ["groupId", "role", "group", "permissions"]  # op order
    methods = [m for m, _ in fake.calls]
    assert methods[:2] == ["get_item", "query"]
    assert sorted(methods[2:]) == ["batch_get_item", "query", "query"]
    assert fake.calls[0][1] == {
        "TableName": TABLE,
        "Key": {"PK": {"S": "USER#alice"}, "SK": {"S": "PROFILE"}},
    }
    assert fake.calls[1][1] == {
        "TableName": TABLE,
        "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
        "ExpressionAttributeNames": {"#k0": "GSI1PK", "#kr": "GSI1SK"},
        "ExpressionAttributeValues": {":k0": {"S": "USER#alice"}, ":kr": {"S": "GROUP#"}},
        "IndexName": "GSI1",
        "Limit": 20,
    }
    assert fake.requests("batch_get_item") == [BATCH_REQUEST]
    later = [kw for m, kw in fake.calls[2:] if m == "query"]
    assert sorted(later, key=str) == sorted(
        [_permissions_query("eng"), _permissions_query("ops")], key=str
    )


def test_write_order_does_not_depend_on_completion_order() -> None:
    fake = _fake()

    # The batch leg (op 2) finishes last, and the first parent's Query finishes after the second.
    def delay(method: str, kwargs: dict[str, Any]) -> float:
        if method == "batch_get_item":
            return 0.05
        if method == "query" and kwargs["ExpressionAttributeValues"][":k0"] == {"S": "GROUP#eng"}:
            return 0.03
        return 0

    fake.delay = delay
    result = _runtime(fake).execute_query("getUserAccess", {"userId": "alice"})
    assert result == ACCESS
    assert list(result["groups"]["items"][1]) == ["groupId", "role", "group", "permissions"]


def test_a_missing_root_stops_before_any_relation_request() -> None:
    fake = _fake()
    assert _runtime(fake).execute_query("getUserAccess", {"userId": "nobody"}) is None
    assert [m for m, _ in fake.calls] == ["get_item"]


def test_no_parents_means_no_request_and_an_empty_connection() -> None:
    fake = _fake()
    fake.put(TABLE, {"PK": {"S": "USER#carol"}, "SK": {"S": "PROFILE"}, "userId": {"S": "carol"}})
    result = _runtime(fake).execute_query("getUserAccess", {"userId": "carol"})
    assert result == {"userId": "carol", "groups": {"items": [], "cursor": None}}
    assert [m for m, _ in fake.calls] == ["get_item", "query"]


# --- belongsTo: dedup, chunks, matching, missing children ------------------------------------


def test_parents_sharing_a_child_share_one_key_and_one_dict() -> None:
    fake = _fake()
    # A second membership row for eng under another sort key: two parents, one group key.
    twin = _membership("eng")
    twin["SK"] = {"S": "USER#alice#2"}
    twin["GSI1SK"] = {"S": "GROUP#eng#2"}
    fake.put(TABLE, twin)
    result = _runtime(fake).execute_query("getUserAccess", {"userId": "alice"})
    first, second, _ = result["groups"]["items"]
    assert first["group"] is second["group"]
    keys = fake.requests("batch_get_item")[0]["RequestItems"][TABLE]["Keys"]
    assert keys == BATCH_REQUEST["RequestItems"][TABLE]["Keys"]  # deduplicated, first-seen order
    assert fake.count("query") == 1 + 3  # the permissions leg hangs off each membership


def test_parents_are_deduplicated_by_identity() -> None:
    fake = _fake()
    twin = _membership("eng")
    twin["SK"] = {"S": "USER#alice#2"}
    twin["GSI1SK"] = {"S": "GROUP#eng#2"}
    fake.put(TABLE, twin)
    operations = copy.deepcopy(example_spec()[1])
    query = operations["queries"]["getUserAccess"]
    query["operations"][3]["resultPath"] = "$.groups.items.group.permissions.items"
    query["executionPlan"]["groups"] = [[0], [1], [2], [3]]
    result = _runtime(fake, operations).execute_query("getUserAccess", {"userId": "alice"})
    first, second, third = result["groups"]["items"]
    assert first["group"] is second["group"]
    assert (
        first["group"]["permissions"]["items"]
        == ACCESS["groups"]["items"][0]["permissions"]["items"]
    )
    assert third["group"]["permissions"] == {"items": [], "cursor": None}
    # One Query per distinct group dict (eng, ops), not one per membership.
    assert fake.count("query") == 1 + 2


def test_numbers_native_keeps_shared_children_shared() -> None:
    fake = _fake()
    twin = _membership("eng")
    twin["SK"] = {"S": "USER#alice#2"}
    twin["GSI1SK"] = {"S": "GROUP#eng#2"}
    fake.put(TABLE, twin)
    result = _runtime(fake).execute_query(
        "getUserAccess", {"userId": "alice"}, {"numbers": "native"}
    )
    first, second, _ = result["groups"]["items"]
    assert first["group"] is second["group"]


def test_a_missing_child_is_none() -> None:
    fake = _fake()
    fake.put(TABLE, _membership("ghost"))  # no GROUP#ghost META row
    result = _runtime(fake).execute_query("getUserAccess", {"userId": "alice"})
    ghost = result["groups"]["items"][1]
    assert ghost["groupId"] == "ghost"
    assert ghost["group"] is None
    assert ghost["permissions"] == {"items": [], "cursor": None}


def test_a_parent_without_its_source_field_gets_none_and_no_request() -> None:
    fake = _fake()
    orphan = _membership("x")
    del orphan["groupId"]
    fake.put(TABLE, orphan)
    result = _runtime(fake).execute_query("getUserAccess", {"userId": "alice"})
    orphan_out = next(m for m in result["groups"]["items"] if "groupId" not in m)
    assert orphan_out == {
        "role": "member",
        "group": None,
        "permissions": {"items": [], "cursor": None},
    }
    keys = fake.requests("batch_get_item")[0]["RequestItems"][TABLE]["Keys"]
    assert len(keys) == 2
    assert fake.count("query") == 1 + 2


MEMBERS_WITH_GROUPS = {
    "params": {"userId": {"type": "string", "required": True}},
    "cardinality": "many",
    "operations": [
        {
            "type": "Query",
            "tableName": "AppTable",
            "indexName": "GSI1",
            "keyCondition": {"GSI1PK": "USER#{userId}"},
            "rangeCondition": {"operator": "begins_with", "key": "GSI1SK", "value": "GROUP#"},
            "projection": ["groupId", "role"],
            "resultPath": "$",
        },
        {
            "type": "BatchGetItem",
            "tableName": "AppTable",
            "keyCondition": {"PK": "GROUP#{result.groupId}", "SK": "META"},
            "projection": ["groupId", "name"],
            "resultPath": "$.items.group",
            "sourceField": "groupId",
        },
    ],
}


@pytest.mark.parametrize(("parents", "unique", "calls"), [(250, 120, 2), (300, 300, 3), (40, 1, 1)])
def test_a_belongs_to_leg_sends_one_batch_per_100_unique_keys(
    parents: int, unique: int, calls: int
) -> None:
    fake = _fake()
    for i in range(parents):
        row = _membership(f"g{i % unique:03}", user="zed")
        row["SK"] = {"S": f"USER#zed#{i:03}"}
        row["GSI1SK"] = {"S": f"GROUP#g{i % unique:03}#{i:03}"}
        fake.put(TABLE, row)
    for g in range(unique):
        fake.put(TABLE, _group(f"g{g:03}"))
    rt = _runtime(
        fake,
        _with_query("membersWithGroups", MEMBERS_WITH_GROUPS),
        limits=RuntimeLimits(max_items=1000),
    )
    page = rt.execute_query("membersWithGroups", {"userId": "zed"})
    assert len(page["items"]) == parents
    assert fake.count("batch_get_item") == calls
    sent = [k for r in fake.requests("batch_get_item") for k in r["RequestItems"][TABLE]["Keys"]]
    assert len(sent) == unique == len({(k["PK"]["S"]) for k in sent})
    for item in page["items"]:
        assert item["group"] == {"groupId": item["groupId"], "name": item["groupId"].upper()}


def test_unprocessed_keys_are_retried_until_every_child_is_attached() -> None:
    fake = _fake()
    rounds = {"n": 0}

    def unprocessed(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rounds["n"] += 1
        return keys[1:] if rounds["n"] <= 3 else []  # one key per round gets through

    fake.unprocessed = unprocessed
    sleeps: list[float] = []
    rt = _runtime(
        fake,
        limits=RuntimeLimits(batch_backoff_jitter=False),
        sleep=sleeps.append,
    )
    assert rt.execute_query("getUserAccess", {"userId": "alice"}) == ACCESS
    assert fake.count("batch_get_item") == 2  # the second round had nothing left
    assert sleeps == [0.05]


def test_exhausted_retries_raise_with_every_unprocessed_key_and_return_nothing() -> None:
    fake = _fake()
    fake.unprocessed = lambda keys: keys
    sleeps: list[float] = []
    rt = _runtime(fake, limits=RuntimeLimits(batch_max_retries=2), sleep=sleeps.append)
    with pytest.raises(BatchIncompleteError) as caught:
        rt.execute_query("getUserAccess", {"userId": "alice"})
    assert str(caught.value) == (
        "BatchGetItem: 2 key(s) still unprocessed for table 'app-prod' after 2 retries"
    )
    assert list(caught.value.unprocessed) == [
        {"table": TABLE, "key": key} for key in BATCH_REQUEST["RequestItems"][TABLE]["Keys"]
    ]
    assert fake.count("batch_get_item") == 3
    assert len(sleeps) == 2 and all(0 <= s <= 0.1 for s in sleeps)


# --- hasMany: concurrency, truncation, cursors --------------------------------------------------


def _many_groups(fake: FakeDynamo, count: int) -> None:
    for i in range(count):
        fake.put(TABLE, _membership(f"g{i:02}"))
        fake.put(TABLE, _group(f"g{i:02}"))
        fake.put(
            TABLE,
            {
                "PK": {"S": f"GROUP#g{i:02}"},
                "SK": {"S": "PERM#doc#read"},
                "resource": {"S": f"doc{i:02}"},
                "action": {"S": "read"},
            },
        )


def test_per_parent_queries_run_concurrently_within_the_plan_bound() -> None:
    fake = FakeDynamo({TABLE: (("PK", "SK"), {"GSI1": ("GSI1PK", "GSI1SK")})})
    fake.put(TABLE, {"PK": {"S": "USER#alice"}, "SK": {"S": "PROFILE"}, "userId": {"S": "alice"}})
    _many_groups(fake, 18)
    fake.delay = lambda method, kwargs: 0.02 if method != "get_item" else 0
    result = _runtime(fake).execute_query("getUserAccess", {"userId": "alice"})
    memberships = result["groups"]["items"]
    assert len(memberships) == 18
    for m in memberships:  # matched by position, never by completion order
        assert m["group"]["groupId"] == m["groupId"]
        assert m["permissions"]["items"] == [
            {"resource": f"doc{m['groupId'][1:]}", "action": "read"}
        ]
    assert 2 < fake.max_in_flight <= 8  # the spec's executionPlan concurrency


def test_one_in_flight_request_when_the_plan_concurrency_is_one() -> None:
    fake = FakeDynamo({TABLE: (("PK", "SK"), {"GSI1": ("GSI1PK", "GSI1SK")})})
    fake.put(TABLE, {"PK": {"S": "USER#alice"}, "SK": {"S": "PROFILE"}, "userId": {"S": "alice"}})
    _many_groups(fake, 5)
    fake.delay = lambda method, kwargs: 0.005
    _, operations = example_spec()
    operations = copy.deepcopy(operations)
    operations["queries"]["getUserAccess"]["executionPlan"]["concurrency"] = 1
    result = _runtime(fake, operations).execute_query("getUserAccess", {"userId": "alice"})
    assert len(result["groups"]["items"]) == 5
    assert fake.max_in_flight == 1


def test_the_lowest_failing_op_raises_and_nothing_is_returned() -> None:
    fake = _fake()

    def fail(method: str, kwargs: dict[str, Any]) -> BaseException | None:
        if method in ("batch_get_item", "query") and "IndexName" not in kwargs:
            code = "ValidationException" if method == "query" else "InternalServerError"
            return ClientError({"Error": {"Code": code, "Message": method}}, method)
        return None

    fake.fail = fail
    with pytest.raises(OperationExecutionError) as caught:
        _runtime(fake).execute_query("getUserAccess", {"userId": "alice"})
    assert caught.value.code == "InternalServerError"  # op 2 (batch) beats op 3 (query)


def test_a_limited_leg_with_more_data_carries_a_resumable_cursor() -> None:
    fake = FakeDynamo({TABLE: (("PK", "SK"), {"GSI1": ("GSI1PK", "GSI1SK")})})
    fake.put(TABLE, {"PK": {"S": "USER#alice"}, "SK": {"S": "PROFILE"}, "userId": {"S": "alice"}})
    _many_groups(fake, 25)
    for secret in (None, "s3cret"):
        rt = _runtime(fake, cursor_secret=secret)
        result = rt.execute_query("getUserAccess", {"userId": "alice"})
        groups = result["groups"]
        assert len(groups["items"]) == 20 and groups["cursor"] is not None
        rest = rt.execute_query("listUserGroups", {"userId": "alice"}, {"cursor": groups["cursor"]})
        assert [g["groupId"] for g in rest["items"]] == [f"g{i:02}" for i in range(20, 25)]
        assert rest["cursor"] is None


def test_signed_nested_cursors_are_scoped_to_the_continuation_query() -> None:
    fake = FakeDynamo({TABLE: (("PK", "SK"), {"GSI1": ("GSI1PK", "GSI1SK")})})
    fake.put(TABLE, {"PK": {"S": "USER#alice"}, "SK": {"S": "PROFILE"}, "userId": {"S": "alice"}})
    _many_groups(fake, 21)
    for i in range(25):  # 25 permissions on g00: the permissions leg (limit 20) gets a cursor
        fake.put(
            TABLE,
            {
                "PK": {"S": "GROUP#g00"},
                "SK": {"S": f"PERM#x#{i:02}"},
                "resource": {"S": "x"},
                "action": {"S": f"{i:02}"},
            },
        )
    rt = _runtime(fake, cursor_secret="s3cret")
    result = rt.execute_query("getUserAccess", {"userId": "alice"})
    nested = result["groups"]["items"][0]["permissions"]["cursor"]
    assert nested is not None
    # The permissions leg has no continuation query: its signed cursor is scoped to
    # "getUserAccess#3", which no query accepts.
    with pytest.raises(CursorError):
        rt.execute_query("listUserGroups", {"userId": "alice"}, {"cursor": nested})
    # The groups leg's cursor is signed for listUserGroups and only for it.
    groups_cursor = result["groups"]["cursor"]
    with pytest.raises(CursorError):
        rt.execute_query(
            "listGroupMembers",
            {"groupId": "g00", "joinedSince": "2024-01-01T00:00:00.000Z"},
            {"cursor": groups_cursor},
        )


def test_an_unlimited_leg_is_truncated_at_max_items_with_a_cursor() -> None:
    fake = _fake()
    operations = copy.deepcopy(example_spec()[1])
    for op in operations["queries"]["getUserAccess"]["operations"][1:]:
        op.pop("limit", None)
    for i in range(7):
        fake.put(
            TABLE,
            {
                "PK": {"S": "GROUP#ops"},
                "SK": {"S": f"PERM#r#{i}"},
                "resource": {"S": "r"},
                "action": {"S": str(i)},
            },
        )
    rt = _runtime(fake, operations, limits=RuntimeLimits(max_items=5))
    ops = rt.execute_query("getUserAccess", {"userId": "alice"})["groups"]["items"][1]
    assert [p["action"] for p in ops["permissions"]["items"]] == ["0", "1", "2", "3", "4"]
    assert ops["permissions"]["cursor"] is not None
    permission_queries = [r for r in fake.requests("query") if "IndexName" not in r]
    assert all("Limit" not in r for r in permission_queries)


# --- options on relation legs -----------------------------------------------------------------


def test_consistent_read_on_an_indexed_leg_fails_before_any_call() -> None:
    fake = _fake()
    with pytest.raises(ParameterValidationError, match="consistentRead"):
        _runtime(fake).execute_query("getUserAccess", {"userId": "alice"}, {"consistentRead": True})
    assert fake.calls == []


def test_consistent_read_reaches_base_table_legs_and_root_options_stay_on_the_root() -> None:
    fake = _fake()
    query = copy.deepcopy(MEMBERS_WITH_GROUPS)
    root = query["operations"][0]
    del root["indexName"]
    root["keyCondition"] = {"PK": "GROUP#{groupId}"}
    root["rangeCondition"] = {"operator": "begins_with", "key": "SK", "value": "USER#"}
    root["projection"] = ["groupId", "userId"]
    query["params"] = {"groupId": {"type": "string", "required": True}}
    rt = _runtime(fake, _with_query("membersOf", query))
    page = rt.execute_query(
        "membersOf", {"groupId": "eng"}, {"consistentRead": True, "limit": 1, "order": "desc"}
    )
    assert [m["userId"] for m in page["items"]] == ["bob"]
    assert page["items"][0]["group"] == {"groupId": "eng", "name": "Engineering"}
    (batch,) = fake.requests("batch_get_item")
    assert batch["RequestItems"][TABLE]["ConsistentRead"] is True
    assert list(batch["RequestItems"][TABLE]) == [
        "Keys",
        "ProjectionExpression",
        "ExpressionAttributeNames",
        "ConsistentRead",
    ]


def test_a_leg_binds_caller_params_next_to_parent_fields() -> None:
    fake = _fake()
    query = copy.deepcopy(MEMBERS_WITH_GROUPS)
    query["params"]["suffix"] = {"type": "string", "required": True}
    query["operations"][1]["keyCondition"] = {"PK": "GROUP#{result.groupId}", "SK": "{suffix}"}
    rt = _runtime(fake, _with_query("membersWithGroupsBy", query))
    page = rt.execute_query("membersWithGroupsBy", {"userId": "alice", "suffix": "META"})
    assert [m["group"]["name"] for m in page["items"]] == ["Engineering", "Operations"]


def test_explain_shows_every_operation_and_sends_nothing() -> None:
    fake = _fake()
    plan = _runtime(fake).explain("getUserAccess", {"userId": "alice"})
    assert [op["type"] for op in plan["operations"]] == [
        "GetItem",
        "Query",
        "BatchGetItem",
        "Query",
    ]
    assert plan["executionPlan"] == {"groups": [[0], [1], [2, 3]], "concurrency": 8}
    assert fake.calls == []
