"""Contracts (docs/format.md sections 30-34) on real tables: in-process moto and the moto server.

Every test runs twice through the ``dynamodb`` fixture. Requests are recorded from botocore's
``provide-client-params`` event, so the exact wire requests of section 43.5 are checked on a real
round trip, and writes are checked by reading the rows back. To keep table setups few, each
``test_*`` runs a group of ``_check`` helpers in order on one backend (``sent`` is cleared before
each helper).
"""

from __future__ import annotations

import asyncio
import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from graphddb_runtime import (
    AsyncGraphDDBRuntime,
    ConditionFailedError,
    ContractArityError,
    CursorError,
    GraphDDBRuntime,
    LimitExceededError,
    OperationExecutionError,
    ParameterValidationError,
    RuntimeLimits,
    TransactionCanceledError,
    TransactionCollapseError,
    decode_cursor,
    encode_cursor,
    encode_per_key_cursor,
)
from graphddb_runtime.demo import seed
from graphddb_runtime.local import create_tables

from .._contract_golden import (
    ALICE,
    ALICE_INNER,
    ENG,
    ENG_ALICE,
    ENG_BOB,
    ENG_ENVELOPE,
    EXTRA_ROWS,
    GROUP_FIELDS,
    JOINED,
    MEMBER_FIELDS,
    OPS,
    OPS_ALICE,
    TABLE,
    USER_FIELDS,
)
from .._contract_golden import av_item as _av_item
from .._contract_golden import batch_request as _batch
from .._contract_golden import key as _key
from .._contract_golden import sign as _sign

AV = dict[str, Any]
Sent = list[tuple[str, dict[str, Any]]]
SPECS = Path(__file__).resolve().parent.parent / "specs" / "contracts"
MANIFEST, OPERATIONS = SPECS / "manifest.json", SPECS / "operations.json"


def _runtime(client: Any, **kwargs: Any) -> GraphDDBRuntime:
    return GraphDDBRuntime(
        client, MANIFEST, OPERATIONS, table_mapping={"AppTable": TABLE}, strict=True, **kwargs
    )


def _row(client: Any, pk: str, sk: str) -> AV | None:
    item: AV | None = client.get_item(TableName=TABLE, Key=_key(pk, sk)).get("Item")
    return item


@pytest.fixture
def client(dynamodb: Any) -> Any:
    """The backend with the section 43.3 rows plus the contract test rows."""
    create_tables(dynamodb, MANIFEST, {"AppTable": TABLE})
    seed(dynamodb, TABLE)
    for row in EXTRA_ROWS:
        dynamodb.put_item(TableName=TABLE, Item=_av_item(row))
    return dynamodb


@pytest.fixture
def rt(client: Any) -> GraphDDBRuntime:
    return _runtime(client)


@pytest.fixture
def sent(client: Any) -> Sent:
    """Every request made from here on: (operation name, kwargs)."""
    calls: Sent = []

    def record(params: dict[str, Any], event_name: str, **_: Any) -> None:
        calls.append((event_name.rsplit(".", 1)[1], copy.deepcopy(params)))

    client.meta.events.register("provide-client-params.dynamodb", record)
    return calls


# --- section 31.2: point -------------------------------------------------------------------------


def _point_single_key(rt: GraphDDBRuntime, sent: Sent) -> None:
    assert rt.execute_query_method("GroupById", "get", {"groupId": "eng"}) == ENG
    assert rt.execute_query_method("GroupById", "get", {"groupId": "nope"}) is None
    assert (
        rt.execute_query_method("UserById", "get", {"userId": "alice"}, {"consistentRead": True})
        == ALICE
    )
    assert sent == [
        ("GetItem", {"TableName": TABLE, "Key": _key("GROUP#eng", "META")}),
        ("GetItem", {"TableName": TABLE, "Key": _key("GROUP#nope", "META")}),
        (
            "GetItem",
            {"TableName": TABLE, "Key": _key("USER#alice", "PROFILE"), "ConsistentRead": True},
        ),
    ]


def _unique_index_point(rt: GraphDDBRuntime, sent: Sent) -> None:
    assert rt.execute_query_method("UserByEmail", "get", {"email": "alice@example.com"}) == ALICE
    assert rt.execute_query_method("UserByEmail", "get", {"email": "x@example.com"}) is None
    with pytest.raises(ParameterValidationError):
        rt.execute_query_method(
            "UserByEmail", "get", {"email": "alice@example.com"}, {"consistentRead": True}
        )
    with pytest.raises(ContractArityError):
        rt.execute_query_method("UserByEmail", "get", [{"email": "alice@example.com"}])
    assert [name for name, _ in sent] == ["Query", "Query"]


def _golden_contract_point_array(rt: GraphDDBRuntime, sent: Sent) -> None:
    """Section 43.5 on a real round trip."""
    keys = [{"groupId": "eng"}, {"groupId": "nope"}, {"groupId": "eng"}]
    result = rt.execute_query_method("GroupById", "get", keys)
    assert result == {'{"groupId":"eng"}': ENG, '{"groupId":"nope"}': None}
    assert list(result) == ['{"groupId":"eng"}', '{"groupId":"nope"}']
    assert sent == [
        (
            "BatchGetItem",
            {
                "RequestItems": {
                    "app-prod": {
                        "Keys": [
                            {"PK": {"S": "GROUP#eng"}, "SK": {"S": "META"}},
                            {"PK": {"S": "GROUP#nope"}, "SK": {"S": "META"}},
                        ],
                        "ProjectionExpression": "#p0, #p1, #p2, #p3, #p4",
                        "ExpressionAttributeNames": {
                            "#p0": "groupId",
                            "#p1": "name",
                            "#p2": "memberCount",
                            "#p3": "PK",
                            "#p4": "SK",
                        },
                    }
                }
            },
        )
    ]
    native = rt.execute_query_method("GroupById", "get", keys, {"numbers": "native"})
    assert native['{"groupId":"eng"}'] == {
        "groupId": "eng",
        "name": "Engineering",
        "memberCount": 2,
    }
    assert type(native['{"groupId":"eng"}']["memberCount"]) is int


def _point_array_forms(rt: GraphDDBRuntime, sent: Sent) -> None:
    as_tuple = rt.execute_query_method(
        "UserById", "get", ({"userId": "alice"}, {"userId": "bob"}), {"consistentRead": True}
    )
    assert as_tuple == {'{"userId":"alice"}': ALICE, '{"userId":"bob"}': None}
    assert sent[0] == (
        "BatchGetItem",
        _batch(
            [_key("USER#alice", "PROFILE"), _key("USER#bob", "PROFILE")],
            USER_FIELDS,
            consistent=True,
        ),
    )
    counters = rt.execute_query_method("CounterByNumber", "get", [{"n": 5}, {"n": 5.0}])
    five = {"n": Decimal("5"), "label": "five"}
    assert counters == {'{"n":5}': five, '{"n":5.0}': five}
    assert sent[1][1]["RequestItems"][TABLE]["Keys"] == [_key("COUNTER#5", "META")]
    assert rt.execute_query_method("GroupById", "get", []) == {}
    assert len(sent) == 2


def _point_array_chunks_of_100(client: Any, sent: Sent) -> None:
    rt = _runtime(client, limits=RuntimeLimits(max_items=150, batch_concurrency=1))
    keys = [{"groupId": "eng"}] + [{"groupId": f"g{i:03d}"} for i in range(149)]
    result = rt.execute_query_method("GroupById", "get", keys)
    assert [len(kw["RequestItems"][TABLE]["Keys"]) for _, kw in sent] == [100, 50]
    assert result['{"groupId":"eng"}'] == ENG
    assert sum(value is None for value in result.values()) == 149
    with pytest.raises(LimitExceededError) as caught:
        rt.execute_query_method("GroupById", "get", [*keys, {"groupId": "one-more"}])
    assert str(caught.value) == "GroupById.get: BatchGet needs 151 keys, exceeds max_items 150"
    assert len(sent) == 2


def test_point_reads(rt: GraphDDBRuntime, client: Any, sent: Sent) -> None:
    """Runs the checks below in order on one backend (one table setup per backend)."""
    del sent[:]
    _point_single_key(rt, sent)
    del sent[:]
    _unique_index_point(rt, sent)
    del sent[:]
    _golden_contract_point_array(rt, sent)
    del sent[:]
    _point_array_forms(rt, sent)
    del sent[:]
    _point_array_chunks_of_100(client, sent)


# --- section 31.2 / 32: range and per-key cursors -----------------------------------------------


def _range_pages_with_per_key_cursors(rt: GraphDDBRuntime, sent: Sent) -> None:
    key = {"groupId": "eng"}
    first = rt.execute_query_method("MembersByGroup", "list", key, {"limit": 1})
    assert first == {"items": [ENG_ALICE], "cursor": ENG_ENVELOPE}
    second = rt.execute_query_method(
        "MembersByGroup", "list", key, {"limit": 1, "after": first["cursor"]}
    )
    assert second["items"] == [ENG_BOB]
    items = [*first["items"], *second["items"]]
    cursor = second["cursor"]
    while cursor is not None:  # DynamoDB may report one more (empty) page
        page = rt.execute_query_method("MembersByGroup", "list", key, {"limit": 1, "after": cursor})
        items.extend(page["items"])
        cursor = page["cursor"]
    assert items == [ENG_ALICE, ENG_BOB]
    assert sent[1][1]["ExclusiveStartKey"] == _key("GROUP#eng", "USER#alice")
    assert sent[0][1]["Limit"] == 1
    everything = rt.execute_query_method("MembersByGroup", "list", key)
    assert everything == {"items": [ENG_ALICE, ENG_BOB], "cursor": None}
    assert sent[-1][1]["Limit"] == 50


def _range_order_and_truncation(client: Any, sent: Sent) -> None:
    rt = _runtime(client, limits=RuntimeLimits(max_items=1))
    key = {"groupId": "eng"}
    desc = rt.execute_query_method("MembersByGroup", "list", key, {"order": "desc", "limit": 1})
    assert desc["items"] == [ENG_BOB]
    assert sent[0][1]["ScanIndexForward"] is False
    # MembersNewestFirst: op scanIndexForward false, no limit -> truncation at max_items
    first = rt.execute_query_method("MembersNewestFirst", "list", key)
    bob_inner = encode_cursor({"PK": "GROUP#eng", "SK": "USER#bob"})
    assert first == {
        "items": [{"groupId": "eng", "userId": "bob", "role": "member"}],
        "cursor": encode_per_key_cursor(key, bob_inner),
    }
    second = rt.execute_query_method("MembersNewestFirst", "list", key, {"after": first["cursor"]})
    assert second == {
        "items": [{"groupId": "eng", "userId": "alice", "role": "admin"}],
        "cursor": None,
    }
    asc = rt.execute_query_method("MembersNewestFirst", "list", key, {"order": "asc"})
    assert asc["items"] == [{"groupId": "eng", "userId": "alice", "role": "admin"}]
    assert "ScanIndexForward" not in sent[-1][1] and "Limit" not in sent[-1][1]
    with pytest.raises(LimitExceededError) as caught:
        rt.execute_query_method("MembersByGroup", "list", key, {"limit": 2})
    assert str(caught.value) == "MembersByGroup.list: limit 2 exceeds max_items 1"
    assert len(sent) == 4


def _per_key_cursor_errors_before_any_call(rt: GraphDDBRuntime, sent: Sent) -> None:
    key = {"groupId": "eng"}
    cases = [
        ("@@", "Invalid per-key cursor: the value passed as 'after' failed to decode"),
        (
            encode_cursor({"inner": ALICE_INNER}),
            "Invalid per-key cursor: the envelope is missing its key / inner fields",
        ),
        (
            encode_per_key_cursor({"groupId": "ops"}, ALICE_INNER),
            'Per-key cursor mismatch: the cursor belongs to key {"groupId":"ops"}, but the '
            'method was called for key {"groupId":"eng"}',
        ),
        (
            encode_per_key_cursor(key, encode_cursor({"PK": "GROUP#ops", "SK": "USER#alice"})),
            "MembersByGroup.list: cursor belongs to a different partition",
        ),
    ]
    for after, message in cases:
        with pytest.raises(CursorError) as caught:
            rt.execute_query_method("MembersByGroup", "list", key, {"after": after})
        assert str(caught.value) == message
    with pytest.raises(ContractArityError):
        rt.execute_query_method("MembersByGroup", "list", [key])
    assert sent == []


def _signed_per_key_cursors(client: Any, sent: Sent) -> None:
    rt = _runtime(client, cursor_secret="s3cret")
    key = {"groupId": "eng"}
    first = rt.execute_query_method("MembersByGroup", "list", key, {"limit": 1})
    assert decode_cursor(first["cursor"]) == {
        "key": '{"groupId":"eng"}',
        "inner": _sign(ALICE_INNER, "s3cret", "MembersByGroup.list"),
    }
    second = rt.execute_query_method(
        "MembersByGroup", "list", key, {"limit": 1, "after": first["cursor"]}
    )
    assert second["items"] == [ENG_BOB]
    with pytest.raises(CursorError) as caught:
        rt.execute_query_method("MembersByGroup", "list", key, {"after": ENG_ENVELOPE})
    assert str(caught.value) == "MembersByGroup.list: cursor signature is invalid"
    assert len(sent) == 2


def test_range_reads(rt: GraphDDBRuntime, client: Any, sent: Sent) -> None:
    """Runs the checks below in order on one backend (one table setup per backend)."""
    del sent[:]
    _range_pages_with_per_key_cursors(rt, sent)
    del sent[:]
    _range_order_and_truncation(client, sent)
    del sent[:]
    _per_key_cursor_errors_before_any_call(rt, sent)
    del sent[:]
    _signed_per_key_cursors(client, sent)


# --- section 33: compositions ---------------------------------------------------------------------


def _compositions(rt: GraphDDBRuntime, sent: Sent) -> None:
    single = rt.execute_query_method("MemberAccess", "get", {"groupId": "eng", "userId": "alice"})
    assert single == {**ENG_ALICE, "group": ENG, "user": ALICE}
    assert list(single) == ["groupId", "userId", "role", "joinedAt", "group", "user"]
    array = rt.execute_query_method(
        "MemberAccess",
        "get",
        [
            {"groupId": "eng", "userId": "alice"},
            {"groupId": "ops", "userId": "alice"},
            {"groupId": "eng", "userId": "bob"},
            {"groupId": "eng", "userId": "zed"},
        ],
        {"consistentRead": True},
    )
    assert array == {
        '{"groupId":"eng","userId":"alice"}': {**ENG_ALICE, "group": ENG, "user": ALICE},
        '{"groupId":"ops","userId":"alice"}': {**OPS_ALICE, "group": OPS, "user": ALICE},
        '{"groupId":"eng","userId":"bob"}': {**ENG_BOB, "group": ENG, "user": None},
        '{"groupId":"eng","userId":"zed"}': None,
    }
    edges = sorted((kw for _, kw in sent[4:]), key=repr)
    assert edges == sorted(
        [
            _batch(
                [_key("GROUP#eng", "META"), _key("GROUP#ops", "META")],
                GROUP_FIELDS,
                consistent=True,
            ),
            _batch(
                [_key("USER#alice", "PROFILE"), _key("USER#bob", "PROFILE")],
                USER_FIELDS,
                consistent=True,
            ),
        ],
        key=repr,
    )
    ranged = rt.execute_query_method("MembersWithUser", "list", {"groupId": "eng"})
    assert ranged == {
        "items": [{**ENG_ALICE, "user": ALICE}, {**ENG_BOB, "user": None}],
        "cursor": None,
    }


def _composition_bind_paths_stages_and_depth(rt: GraphDDBRuntime, sent: Sent) -> None:
    p1 = rt.execute_query_method("ProjectById", "get", {"projectId": "p1"})
    assert p1 == {
        "projectId": "p1",
        "name": "Apollo",
        "owner": {"groupId": "eng", "team": {"name": "core"}},
        "leadUserId": "alice",
        "ownerGroup": ENG,
        "lead": ENG_ALICE,
    }
    assert list(p1)[-2:] == ["ownerGroup", "lead"]
    assert [kw for _, kw in sent[1:]] == [
        _batch([_key("GROUP#eng", "META")], GROUP_FIELDS),
        _batch([_key("GROUP#eng", "USER#alice")], MEMBER_FIELDS),
    ]
    staged = rt.execute_query_method("ProjectByIdStaged", "get", {"projectId": "p1"})
    assert staged == p1 and list(staged)[-2:] == ["lead", "ownerGroup"]
    p2 = rt.execute_query_method("ProjectById", "get", {"projectId": "p2"})
    assert p2["ownerGroup"] == OPS and p2["lead"] is None
    del sent[:]
    p3 = rt.execute_query_method("ProjectById", "get", {"projectId": "p3"})
    assert p3 == {
        "projectId": "p3",
        "name": "Comet",
        "leadUserId": "alice",
        "ownerGroup": None,
        "lead": None,
    }
    assert [name for name, _ in sent] == ["GetItem"]


def test_compositions(rt: GraphDDBRuntime, client: Any, sent: Sent) -> None:
    """Runs the checks below in order on one backend (one table setup per backend)."""
    del sent[:]
    _compositions(rt, sent)
    del sent[:]
    _composition_bind_paths_stages_and_depth(rt, sent)


# --- section 34: command methods ------------------------------------------------------------------


def _op_mode_and_read_back(rt: GraphDDBRuntime, client: Any, sent: Sent) -> None:
    disable = {"status": "disabled"}
    assert (
        rt.execute_command_method("UserCommands", "disable", {"userId": "alice"}, disable) is None
    )
    assert rt.execute_query_method("UserById", "get", {"userId": "alice"})["status"] == "disabled"
    with pytest.raises(ConditionFailedError) as caught:
        rt.execute_command_method("UserCommands", "disable", {"userId": "ghost"}, disable)
    assert caught.value.operation_id == "disableUser"
    added = rt.execute_command_method(
        "MembershipCommands",
        "add",
        {"groupId": "ops", "userId": "carol"},
        {"role": "member", "joinedAt": JOINED},
    )
    assert added == {"groupId": "ops", "userId": "carol", "role": "member"}
    assert sent[-1] == (
        "GetItem",
        {"TableName": TABLE, "Key": _key("GROUP#ops", "USER#carol"), "ConsistentRead": True},
    )
    row = _row(client, "GROUP#ops", "USER#carol")
    assert row is not None and row["GSI1PK"] == {"S": "USER#carol"}


def _transaction_modes(rt: GraphDDBRuntime, client: Any, sent: Sent) -> None:
    joined = rt.execute_command_method(
        "MembershipCommands",
        "join",
        {"groupId": "eng", "userId": "frank"},
        {"role": "member", "joinedAt": JOINED},
        {"idempotencyToken": "join-frank"},
    )
    assert joined is None
    assert sent[-1][1]["ClientRequestToken"] == "join-frank"
    assert _row(client, "GROUP#eng", "USER#frank") is not None
    with pytest.raises(TransactionCanceledError) as caught:
        rt.execute_command_method(
            "MembershipCommands",
            "join",
            {"groupId": "ghost", "userId": "frank"},
            {"role": "member", "joinedAt": JOINED},
        )
    assert caught.value.operation_id == "addMemberIfGroupExists"
    assert [r.code for r in caught.value.reasons] == ["ConditionalCheckFailed", "None"]
    assert _row(client, "GROUP#ghost", "USER#frank") is None
    with pytest.raises(ContractArityError):
        rt.execute_command_method("MembershipCommands", "join", [{"groupId": "eng"}])

    keys = [{"userId": "alice"}, {"userId": "newbie"}]
    result = rt.execute_command_method(
        "UserCommands", "disable", keys, {"status": "disabled"}, {"idempotencyToken": "tok"}
    )
    assert result is None
    request = sent[-1][1]
    assert request["ClientRequestToken"] == "tok" and len(request["TransactItems"]) == 2
    users = rt.execute_query_method("UserById", "get", keys)
    assert users['{"userId":"alice"}']["status"] == "disabled"
    assert users['{"userId":"newbie"}'] == {"status": "disabled"}  # an Update upserts
    count = len(sent)
    with pytest.raises(LimitExceededError):
        rt.execute_command_method(
            "UserCommands",
            "disable",
            [{"userId": f"u{i}"} for i in range(26)],
            {"status": "disabled"},
        )
    assert rt.execute_command_method("UserCommands", "disable", [], {"status": "disabled"}) is None
    assert len(sent) == count


def _parallel_coalesced(rt: GraphDDBRuntime, client: Any, sent: Sent) -> None:
    removed = rt.execute_command_method(
        "MembershipCommands",
        "remove",
        [{"groupId": "eng", "userId": "alice"}, {"groupId": "eng", "userId": "bob"}],
    )
    assert removed == {"results": [{"ok": True}, {"ok": True}]}
    assert [name for name, _ in sent] == ["BatchWriteItem"]
    assert rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"})["items"] == []
    added = rt.execute_command_method(
        "MembershipCommands",
        "add",
        # identical requests on one key are sent once (the params win over the key's role);
        # DynamoDB would reject a duplicate otherwise
        [{"userId": "carol", "role": "member"}, {"userId": "dan"}, {"userId": "carol"}],
        {"groupId": "eng", "role": "admin", "joinedAt": JOINED},
    )
    assert added == {"results": [{"ok": True}, {"ok": True}, {"ok": True}]}
    assert [name for name, _ in sent] == ["BatchWriteItem", "Query", "BatchWriteItem"]
    assert len(sent[-1][1]["RequestItems"][TABLE]) == 2
    with pytest.raises(TransactionCollapseError, match=r"keys\[0\] and keys\[1\]"):
        rt.execute_command_method(
            "MembershipCommands",
            "add",
            # different requests on one key: keeping one would drop the other's role
            [{"userId": "erin", "role": "member"}, {"userId": "erin", "role": "owner"}],
            {"groupId": "eng", "joinedAt": JOINED},
        )
    assert [name for name, _ in sent] == ["BatchWriteItem", "Query", "BatchWriteItem"]
    assert _row(client, "GROUP#eng", "USER#erin") is None
    members = rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"})["items"]
    assert [(m["userId"], m["role"]) for m in members] == [("carol", "admin"), ("dan", "admin")]
    row = _row(client, "GROUP#eng", "USER#dan")
    assert row is not None and row["GSI1SK"] == {"S": "GROUP#eng"}
    count = len(sent)
    assert rt.execute_command_method("MembershipCommands", "remove", []) == {"results": []}
    with pytest.raises(ParameterValidationError):
        rt.execute_command_method("MembershipCommands", "remove", [{"groupId": "eng"}])
    assert len(sent) == count


def _parallel_per_key(rt: GraphDDBRuntime, sent: Sent) -> None:
    result = rt.execute_command_method(
        "MembershipCommands",
        "setStatus",
        [{"userId": "alice"}, {"userId": "ghost"}, {"userId": 5}],
        {"status": "disabled"},
    )
    ok, missing, invalid = result["results"]
    assert ok == {"ok": True}
    assert missing["ok"] is False
    assert missing["error"].startswith(
        "disableUser: DynamoDB operation failed: An error occurred "
        "(ConditionalCheckFailedException) when calling the UpdateItem operation"
    )
    assert invalid == {
        "ok": False,
        "error": "disableUser: parameter 'userId' must be a string, got int 5",
    }
    assert [name for name, _ in sent] == ["UpdateItem", "UpdateItem"]
    user = {"name": "Ada", "email": "ada@example.com", "createdAt": "2024-01-02T03:04:05.000Z"}
    created = rt.execute_command_method(
        "UserAdminCommands", "create", [{"userId": "ada"}, {"userId": "alice"}], user
    )
    assert created["results"][0] == {"ok": True}
    assert created["results"][1]["ok"] is False
    assert "ConditionalCheckFailedException" in created["results"][1]["error"]
    assert [name for name, _ in sent[2:]] == ["PutItem", "PutItem"]  # no read-back


def test_single_key_commands(rt: GraphDDBRuntime, client: Any, sent: Sent) -> None:
    """Runs the checks below in order on one backend (one table setup per backend)."""
    del sent[:]
    _op_mode_and_read_back(rt, client, sent)
    del sent[:]
    _transaction_modes(rt, client, sent)


def test_parallel_commands(rt: GraphDDBRuntime, client: Any, sent: Sent) -> None:
    """Runs the checks below in order on one backend (one table setup per backend)."""
    del sent[:]
    _parallel_coalesced(rt, client, sent)
    del sent[:]
    _parallel_per_key(rt, sent)


def test_a_partially_failed_parallel_batch_says_what_is_left(client: Any) -> None:
    """Section 21.3 on a real round trip: the second of three chunks fails in botocore."""
    calls = [0]

    def fail_second(**_: Any) -> None:
        calls[0] += 1
        if calls[0] == 2:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    client.meta.events.register("before-call.dynamodb.BatchWriteItem", fail_second)
    rt = _runtime(client, limits=RuntimeLimits(max_batch_write_items=2, batch_concurrency=1))
    keys = [{"userId": f"p{i}"} for i in range(6)]
    with pytest.raises(OperationExecutionError) as caught:
        rt.execute_command_method(
            "MembershipCommands", "add", keys, {"groupId": "eng", "role": "r", "joinedAt": JOINED}
        )
    assert isinstance(caught.value.original, EndpointConnectionError)

    def users(entries: tuple[Any, ...]) -> list[str]:
        return [e["request"]["PutRequest"]["Item"]["userId"]["S"] for e in entries]

    assert users(caught.value.unknown) == ["p2", "p3"]  # sent, or not: nobody knows
    assert users(caught.value.unprocessed) == ["p4", "p5"]  # never sent
    stored = [
        u for u in ("p0", "p1", "p2", "p3", "p4", "p5") if _row(client, "GROUP#eng", f"USER#{u}")
    ]
    assert stored == ["p0", "p1"]
    assert calls[0] == 2


# --- section 29: async twins ----------------------------------------------------------------------


def test_async_twins_return_what_sync_returns(rt: GraphDDBRuntime) -> None:
    art = AsyncGraphDDBRuntime(rt)
    reads: list[tuple[str, str, Any, Any]] = [
        ("GroupById", "get", {"groupId": "eng"}, None),
        ("GroupById", "get", [{"groupId": "eng"}, {"groupId": "nope"}], None),
        ("MembersByGroup", "list", {"groupId": "eng"}, {"limit": 1}),
        ("MemberAccess", "get", {"groupId": "eng", "userId": "alice"}, None),
    ]
    for contract, method, key, params in reads:
        sync = rt.execute_query_method(contract, method, key, params)
        assert asyncio.run(art.execute_query_method(contract, method, key, params)) == sync
    writes: list[tuple[str, str, Any, Any]] = [
        ("UserCommands", "disable", {"userId": "alice"}, {"status": "disabled"}),
        (
            "MembershipCommands",
            "add",
            {"groupId": "ops", "userId": "x"},
            {"role": "r", "joinedAt": JOINED},
        ),
        ("MembershipCommands", "remove", [{"groupId": "zzz", "userId": "x"}], None),
        ("MembershipCommands", "setStatus", [{"userId": "ghost"}], {"status": "disabled"}),
    ]
    for contract, method, key, params in writes:
        sync = rt.execute_command_method(contract, method, key, params)
        got = asyncio.run(art.execute_command_method(contract, method, key, params))
        assert got == sync
    with pytest.raises(ContractArityError) as caught:
        asyncio.run(art.execute_command_method("MembershipCommands", "join", [{}]))
    assert "declares no key-array form" in str(caught.value)
