"""Contracts (docs/format.md sections 30-34) on a recording fake and on botocore's Stubber.

Spec: ``tests/specs/contracts`` (the section 43 example plus the contracts listed in its
``operations.json``). Every request is compared with ``==``; "no call" means the fake recorded
nothing. Each test names the rule it pins in its docstring or name.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

import graphddb_runtime
from graphddb_runtime import (
    AsyncGraphDDBRuntime,
    BatchIncompleteError,
    ConditionFailedError,
    ContractArityError,
    ContractNotFoundError,
    CursorError,
    GraphDDBRuntime,
    LimitExceededError,
    OperationExecutionError,
    ParameterValidationError,
    RuntimeLimits,
    ThrottledError,
    TransactionCanceledError,
    TransactionCollapseError,
    decode_cursor,
    decode_per_key_cursor,
    encode_cursor,
    encode_per_key_cursor,
    serialize_contract_key,
)
from graphddb_runtime.demo import SEED

from ._contract_golden import (
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
from ._contract_golden import av_item as _av_item
from ._contract_golden import batch_request as _batch
from ._contract_golden import key as _key
from ._contract_golden import sign as _sign
from ._fake_dynamo import FakeDynamo

AV = dict[str, Any]
SPECS = Path(__file__).resolve().parent / "specs" / "contracts"
MANIFEST, OPERATIONS = SPECS / "manifest.json", SPECS / "operations.json"
OPS_JSON: dict[str, Any] = json.loads(OPERATIONS.read_text(encoding="utf-8"))
MANIFEST_JSON: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))


def _group_key(group: str) -> AV:
    return _key(f"GROUP#{group}", "META")


def _user_key(user: str) -> AV:
    return _key(f"USER#{user}", "PROFILE")


def _member_key(group: str, user: str) -> AV:
    return _key(f"GROUP#{group}", f"USER#{user}")


def _members_query(group: str, **extra: Any) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "KeyConditionExpression": "#k0 = :k0 AND begins_with(#kr, :kr)",
        "ExpressionAttributeNames": {"#k0": "PK", "#kr": "SK"},
        "ExpressionAttributeValues": {":k0": {"S": f"GROUP#{group}"}, ":kr": {"S": "USER#"}},
        **extra,
    }


def _membership_item(group: str, user: str, role: str, joined: str = JOINED) -> AV:
    return {
        "groupId": {"S": group},
        "userId": {"S": user},
        "role": {"S": role},
        "joinedAt": {"S": joined},
        "PK": {"S": f"GROUP#{group}"},
        "SK": {"S": f"USER#{user}"},
        "GSI1PK": {"S": f"USER#{user}"},
        "GSI1SK": {"S": f"GROUP#{group}"},
    }


def _client_error(code: str, operation: str, message: str = "boom") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"RequestId": "req-1"}},
        operation,
    )


def _available_contracts() -> str:
    return ", ".join(sorted(OPS_JSON["contracts"]))


def _empty_fake() -> FakeDynamo:
    return FakeDynamo({TABLE: (("PK", "SK"), {"GSI1": ("GSI1PK", "GSI1SK")})})


def _seeded_fake() -> FakeDynamo:
    fake = _empty_fake()
    for row in [*SEED, *EXTRA_ROWS]:
        fake.put(TABLE, _av_item(row))
    return fake


def _rt(fake: Any, operations: Any = OPERATIONS, **kwargs: Any) -> GraphDDBRuntime:
    return GraphDDBRuntime(
        fake, MANIFEST, operations, table_mapping={"AppTable": TABLE}, strict=True, **kwargs
    )


@pytest.fixture
def fake() -> FakeDynamo:
    return _seeded_fake()


@pytest.fixture
def rt(fake: FakeDynamo) -> GraphDDBRuntime:
    return _rt(fake)


def _no_sleep(_: float) -> None:
    return None


# =============================================================================================
# Section 30: the test spec itself
# =============================================================================================


def test_the_contract_spec_loads_strictly_without_issues() -> None:
    assert _rt(_empty_fake()).spec_issues == ()


# =============================================================================================
# Section 31.2 / 34.2: resolution errors (exact text, both method kinds, no call)
# =============================================================================================


@pytest.mark.parametrize(
    ("contract", "method", "message"),
    [
        ("Nope", "get", f"unknown contract 'Nope'. Available: {_available_contracts()}"),
        (
            "UserCommands",
            "disable",
            "contract 'UserCommands' is a 'command' contract; execute_query_method only runs "
            "query contracts; use execute_command_method",
        ),
        ("GroupById", "list", "contract 'GroupById' has no query method 'list'. Available: get"),
        (
            "MembersByGroup",
            "get",
            "contract 'MembersByGroup' has no query method 'get'. Available: list",
        ),
    ],
)
def test_query_method_resolution_errors(
    rt: GraphDDBRuntime, fake: FakeDynamo, contract: str, method: str, message: str
) -> None:
    with pytest.raises(ContractNotFoundError) as caught:
        rt.execute_query_method(contract, method, {"groupId": "eng"})
    assert str(caught.value) == message
    assert fake.calls == []


@pytest.mark.parametrize(
    ("contract", "method", "message"),
    [
        ("Nope", "get", f"unknown contract 'Nope'. Available: {_available_contracts()}"),
        (
            "GroupById",
            "get",
            "contract 'GroupById' is a 'query' contract; execute_command_method only runs "
            "command contracts; use execute_query_method",
        ),
        (
            "MembershipCommands",
            "purge",
            "contract 'MembershipCommands' has no command method 'purge'. Available: add, join, "
            "remove, setStatus",
        ),
    ],
)
def test_command_method_resolution_errors(
    rt: GraphDDBRuntime, fake: FakeDynamo, contract: str, method: str, message: str
) -> None:
    with pytest.raises(ContractNotFoundError) as caught:
        rt.execute_command_method(contract, method, {"userId": "u1"}, {"status": "disabled"})
    assert str(caught.value) == message
    assert fake.calls == []


def test_resolution_errors_say_none_when_nothing_is_available(fake: FakeDynamo) -> None:
    operations = copy.deepcopy(OPS_JSON)
    operations["contracts"] = {}
    rt = _rt(fake, operations)
    with pytest.raises(ContractNotFoundError) as caught:
        rt.execute_query_method("GroupById", "get", {"groupId": "eng"})
    assert str(caught.value) == "unknown contract 'GroupById'. Available: (none)"
    with pytest.raises(ContractNotFoundError) as caught:
        rt.execute_command_method("UserCommands", "disable", {"userId": "u1"})
    assert str(caught.value) == "unknown contract 'UserCommands'. Available: (none)"
    assert fake.calls == []


# =============================================================================================
# Section 31.2: retrieval options
# =============================================================================================

BAD_OPTIONS: list[Any] = [
    {"consistentRead": "yes"},
    {"consistentRead": 1},
    {"limit": "2"},
    {"limit": 0},
    {"limit": -1},
    {"limit": True},
    {"limit": 1.5},
    {"after": 5},
    {"order": "up"},
    {"order": "DESC"},
    {"context": ["not", "a", "mapping"]},
    {"numbers": "float"},
    [("consistentRead", True)],  # params itself is not a Mapping
]
CALL_FORMS = [
    ("GroupById", "get", {"groupId": "eng"}),
    ("GroupById", "get", [{"groupId": "eng"}]),
    ("MembersByGroup", "list", {"groupId": "eng"}),
]


@pytest.mark.parametrize("params", BAD_OPTIONS, ids=repr)
@pytest.mark.parametrize("call", CALL_FORMS, ids=["point", "array", "range"])
def test_wrongly_typed_retrieval_options_raise_before_any_call(
    rt: GraphDDBRuntime, fake: FakeDynamo, call: tuple[str, str, Any], params: Any
) -> None:
    contract, method, key = call
    with pytest.raises(ParameterValidationError):
        rt.execute_query_method(contract, method, key, params)
    assert fake.calls == []


QUERY_METHOD_OPTIONS = (
    "'after', 'consistentRead', 'context', 'datetimes', 'limit', 'numbers', 'order'"
)


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("cursor", "; did you mean 'after'?"),  # a pager that sent 'cursor' looped on page 1
        ("Limit", "; did you mean 'limit'?"),
        ("ConsistentRead", "; did you mean 'consistentRead'?"),
        ("consistent_read", "; did you mean 'consistentRead'?"),
        ("scanIndexForward", "; did you mean 'order'?"),
        ("ExclusiveStartKey", "; did you mean 'after'?"),
        ("idempotencyToken", "; accepted options: " + QUERY_METHOD_OPTIONS),
        ("foo", "; accepted options: " + QUERY_METHOD_OPTIONS),
    ],
)
@pytest.mark.parametrize(("contract", "method", "key"), CALL_FORMS, ids=["point", "array", "range"])
def test_unknown_retrieval_options_raise_before_any_call(
    rt: GraphDDBRuntime,
    fake: FakeDynamo,
    *,
    contract: str,
    method: str,
    key: Any,
    name: str,
    suggestion: str,
) -> None:
    # Section 31.2: 0.5.x ignored unknown keys, so {"Limit": 1} read a full page.
    with pytest.raises(ParameterValidationError) as caught:
        rt.execute_query_method(contract, method, key, {name: 1})
    assert str(caught.value) == f"{contract}.{method}: unknown option {name!r}{suggestion}"
    assert fake.calls == []


def test_valid_options_of_every_kind_are_accepted(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    params = {
        "consistentRead": False,
        "limit": 1,
        "after": None,
        "order": "asc",
        "context": {"a": 1},
        "numbers": "decimal",
    }
    result = rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, params)
    assert result == {"items": [ENG_ALICE], "cursor": ENG_ENVELOPE}
    assert fake.requests("query") == [_members_query("eng", Limit=1)]


def test_consistent_read_on_an_index_op_raises_before_any_call(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    """Section 7.6 semantics through section 31.2.

    Ambiguity: 7.6 words the message "<id>: consistentRead is not supported on index '<I>'
    (operation <i>)"; for a one-op contract method the "(operation 0)" suffix is accepted but not
    required.
    """
    with pytest.raises(ParameterValidationError) as caught:
        rt.execute_query_method(
            "UserByEmail", "get", {"email": "alice@example.com"}, {"consistentRead": True}
        )
    assert str(caught.value) in (
        "UserByEmail.get: consistentRead is not supported on index 'GSI1'",
        "UserByEmail.get: consistentRead is not supported on index 'GSI1' (operation 0)",
    )
    assert fake.calls == []
    # false is the same as absent
    assert (
        rt.execute_query_method(
            "UserByEmail", "get", {"email": "alice@example.com"}, {"consistentRead": False}
        )
        == ALICE
    )


# =============================================================================================
# Section 31.2: point, single key
# =============================================================================================


def test_point_single_key_is_one_get_item(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    assert rt.execute_query_method("GroupById", "get", {"groupId": "eng"}) == ENG
    assert fake.calls == [("get_item", {"TableName": TABLE, "Key": _group_key("eng")})]


def test_point_single_key_miss_is_none(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    assert rt.execute_query_method("GroupById", "get", {"groupId": "nope"}) is None
    assert fake.count("get_item") == 1


def test_point_single_key_consistent_read(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    result = rt.execute_query_method(
        "UserById", "get", {"userId": "alice"}, {"consistentRead": True}
    )
    assert result == ALICE  # datetime format restored
    assert fake.calls == [
        ("get_item", {"TableName": TABLE, "Key": _user_key("alice"), "ConsistentRead": True})
    ]


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ({"groupId": 5}, "parameter 'groupId' must be a string"),
        ({}, "missing required parameter 'groupId'"),
        ({"groupId": "eng", "extra": "x"}, "unknown parameter 'extra'"),
    ],
)
def test_point_single_key_is_validated_before_any_call(
    rt: GraphDDBRuntime, fake: FakeDynamo, key: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ParameterValidationError) as caught:
        rt.execute_query_method("GroupById", "get", key)
    assert fragment in str(caught.value)
    assert fake.calls == []


def test_unique_index_point_is_a_query_taking_the_first_item(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    twin = {
        "PK": "USER#alice2",
        "SK": "PROFILE",
        "GSI1PK": "EMAIL#alice@example.com",
        "GSI1SK": "PROFILE",
        "userId": "alice2",
    }
    fake.put(TABLE, _av_item(twin))
    assert rt.execute_query_method("UserByEmail", "get", {"email": "alice@example.com"}) == ALICE
    assert fake.calls == [
        (
            "query",
            {
                "TableName": TABLE,
                "KeyConditionExpression": "#k0 = :k0 AND #k1 = :k1",
                "ExpressionAttributeNames": {"#k0": "GSI1PK", "#k1": "GSI1SK"},
                "ExpressionAttributeValues": {
                    ":k0": {"S": "EMAIL#alice@example.com"},
                    ":k1": {"S": "PROFILE"},
                },
                "IndexName": "GSI1",
            },
        )
    ]
    assert rt.execute_query_method("UserByEmail", "get", {"email": "x@example.com"}) is None


def test_non_mapping_single_keys_raise_before_any_call(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    for bad in ("eng", 42, None, {"groupId"}, frozenset({("groupId", "eng")})):
        with pytest.raises(ParameterValidationError):
            rt.execute_query_method("GroupById", "get", bad)
    assert fake.calls == []


# =============================================================================================
# Section 31.2: point, key array
# =============================================================================================


@pytest.mark.parametrize("keys", [[{"email": "a@x"}], [], ({"email": "a@x"},)])
def test_unique_index_point_rejects_an_array(
    rt: GraphDDBRuntime, fake: FakeDynamo, keys: Any
) -> None:
    with pytest.raises(ContractArityError) as caught:
        rt.execute_query_method("UserByEmail", "get", keys)
    assert str(caught.value) == (
        "UserByEmail.get: unique-index point method called with an array of keys, but its "
        "inputArity is 'single'"
    )
    assert fake.calls == []


def test_golden_contract_point_array_on_the_wire() -> None:
    """Section 43.5 "Contract point array", through botocore's Stubber (request validated)."""
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    rt = _rt(client)
    expected_request = {
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
    }
    response = {
        "Responses": {
            "app-prod": [
                {
                    "groupId": {"S": "eng"},
                    "name": {"S": "Engineering"},
                    "memberCount": {"N": "2"},
                    "PK": {"S": "GROUP#eng"},
                    "SK": {"S": "META"},
                }
            ]
        },
        "UnprocessedKeys": {},
    }
    keys = [{"groupId": "eng"}, {"groupId": "nope"}, {"groupId": "eng"}]
    with Stubber(client) as stub:
        stub.add_response("batch_get_item", response, expected_request)
        result = rt.execute_query_method("GroupById", "get", keys)
        stub.assert_no_pending_responses()
        stub.add_response("batch_get_item", response, expected_request)
        native = rt.execute_query_method("GroupById", "get", keys, {"numbers": "native"})
        stub.assert_no_pending_responses()
    assert result == {
        '{"groupId":"eng"}': {"groupId": "eng", "name": "Engineering", "memberCount": Decimal("2")},
        '{"groupId":"nope"}': None,
    }
    assert list(result) == ['{"groupId":"eng"}', '{"groupId":"nope"}']
    assert native['{"groupId":"eng"}']["memberCount"] == 2
    assert type(native['{"groupId":"eng"}']["memberCount"]) is int


def test_golden_request_key_order(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    """Section 19.3: Keys, ProjectionExpression, ExpressionAttributeNames, ConsistentRead."""
    rt.execute_query_method("GroupById", "get", [{"groupId": "eng"}], {"consistentRead": True})
    ((_, request),) = fake.calls
    assert list(request) == ["RequestItems"]
    assert list(request["RequestItems"][TABLE]) == [
        "Keys",
        "ProjectionExpression",
        "ExpressionAttributeNames",
        "ConsistentRead",
    ]


def test_point_array_dedups_keeps_first_seen_order_and_explicit_misses(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    keys = [{"groupId": "ops"}, {"groupId": "eng"}, {"groupId": "nope"}, {"groupId": "ops"}]
    result = rt.execute_query_method("GroupById", "get", keys)
    assert fake.calls == [
        (
            "batch_get_item",
            _batch([_group_key("ops"), _group_key("eng"), _group_key("nope")], GROUP_FIELDS),
        )
    ]
    assert list(result) == ['{"groupId":"ops"}', '{"groupId":"eng"}', '{"groupId":"nope"}']
    assert result == {
        '{"groupId":"ops"}': OPS,
        '{"groupId":"eng"}': ENG,
        '{"groupId":"nope"}': None,
    }


def test_point_array_order_does_not_depend_on_response_order() -> None:
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    rt = _rt(client)
    rows = [_av_item(SEED[2]), _av_item(SEED[1])]  # ops before eng
    with Stubber(client) as stub:
        stub.add_response(
            "batch_get_item",
            {"Responses": {TABLE: rows}},
            _batch([_group_key("eng"), _group_key("ops")], GROUP_FIELDS),
        )
        result = rt.execute_query_method(
            "GroupById", "get", [{"groupId": "eng"}, {"groupId": "ops"}]
        )
    assert list(result.items()) == [('{"groupId":"eng"}', ENG), ('{"groupId":"ops"}', OPS)]


def test_point_array_dedups_by_primary_key_identity(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    """5 and 5.0 are distinct input keys (two map entries) but one primary key (one Key sent)."""
    keys = [{"n": 5}, {"n": 5.0}, {"n": Decimal("5")}, {"n": 6}]
    result = rt.execute_query_method("CounterByNumber", "get", keys)
    assert fake.calls == [
        (
            "batch_get_item",
            _batch(
                [_key("COUNTER#5", "META"), _key("COUNTER#6", "META")], ("n", "label", "PK", "SK")
            ),
        )
    ]
    five = {"n": Decimal("5"), "label": "five"}
    assert result == {'{"n":5}': five, '{"n":5.0}': five, '{"n":6}': None}
    assert list(result) == ['{"n":5}', '{"n":5.0}', '{"n":6}']


def test_point_array_with_absent_input_arity_coalesces(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    result = rt.execute_query_method("UserById", "get", [{"userId": "alice"}, {"userId": "bob"}])
    assert result == {'{"userId":"alice"}': ALICE, '{"userId":"bob"}': None}
    assert fake.calls == [
        ("batch_get_item", _batch([_user_key("alice"), _user_key("bob")], USER_FIELDS))
    ]


def test_an_empty_array_returns_an_empty_map_without_a_call(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    assert rt.execute_query_method("GroupById", "get", []) == {}
    assert rt.execute_query_method("GroupById", "get", ()) == {}
    assert rt.execute_query_method("MemberAccess", "get", []) == {}
    assert fake.calls == []


def test_tuples_are_key_arrays(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    as_tuple = rt.execute_query_method("GroupById", "get", ({"groupId": "eng"}, {"groupId": "x"}))
    as_list = rt.execute_query_method("GroupById", "get", [{"groupId": "eng"}, {"groupId": "x"}])
    assert as_tuple == as_list == {'{"groupId":"eng"}': ENG, '{"groupId":"x"}': None}
    assert fake.requests("batch_get_item")[0] == fake.requests("batch_get_item")[1]


def test_point_array_consistent_read(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    rt.execute_query_method("GroupById", "get", [{"groupId": "eng"}], {"consistentRead": True})
    assert fake.requests("batch_get_item") == [
        _batch([_group_key("eng")], GROUP_FIELDS, consistent=True)
    ]


@pytest.mark.parametrize(
    "keys",
    [
        [{"groupId": "eng"}, "ops"],
        [{"groupId": "eng"}, None],
        [{"groupId": 5}],
        [{"groupId": "eng"}, {"group": "ops"}],
    ],
)
def test_every_key_of_an_array_is_validated_before_any_call(
    rt: GraphDDBRuntime, fake: FakeDynamo, keys: list[Any]
) -> None:
    with pytest.raises(ParameterValidationError):
        rt.execute_query_method("GroupById", "get", keys)
    assert fake.calls == []


def test_more_unique_keys_than_max_items_raises_before_any_call(fake: FakeDynamo) -> None:
    rt = _rt(fake, limits=RuntimeLimits(max_items=2))
    keys = [{"groupId": "a"}, {"groupId": "b"}, {"groupId": "c"}]
    with pytest.raises(LimitExceededError) as caught:
        rt.execute_query_method("GroupById", "get", keys)
    assert str(caught.value) == "GroupById.get: BatchGet needs 3 keys, exceeds max_items 2"
    assert fake.calls == []
    # duplicates do not count
    dup = [{"groupId": "a"}, {"groupId": "b"}, {"groupId": "a"}, {"groupId": "b"}]
    assert rt.execute_query_method("GroupById", "get", dup) == {
        '{"groupId":"a"}': None,
        '{"groupId":"b"}': None,
    }
    assert fake.count("batch_get_item") == 1


def test_point_array_is_chunked_by_100(fake: FakeDynamo) -> None:
    rt = _rt(fake, limits=RuntimeLimits(max_items=250, batch_concurrency=1))
    keys = [{"groupId": f"g{i:03d}"} for i in range(250)]
    result = rt.execute_query_method("GroupById", "get", keys)
    requests = fake.requests("batch_get_item")
    assert [len(r["RequestItems"][TABLE]["Keys"]) for r in requests] == [100, 100, 50]
    sent = [k for r in requests for k in r["RequestItems"][TABLE]["Keys"]]
    assert sent == [_group_key(f"g{i:03d}") for i in range(250)]
    assert list(result) == [serialize_contract_key(k) for k in keys]
    assert all(v is None for v in result.values())


def test_point_array_chunk_size_follows_max_batch_get_items(fake: FakeDynamo) -> None:
    rt = _rt(fake, limits=RuntimeLimits(max_batch_get_items=2, batch_concurrency=1))
    keys = [{"groupId": "eng"}, {"groupId": "ops"}, {"groupId": "x"}]
    result = rt.execute_query_method("GroupById", "get", keys)
    assert fake.requests("batch_get_item") == [
        _batch([_group_key("eng"), _group_key("ops")], GROUP_FIELDS),
        _batch([_group_key("x")], GROUP_FIELDS),
    ]
    assert result == {'{"groupId":"eng"}': ENG, '{"groupId":"ops"}': OPS, '{"groupId":"x"}': None}


def test_point_array_retries_unprocessed_keys(fake: FakeDynamo) -> None:
    sleeps: list[float] = []
    rt = _rt(fake, limits=RuntimeLimits(batch_backoff_jitter=False), sleep=sleeps.append)
    first = [True]

    def unprocessed(keys: list[AV]) -> list[AV]:
        if first[0]:
            first[0] = False
            return keys[1:]
        return []

    fake.unprocessed = unprocessed
    result = rt.execute_query_method("GroupById", "get", [{"groupId": "eng"}, {"groupId": "ops"}])
    assert result == {'{"groupId":"eng"}': ENG, '{"groupId":"ops"}': OPS}
    assert fake.requests("batch_get_item")[1] == _batch([_group_key("ops")], GROUP_FIELDS)
    assert sleeps == [0.05]


def test_point_array_exhausted_retries_raise_batch_incomplete(fake: FakeDynamo) -> None:
    rt = _rt(fake, limits=RuntimeLimits(batch_max_retries=1), sleep=_no_sleep)
    fake.unprocessed = lambda keys: keys
    with pytest.raises(BatchIncompleteError) as caught:
        rt.execute_query_method("GroupById", "get", [{"groupId": "eng"}])
    assert str(caught.value) == (
        "BatchGetItem: 1 key(s) still unprocessed for table 'app-prod' after 1 retries"
    )
    assert caught.value.unprocessed == ({"table": TABLE, "key": _group_key("eng")},)
    assert caught.value.operation_id == "GroupById.get"
    assert fake.count("batch_get_item") == 2


def test_point_array_fires_no_hooks(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    seen: list[str] = []
    rt.use(
        {
            "read": {
                "before": lambda ctx: seen.append("R1"),
                "afterFetch": lambda ctx, result: seen.append("R4"),
                "op": {
                    "before": lambda ctx: seen.append("R2"),
                    "afterFetch": lambda ctx, items: seen.append("R3"),
                },
            }
        }
    )
    result = rt.execute_query_method("MemberAccess", "get", [{"groupId": "eng", "userId": "alice"}])
    assert result['{"groupId":"eng","userId":"alice"}']["group"] == ENG
    assert seen == []
    assert fake.count("batch_get_item") == 3


# =============================================================================================
# Section 31.2 + 38.2: single-key forms run hooks R1-R5; R1 may redirect the key
# =============================================================================================


def test_single_key_point_runs_the_hooks_with_the_context(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    seen: list[tuple[str, Any]] = []
    rt.use(
        {
            "read": {
                "before": lambda ctx: seen.append(("R1", dict(ctx.context))),
                "afterFetch": lambda ctx, result: seen.append(("R4", result)),
                "op": {
                    "before": lambda ctx: seen.append(("R2", ctx.kind)),
                    "afterFetch": lambda ctx, items: seen.append(("R3", len(items))),
                },
            }
        }
    )
    rt.execute_query_method("GroupById", "get", {"groupId": "eng"}, {"context": {"tenant": "t1"}})
    assert seen == [("R1", {"tenant": "t1"}), ("R2", "GetItem"), ("R3", 1), ("R4", ENG)]
    seen.clear()
    rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"})
    assert [s[0] for s in seen] == ["R1", "R2", "R3", "R4"]
    assert seen[0] == ("R1", {})  # default context


def test_r1_may_redirect_the_key_which_is_revalidated(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    def redirect(ctx: Any) -> None:
        ctx.params["params"] = {"groupId": "ops"}

    rt.use({"read": {"before": redirect}})
    assert rt.execute_query_method("GroupById", "get", {"groupId": "eng"}) == OPS
    assert fake.requests("get_item") == [{"TableName": TABLE, "Key": _group_key("ops")}]

    def corrupt(ctx: Any) -> None:
        ctx.params["params"] = {"groupId": 5}

    rt.clear_middleware()
    rt.use({"read": {"before": corrupt}})
    with pytest.raises(ParameterValidationError):
        rt.execute_query_method("GroupById", "get", {"groupId": "eng"})
    assert fake.count("get_item") == 1


# =============================================================================================
# Section 31.2: range
# =============================================================================================


def test_range_single_key_uses_the_op_limit(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    result = rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"})
    assert result == {"items": [ENG_ALICE, ENG_BOB], "cursor": None}
    assert fake.calls == [("query", _members_query("eng", Limit=50))]


def test_range_limit_overrides_the_op_limit_and_pages_with_per_key_cursors(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    first = rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, {"limit": 1})
    assert first == {"items": [ENG_ALICE], "cursor": ENG_ENVELOPE}  # the exact section 32 string
    second = rt.execute_query_method(
        "MembersByGroup", "list", {"groupId": "eng"}, {"limit": 1, "after": first["cursor"]}
    )
    assert second == {"items": [ENG_BOB], "cursor": None}  # None at the end
    assert fake.requests("query") == [
        _members_query("eng", Limit=1),
        _members_query("eng", Limit=1, ExclusiveStartKey=_member_key("eng", "alice")),
    ]


def test_range_key_is_validated_before_any_call(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    for bad in ({}, {"groupId": 1}, {"groupId": "eng", "joinedSince": "x"}, "eng"):
        with pytest.raises(ParameterValidationError):
            rt.execute_query_method("MembersByGroup", "list", bad)
    assert fake.calls == []


def test_range_only_options_are_ignored_by_point_methods(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    """Reading: ``limit``/``after``/``order`` apply to range only, so a point call ignores them
    (they are still type-checked); a limit above max_items does not raise for a point method."""
    params = {"limit": 1000, "after": "not-a-cursor", "order": "desc"}
    assert rt.execute_query_method("GroupById", "get", {"groupId": "eng"}, params) == ENG
    assert fake.calls == [("get_item", {"TableName": TABLE, "Key": _group_key("eng")})]


def test_range_of_an_empty_partition(rt: GraphDDBRuntime) -> None:
    assert rt.execute_query_method("MembersByGroup", "list", {"groupId": "none"}) == {
        "items": [],
        "cursor": None,
    }


def test_range_limit_above_max_items_raises_before_any_call(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    with pytest.raises(LimitExceededError) as caught:
        rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, {"limit": 101})
    assert str(caught.value) == "MembersByGroup.list: limit 101 exceeds max_items 100"
    assert fake.calls == []
    rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, {"limit": 100})
    assert fake.requests("query") == [_members_query("eng", Limit=100)]


def test_range_order_sets_scan_index_forward(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    desc = rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, {"order": "desc"})
    asc = rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, {"order": "asc"})
    assert desc["items"] == [ENG_BOB, ENG_ALICE]
    assert asc["items"] == [ENG_ALICE, ENG_BOB]
    assert fake.requests("query") == [
        _members_query("eng", Limit=50, ScanIndexForward=False),
        _members_query("eng", Limit=50),  # ascending is never sent
    ]


def test_range_order_overrides_a_descending_op(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    key = {"groupId": "eng"}
    default = rt.execute_query_method("MembersNewestFirst", "list", key)
    asc = rt.execute_query_method("MembersNewestFirst", "list", key, {"order": "asc"})
    desc = rt.execute_query_method("MembersNewestFirst", "list", key, {"order": "desc"})
    assert [i["userId"] for i in default["items"]] == ["bob", "alice"]
    assert [i["userId"] for i in asc["items"]] == ["alice", "bob"]
    assert desc == default
    assert fake.requests("query") == [
        _members_query("eng", ScanIndexForward=False),
        _members_query("eng"),
        _members_query("eng", ScanIndexForward=False),
    ]


def test_range_consistent_read(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, {"consistentRead": True})
    assert fake.requests("query") == [_members_query("eng", ConsistentRead=True, Limit=50)]


def test_range_without_limit_truncates_at_max_items_and_never_raises(fake: FakeDynamo) -> None:
    """Section 7.7 paging: no LimitExceededError after the read, a per-key cursor instead."""
    rt = _rt(fake, limits=RuntimeLimits(max_items=1))
    first = rt.execute_query_method("MembersNewestFirst", "list", {"groupId": "eng"})
    bob_inner = encode_cursor({"PK": "GROUP#eng", "SK": "USER#bob"})
    assert first == {
        "items": [{"groupId": "eng", "userId": "bob", "role": "member"}],
        "cursor": encode_per_key_cursor({"groupId": "eng"}, bob_inner),
    }
    second = rt.execute_query_method(
        "MembersNewestFirst", "list", {"groupId": "eng"}, {"after": first["cursor"]}
    )
    assert second == {
        "items": [{"groupId": "eng", "userId": "alice", "role": "admin"}],
        "cursor": None,
    }
    assert fake.requests("query")[1]["ExclusiveStartKey"] == _member_key("eng", "bob")


@pytest.mark.parametrize(
    ("contract", "keys"),
    [
        ("MembersByGroup", [{"groupId": "eng"}]),
        ("MembersByGroup", []),
        ("MembersByGroup", ({"groupId": "eng"},)),
        ("MembersNewestFirst", [{"groupId": "eng"}]),  # absent inputArity counts as single
        ("MembersWithUser", [{"groupId": "eng"}]),
    ],
)
def test_range_rejects_key_arrays_before_any_call(
    rt: GraphDDBRuntime, fake: FakeDynamo, contract: str, keys: Any
) -> None:
    with pytest.raises(ContractArityError) as caught:
        rt.execute_query_method(contract, "list", keys)
    assert str(caught.value) == (
        f"{contract}.list: range method called with an array of keys, but its inputArity is "
        "'single'"
    )
    assert fake.calls == []


# =============================================================================================
# Section 32: per-key cursors
# =============================================================================================


def test_serialize_contract_key() -> None:
    assert serialize_contract_key({"userId": "u1", "groupId": "g1"}) == (
        '{"groupId":"g1","userId":"u1"}'
    )
    assert serialize_contract_key({"b": Decimal("2"), "a": Decimal("1.5")}) == '{"a":1.5,"b":2}'
    assert serialize_contract_key({"name": "Zoë"}) == '{"name":"Zoë"}'


def test_per_key_envelope_exact_example() -> None:
    assert encode_per_key_cursor({"groupId": "eng"}, ALICE_INNER) == ENG_ENVELOPE
    assert decode_cursor(ENG_ENVELOPE) == {"key": '{"groupId":"eng"}', "inner": ALICE_INNER}
    assert encode_per_key_cursor({"groupId": "eng"}, None) is None
    assert decode_per_key_cursor(ENG_ENVELOPE, {"groupId": "eng"}) == ALICE_INNER


UNDECODABLE = "Invalid per-key cursor: the value passed as 'after' failed to decode"
NO_FIELDS = "Invalid per-key cursor: the envelope is missing its key / inner fields"


@pytest.mark.parametrize(
    ("after", "message"),
    [
        ("not a cursor!", UNDECODABLE),
        ("a", UNDECODABLE),
        (base64.urlsafe_b64encode(b"[1, 2]").decode().rstrip("="), UNDECODABLE),
        (base64.urlsafe_b64encode(b"\xff\xfe").decode().rstrip("="), UNDECODABLE),
        (ENG_ENVELOPE + ".c2ln", UNDECODABLE),
        (encode_cursor({"foo": 1}), NO_FIELDS),
        (encode_cursor({"key": '{"groupId":"eng"}'}), NO_FIELDS),
        (encode_cursor({"inner": ALICE_INNER}), NO_FIELDS),
        (encode_cursor({"key": 1, "inner": ALICE_INNER}), NO_FIELDS),
        (encode_cursor({"key": '{"groupId":"eng"}', "inner": 5}), NO_FIELDS),
        (
            encode_per_key_cursor({"groupId": "ops"}, ALICE_INNER),
            'Per-key cursor mismatch: the cursor belongs to key {"groupId":"ops"}, but the method '
            'was called for key {"groupId":"eng"}',
        ),
    ],
)
def test_after_decode_errors_are_exact_and_happen_before_any_call(
    rt: GraphDDBRuntime, fake: FakeDynamo, after: str, message: str
) -> None:
    with pytest.raises(CursorError) as caught:
        rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, {"after": after})
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)
    assert fake.calls == []


def test_decode_per_key_cursor_helper_messages() -> None:
    with pytest.raises(CursorError) as caught:
        decode_per_key_cursor("%%%", {"groupId": "eng"})
    assert str(caught.value) == UNDECODABLE
    with pytest.raises(CursorError) as caught:
        decode_per_key_cursor(encode_cursor({"x": "y"}), {"groupId": "eng"})
    assert str(caught.value) == NO_FIELDS
    with pytest.raises(CursorError) as caught:
        decode_per_key_cursor(ENG_ENVELOPE, {"groupId": "ops"})
    assert str(caught.value) == (
        'Per-key cursor mismatch: the cursor belongs to key {"groupId":"eng"}, but the method was '
        'called for key {"groupId":"ops"}'
    )


@pytest.mark.parametrize(
    ("inner", "message"),
    [
        (
            encode_cursor({"PK": "GROUP#ops", "SK": "USER#alice"}),
            "MembersByGroup.list: cursor belongs to a different partition",
        ),
        ("%%not-base64", "MembersByGroup.list: malformed cursor"),
        (
            encode_cursor({"PK": "GROUP#eng"}),
            "MembersByGroup.list: cursor does not belong to this query (expected key attributes "
            "['PK', 'SK'], got ['PK'])",
        ),
    ],
)
def test_the_inner_cursor_is_validated_against_the_op(
    rt: GraphDDBRuntime, fake: FakeDynamo, inner: str, message: str
) -> None:
    after = encode_per_key_cursor({"groupId": "eng"}, inner)
    with pytest.raises(CursorError) as caught:
        rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, {"after": after})
    assert str(caught.value) == message
    assert fake.calls == []


def test_signature_helper_matches_the_section_12_3_example() -> None:
    assert _sign(ALICE_INNER, "s3cret", "listGroupMembers") == (
        "eyJQSyI6IkdST1VQI2VuZyIsIlNLIjoiVVNFUiNhbGljZSJ9."
        "uhcBqPGKWLmIT0602HQ9BGBGSF0ubPXRIH4cqOdlRVE"
    )


def test_signed_inner_cursors_use_the_contract_method_scope(fake: FakeDynamo) -> None:
    rt = _rt(fake, cursor_secret="s3cret")
    key = {"groupId": "eng"}
    first = rt.execute_query_method("MembersByGroup", "list", key, {"limit": 1})
    signed_inner = _sign(ALICE_INNER, "s3cret", "MembersByGroup.list")
    assert first["cursor"] == encode_cursor({"key": '{"groupId":"eng"}', "inner": signed_inner})
    # the envelope itself is not signed: it decodes as a plain cursor
    assert decode_cursor(first["cursor"]) == {"key": '{"groupId":"eng"}', "inner": signed_inner}
    second = rt.execute_query_method(
        "MembersByGroup", "list", key, {"limit": 1, "after": first["cursor"]}
    )
    assert second == {"items": [ENG_BOB], "cursor": None}
    assert fake.requests("query")[1]["ExclusiveStartKey"] == _member_key("eng", "alice")


@pytest.mark.parametrize(
    "inner",
    [
        ALICE_INNER,  # unsigned
        _sign(ALICE_INNER, "s3cret", "listMembersOfGroup"),  # the query id is not the scope
        _sign(ALICE_INNER, "other", "MembersByGroup.list"),  # another secret
        ALICE_INNER + ".",
    ],
)
def test_signed_runtime_rejects_foreign_inner_cursors(fake: FakeDynamo, inner: str) -> None:
    rt = _rt(fake, cursor_secret="s3cret")
    after = encode_per_key_cursor({"groupId": "eng"}, inner)
    with pytest.raises(CursorError) as caught:
        rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, {"after": after})
    assert str(caught.value) == "MembersByGroup.list: cursor signature is invalid"
    assert fake.calls == []


def test_unsigned_runtime_rejects_a_signed_inner_cursor(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    after = encode_per_key_cursor(
        {"groupId": "eng"}, _sign(ALICE_INNER, "s3cret", "MembersByGroup.list")
    )
    with pytest.raises(CursorError) as caught:
        rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, {"after": after})
    assert str(caught.value) == "MembersByGroup.list: malformed cursor"
    assert fake.calls == []


# =============================================================================================
# Section 33: compositions
# =============================================================================================


def test_composition_on_a_point_single_key(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    result = rt.execute_query_method("MemberAccess", "get", {"groupId": "eng", "userId": "alice"})
    assert result == {**ENG_ALICE, "group": ENG, "user": ALICE}
    assert list(result) == ["groupId", "userId", "role", "joinedAt", "group", "user"]
    assert fake.requests("get_item") == [{"TableName": TABLE, "Key": _member_key("eng", "alice")}]
    assert sorted(map(repr, fake.requests("batch_get_item"))) == sorted(
        map(
            repr,
            [
                _batch([_group_key("eng")], GROUP_FIELDS),
                _batch([_user_key("alice")], USER_FIELDS),
            ],
        )
    )


def test_composition_is_skipped_when_the_parent_is_missing(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    assert (
        rt.execute_query_method("MemberAccess", "get", {"groupId": "eng", "userId": "zed"}) is None
    )
    assert [m for m, _ in fake.calls] == ["get_item"]


def test_composition_one_deduplicated_batch_per_edge(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    keys = [
        {"groupId": "eng", "userId": "alice"},
        {"groupId": "ops", "userId": "alice"},
        {"groupId": "eng", "userId": "bob"},
        {"groupId": "eng", "userId": "zed"},  # a miss: no parent, no compose
    ]
    result = rt.execute_query_method("MemberAccess", "get", keys)
    assert result == {
        '{"groupId":"eng","userId":"alice"}': {**ENG_ALICE, "group": ENG, "user": ALICE},
        '{"groupId":"ops","userId":"alice"}': {**OPS_ALICE, "group": OPS, "user": ALICE},
        '{"groupId":"eng","userId":"bob"}': {**ENG_BOB, "group": ENG, "user": None},
        '{"groupId":"eng","userId":"zed"}': None,
    }
    requests = fake.requests("batch_get_item")
    assert requests[0] == _batch(
        [
            _member_key("eng", "alice"),
            _member_key("ops", "alice"),
            _member_key("eng", "bob"),
            _member_key("eng", "zed"),
        ],
        MEMBER_FIELDS,
    )
    assert sorted(map(repr, requests[1:])) == sorted(
        map(
            repr,
            [
                _batch([_group_key("eng"), _group_key("ops")], GROUP_FIELDS),
                _batch([_user_key("alice"), _user_key("bob")], USER_FIELDS),
            ],
        )
    )


def test_composition_on_range_items(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    result = rt.execute_query_method("MembersWithUser", "list", {"groupId": "eng"})
    assert result == {
        "items": [{**ENG_ALICE, "user": ALICE}, {**ENG_BOB, "user": None}],
        "cursor": None,
    }
    assert fake.requests("batch_get_item") == [
        _batch([_user_key("alice"), _user_key("bob")], USER_FIELDS)
    ]


def test_composition_on_an_empty_range_makes_no_child_read(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    assert rt.execute_query_method("MembersWithUser", "list", {"groupId": "none"}) == {
        "items": [],
        "cursor": None,
    }
    assert [m for m, _ in fake.calls] == ["query"]


def test_compositions_have_no_max_items_cap_and_fire_no_hooks(fake: FakeDynamo) -> None:
    """R3 widens the page to 3 parents with max_items 2: the edge still sends one 3-key batch."""
    rt = _rt(fake, limits=RuntimeLimits(max_items=2))
    for i in (1, 2, 3):
        fake.put(TABLE, _av_item({"PK": f"USER#u{i}", "SK": "PROFILE", "userId": f"u{i}"}))
    raw = [
        {
            "PK": "GROUP#eng",
            "SK": f"USER#u{i}",
            "groupId": "eng",
            "userId": f"u{i}",
            "role": "member",
            "joinedAt": JOINED,
        }
        for i in (1, 2, 3)
    ]
    kinds: list[str] = []

    def widen(ctx: Any, items: list[Any]) -> list[Any]:
        kinds.append(ctx.kind)
        return raw

    rt.use({"read": {"op": {"afterFetch": widen}}})
    result = rt.execute_query_method("MembersWithUser", "list", {"groupId": "eng"}, {"limit": 2})
    assert [item["user"] for item in result["items"]] == [{"userId": f"u{i}"} for i in (1, 2, 3)]
    assert fake.requests("batch_get_item") == [
        _batch([_user_key("u1"), _user_key("u2"), _user_key("u3")], USER_FIELDS)
    ]
    assert kinds == ["Query"]  # the composed BatchGetItem fired no hook


def test_composition_propagates_consistent_read(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    rt.execute_query_method(
        "MemberAccess", "get", {"groupId": "eng", "userId": "alice"}, {"consistentRead": True}
    )
    assert fake.requests("get_item") == [
        {"TableName": TABLE, "Key": _member_key("eng", "alice"), "ConsistentRead": True}
    ]
    assert sorted(map(repr, fake.requests("batch_get_item"))) == sorted(
        map(
            repr,
            [
                _batch([_group_key("eng")], GROUP_FIELDS, consistent=True),
                _batch([_user_key("alice")], USER_FIELDS, consistent=True),
            ],
        )
    )
    fake.calls.clear()
    rt.execute_query_method("MembersWithUser", "list", {"groupId": "eng"}, {"consistentRead": True})
    assert fake.requests("batch_get_item") == [
        _batch([_user_key("alice"), _user_key("bob")], USER_FIELDS, consistent=True)
    ]


def test_composition_nested_bind_path_and_one_level_depth(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    """``$.owner.groupId`` descends into a map; the child MemberAccess.get's own compose is not
    applied; without a compositionPlan the edges run sequentially in compose order."""
    result = rt.execute_query_method("ProjectById", "get", {"projectId": "p1"})
    assert result == {
        "projectId": "p1",
        "name": "Apollo",
        "owner": {"groupId": "eng", "team": {"name": "core"}},
        "leadUserId": "alice",
        "ownerGroup": ENG,
        "lead": ENG_ALICE,  # no "group" / "user": compositions go one level deep
    }
    assert list(result) == ["projectId", "name", "owner", "leadUserId", "ownerGroup", "lead"]
    assert fake.calls == [
        ("get_item", {"TableName": TABLE, "Key": _key("PROJECT#p1", "META")}),
        ("batch_get_item", _batch([_group_key("eng")], GROUP_FIELDS)),
        ("batch_get_item", _batch([_member_key("eng", "alice")], MEMBER_FIELDS)),
    ]
    assert fake.max_in_flight == 1


def test_composition_stages_follow_the_plan(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    """stages [[1], [0]]: edge 1 is read (and written) before edge 0."""
    result = rt.execute_query_method("ProjectByIdStaged", "get", {"projectId": "p1"})
    assert list(result) == ["projectId", "name", "owner", "leadUserId", "lead", "ownerGroup"]
    assert result["lead"] == ENG_ALICE and result["ownerGroup"] == ENG
    assert fake.calls[1:] == [
        ("batch_get_item", _batch([_member_key("eng", "alice")], MEMBER_FIELDS)),
        ("batch_get_item", _batch([_group_key("eng")], GROUP_FIELDS)),
    ]


def test_edges_of_one_stage_run_concurrently_and_write_in_edge_order(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    """MemberAccess stages [[0, 1]]: the group edge waits until the user edge has started, so the
    user edge completes first; the result still has ``group`` before ``user``."""
    user_started = threading.Event()

    def delay(method: str, kwargs: dict[str, Any]) -> float:
        if method == "batch_get_item":
            first = kwargs["RequestItems"][TABLE]["Keys"][0]["PK"]["S"]
            if first.startswith("GROUP#"):
                assert user_started.wait(5), "the two edges of one stage did not run concurrently"
            else:
                user_started.set()
        return 0.0

    fake.delay = delay
    result = rt.execute_query_method("MemberAccess", "get", {"groupId": "eng", "userId": "alice"})
    assert list(result) == ["groupId", "userId", "role", "joinedAt", "group", "user"]
    assert fake.max_in_flight == 2


def test_missing_bind_values_give_none_without_a_read(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    result = rt.execute_query_method("ProjectById", "get", {"projectId": "p3"})  # no owner
    assert result == {
        "projectId": "p3",
        "name": "Comet",
        "leadUserId": "alice",
        "ownerGroup": None,
        "lead": None,
    }
    assert [m for m, _ in fake.calls] == ["get_item"]


def test_a_none_bind_value_counts_as_missing(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    fake.put(
        TABLE,
        _av_item({"PK": "PROJECT#p4", "SK": "META", "projectId": "p4", "owner": {"groupId": None}}),
    )
    result = rt.execute_query_method("ProjectById", "get", {"projectId": "p4"})
    assert result["ownerGroup"] is None and result["lead"] is None
    assert [m for m, _ in fake.calls] == ["get_item"]


def test_bound_but_absent_children_are_none(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    result = rt.execute_query_method("ProjectById", "get", {"projectId": "p2"})
    assert result["ownerGroup"] == OPS
    assert result["lead"] is None  # (ops, zed) is read but does not exist
    assert fake.requests("batch_get_item")[1] == _batch([_member_key("ops", "zed")], MEMBER_FIELDS)


def test_composition_over_a_point_array_mixes_bound_and_unbound_parents(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    result = rt.execute_query_method(
        "ProjectById", "get", [{"projectId": "p1"}, {"projectId": "p3"}, {"projectId": "p1"}]
    )
    assert list(result) == ['{"projectId":"p1"}', '{"projectId":"p3"}']
    assert result['{"projectId":"p1"}']["ownerGroup"] == ENG
    assert result['{"projectId":"p3"}']["ownerGroup"] is None
    assert fake.requests("batch_get_item")[1:] == [
        _batch([_group_key("eng")], GROUP_FIELDS),
        _batch([_member_key("eng", "alice")], MEMBER_FIELDS),
    ]


def test_whole_record_bind_path(fake: FakeDynamo) -> None:
    """``"$"`` binds the whole parent record. Ambiguity: a record is never a valid key value for
    the five param types, so the child key fails validation (ParameterValidationError) and no
    child read is sent; this is the literal reading of section 33.1 / 33.3."""
    operations = copy.deepcopy(OPS_JSON)
    operations["contracts"]["GroupSelf"] = {
        "kind": "query",
        "methods": {
            "get": {
                "operation": "getGroup",
                "resolution": "point",
                "inputArity": "either",
                "compose": [
                    {
                        "as": "self",
                        "contract": "GroupById",
                        "method": "get",
                        "resolution": "point",
                        "bind": {"groupId": "$"},
                    }
                ],
            }
        },
    }
    rt = _rt(fake, operations)
    with pytest.raises(ParameterValidationError) as caught:
        rt.execute_query_method("GroupSelf", "get", {"groupId": "eng"})
    assert "parameter 'groupId' must be a string" in str(caught.value)
    assert [m for m, _ in fake.calls] == ["get_item"]


def test_composition_concurrency_bound_of_one_runs_a_stage_sequentially(fake: FakeDynamo) -> None:
    operations = copy.deepcopy(OPS_JSON)
    method = operations["contracts"]["MemberAccess"]["methods"]["get"]
    method["compositionPlan"] = {"stages": [[0, 1]], "concurrency": 1}
    rt = _rt(fake, operations)
    result = rt.execute_query_method("MemberAccess", "get", {"groupId": "eng", "userId": "alice"})
    assert result == {**ENG_ALICE, "group": ENG, "user": ALICE}
    assert fake.calls[1:] == [
        ("batch_get_item", _batch([_group_key("eng")], GROUP_FIELDS)),
        ("batch_get_item", _batch([_user_key("alice")], USER_FIELDS)),
    ]
    assert fake.max_in_flight == 1


def test_compositions_fire_no_hooks(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    kinds: list[str] = []
    rt.use({"read": {"op": {"before": lambda ctx: kinds.append(ctx.kind)}}})
    rt.execute_query_method("MemberAccess", "get", {"groupId": "eng", "userId": "alice"})
    assert kinds == ["GetItem"]
    assert fake.count("batch_get_item") == 2


# =============================================================================================
# Section 9.4 / 31.2: numbers
# =============================================================================================


def test_numbers_native_on_every_form(rt: GraphDDBRuntime) -> None:
    native = {"numbers": "native"}
    single = rt.execute_query_method("GroupById", "get", {"groupId": "eng"}, native)
    assert single == {"groupId": "eng", "name": "Engineering", "memberCount": 2}
    assert type(single["memberCount"]) is int
    array = rt.execute_query_method("CounterByNumber", "get", [{"n": 5}], native)
    assert array == {'{"n":5}': {"n": 5, "label": "five"}}
    assert type(array['{"n":5}']["n"]) is int
    composed = rt.execute_query_method(
        "MemberAccess", "get", {"groupId": "eng", "userId": "alice"}, native
    )
    assert type(composed["group"]["memberCount"]) is int


def test_numbers_default_comes_from_the_limits(fake: FakeDynamo) -> None:
    rt = _rt(fake, limits=RuntimeLimits(numbers="native"))
    assert (
        type(rt.execute_query_method("GroupById", "get", {"groupId": "eng"})["memberCount"]) is int
    )
    decimal = rt.execute_query_method(
        "GroupById", "get", {"groupId": "eng"}, {"numbers": "decimal"}
    )
    assert type(decimal["memberCount"]) is Decimal


# =============================================================================================
# Section 13.2: DynamoDB errors carry operation_id "<Contract>.<method>"
# =============================================================================================


@pytest.mark.parametrize(
    ("method", "operation", "call"),
    [
        ("get_item", "GetItem", ("GroupById", "get", {"groupId": "eng"})),
        ("query", "Query", ("UserByEmail", "get", {"email": "alice@example.com"})),
        ("query", "Query", ("MembersByGroup", "list", {"groupId": "eng"})),
        ("batch_get_item", "BatchGetItem", ("GroupById", "get", [{"groupId": "eng"}])),
    ],
)
def test_read_errors_carry_the_contract_method_id(
    rt: GraphDDBRuntime,
    fake: FakeDynamo,
    method: str,
    operation: str,
    call: tuple[str, str, Any],
) -> None:
    error = _client_error("InternalServerError", operation)
    fake.fail = lambda m, kw: error if m == method else None
    contract, name, key = call
    with pytest.raises(OperationExecutionError) as caught:
        rt.execute_query_method(contract, name, key)
    assert type(caught.value) is OperationExecutionError
    assert caught.value.operation_id == f"{contract}.{name}"
    assert caught.value.code == "InternalServerError"
    assert caught.value.request_id == "req-1"
    assert caught.value.original is error
    assert str(caught.value) == f"{contract}.{name}: DynamoDB operation failed: {error}"


def test_throttling_of_a_contract_read_is_a_throttled_error(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    fake.fail = lambda m, kw: _client_error("ProvisionedThroughputExceededException", "GetItem")
    with pytest.raises(ThrottledError) as caught:
        rt.execute_query_method("GroupById", "get", {"groupId": "eng"})
    assert caught.value.operation_id == "GroupById.get"


def test_composition_errors_carry_the_called_method_id(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    """Ambiguity: a composed child read is labelled with the method the caller invoked."""
    fake.fail = lambda m, kw: (
        _client_error("InternalServerError", "BatchGetItem") if m == "batch_get_item" else None
    )
    with pytest.raises(OperationExecutionError) as caught:
        rt.execute_query_method("MemberAccess", "get", {"groupId": "eng", "userId": "alice"})
    assert caught.value.operation_id == "MemberAccess.get"


# =============================================================================================
# Section 34.2: command methods, single key
# =============================================================================================

DISABLE_U1 = {
    "TableName": TABLE,
    "Key": _user_key("u1"),
    "UpdateExpression": "SET #c0 = :c0",
    "ExpressionAttributeNames": {"#c0": "status", "#ce": "PK"},
    "ExpressionAttributeValues": {":c0": {"S": "disabled"}},
    "ConditionExpression": "attribute_exists(#ce)",
}


def test_op_mode_runs_the_command_with_merged_params(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    assert (
        rt.execute_command_method(
            "UserCommands", "disable", {"userId": "u1"}, {"status": "disabled"}
        )
        is None
    )
    assert fake.calls == [("update_item", DISABLE_U1)]


def test_params_win_over_key_fields(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    key = {"userId": "u1", "status": "enabled"}  # "enabled" would fail the literal check
    rt.execute_command_method("UserCommands", "disable", key, {"status": "disabled"})
    rt.execute_command_method("UserCommands", "disable", {"userId": "u1", "status": "disabled"})
    assert fake.calls == [("update_item", DISABLE_U1), ("update_item", DISABLE_U1)]


def test_op_mode_is_exactly_execute_command(fake: FakeDynamo) -> None:
    rt = _rt(fake)
    key, params = {"groupId": "eng", "userId": "bob"}, None
    rt.execute_command_method("MembershipCommands", "remove", key, params)
    via_method = list(fake.calls)
    fake.calls.clear()
    rt.execute_command("MembershipCommands__remove", {"groupId": "eng", "userId": "bob"})
    assert (
        via_method
        == fake.calls
        == [("delete_item", {"TableName": TABLE, "Key": _member_key("eng", "bob")})]
    )


def test_op_mode_validation_and_errors_are_those_of_execute_command(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    with pytest.raises(ParameterValidationError) as caught:
        rt.execute_command_method("UserCommands", "disable", {"userId": "u1"}, {"status": "gone"})
    assert str(caught.value) == (
        "disableUser: parameter 'status' must be one of ['disabled'], got str 'gone'"
    )
    assert fake.calls == []
    error = _client_error("ConditionalCheckFailedException", "UpdateItem", "The conditional failed")
    fake.fail = lambda m, kw: error
    with pytest.raises(ConditionFailedError) as failed:
        rt.execute_command_method(
            "UserCommands", "disable", {"userId": "u1"}, {"status": "disabled"}
        )
    assert failed.value.operation_id == "disableUser"


def test_transaction_mode_with_idempotency_token(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    result = rt.execute_command_method(
        "MembershipCommands",
        "join",
        {"groupId": "eng", "userId": "carol"},
        {"role": "member", "joinedAt": JOINED},
        {"idempotencyToken": "tok-1"},
    )
    assert result is None
    assert fake.calls == [
        (
            "transact_write_items",
            {
                "TransactItems": [
                    {
                        "ConditionCheck": {
                            "TableName": TABLE,
                            "Key": _group_key("eng"),
                            "ExpressionAttributeNames": {"#ce": "PK"},
                            "ConditionExpression": "attribute_exists(#ce)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": TABLE,
                            "Item": _membership_item("eng", "carol", "member"),
                        }
                    },
                ],
                "ClientRequestToken": "tok-1",
            },
        )
    ]


def test_transaction_mode_is_exactly_execute_transaction(fake: FakeDynamo) -> None:
    rt = _rt(fake)
    merged = {"groupId": "eng", "userId": "carol", "role": "member", "joinedAt": JOINED}
    rt.execute_command_method(
        "MembershipCommands", "join", {"groupId": "eng", "userId": "carol"}, merged
    )
    via_method = list(fake.calls)
    fake.calls.clear()
    rt.execute_transaction("addMemberIfGroupExists", merged)
    assert via_method == fake.calls and len(via_method) == 1
    assert "ClientRequestToken" not in via_method[0][1]


def test_transaction_mode_cancellation_carries_the_transaction_id(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    fake.fail = lambda m, kw: _client_error(
        "TransactionCanceledException",
        "TransactWriteItems",
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[ConditionalCheckFailed, None]",
    )
    with pytest.raises(TransactionCanceledError) as caught:
        rt.execute_command_method(
            "MembershipCommands",
            "join",
            {"groupId": "ghost", "userId": "frank"},
            {"role": "member", "joinedAt": JOINED},
        )
    assert caught.value.operation_id == "addMemberIfGroupExists"
    assert [r.code for r in caught.value.reasons] == ["ConditionalCheckFailed", "None"]


def test_read_back_is_a_consistent_get_item_of_the_projection(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    """The merged params carry role/joinedAt, which the read-back query does not declare: no
    validation runs on the read-back."""
    result = rt.execute_command_method(
        "MembershipCommands",
        "add",
        {"groupId": "eng", "userId": "carol"},
        {"role": "member", "joinedAt": JOINED},
    )
    assert result == {"groupId": "eng", "userId": "carol", "role": "member"}
    assert fake.calls == [
        (
            "put_item",
            {"TableName": TABLE, "Item": _membership_item("eng", "carol", "member")},
        ),
        (
            "get_item",
            {"TableName": TABLE, "Key": _member_key("eng", "carol"), "ConsistentRead": True},
        ),
    ]


def test_read_back_of_a_missing_row_is_none(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    fake.store_writes = False
    result = rt.execute_command_method(
        "MembershipCommands",
        "add",
        {"groupId": "eng", "userId": "carol"},
        {"role": "member", "joinedAt": JOINED},
    )
    assert result is None
    assert [m for m, _ in fake.calls] == ["put_item", "get_item"]


def test_read_back_resolves_its_key_from_params_too(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    result = rt.execute_command_method(
        "MembershipCommands",
        "add",
        {"userId": "carol"},
        {"groupId": "eng", "role": "admin", "joinedAt": JOINED},
    )
    assert result == {"groupId": "eng", "userId": "carol", "role": "admin"}
    assert fake.requests("get_item") == [
        {"TableName": TABLE, "Key": _member_key("eng", "carol"), "ConsistentRead": True}
    ]


def test_single_mode_defaults_to_op(fake: FakeDynamo) -> None:
    operations = copy.deepcopy(OPS_JSON)
    single = operations["contracts"]["UserCommands"]["methods"]["disable"]["single"]
    del single["mode"]
    rt = _rt(fake, operations)
    rt.execute_command_method("UserCommands", "disable", {"userId": "u1"}, {"status": "disabled"})
    assert fake.calls == [("update_item", DISABLE_U1)]


@pytest.mark.parametrize("selection", [[], {}, False, None])
def test_a_falsy_return_selection_reads_nothing_back(fake: FakeDynamo, selection: Any) -> None:
    operations = copy.deepcopy(OPS_JSON)
    operations["contracts"]["MembershipCommands"]["methods"]["add"]["returnSelection"] = selection
    rt = _rt(fake, operations)
    result = rt.execute_command_method(
        "MembershipCommands",
        "add",
        {"groupId": "eng", "userId": "carol"},
        {"role": "member", "joinedAt": JOINED},
    )
    assert result is None
    assert [m for m, _ in fake.calls] == ["put_item"]


def test_non_mapping_shared_params_raise_before_any_call(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    """Reading: params must be a Mapping or None (section 34.2), else ParameterValidationError."""
    bad: tuple[Any, ...] = (["status", "disabled"], "disabled")
    for params in bad:
        with pytest.raises(ParameterValidationError):
            rt.execute_command_method("UserCommands", "disable", {"userId": "u1"}, params)
        with pytest.raises(ParameterValidationError):
            rt.execute_command_method("UserCommands", "disable", [{"userId": "u1"}], params)
    assert fake.calls == []


def test_read_back_with_a_list_return_selection(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    user = {"name": "Ada", "email": "ada@example.com", "createdAt": "2024-01-02T03:04:05.000Z"}
    result = rt.execute_command_method("UserAdminCommands", "create", {"userId": "u1"}, user)
    assert result == {"userId": "u1", "name": "Ada", "status": "active"}
    assert fake.calls[1] == (
        "get_item",
        {"TableName": TABLE, "Key": _user_key("u1"), "ConsistentRead": True},
    )


def test_read_back_fires_no_read_hooks(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    seen: list[str] = []
    rt.use(
        {
            "read": {
                "before": lambda ctx: seen.append("R1"),
                "op": {"before": lambda ctx: seen.append("R2")},
            },
            "write": {"before": lambda ctx: seen.append("W1")},
        }
    )
    rt.execute_command_method(
        "MembershipCommands",
        "add",
        {"groupId": "eng", "userId": "carol"},
        {"role": "member", "joinedAt": JOINED},
    )
    assert seen == ["W1"]
    assert fake.count("get_item") == 1


def test_read_back_errors_carry_the_contract_method_id(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    fake.fail = lambda m, kw: (
        _client_error("InternalServerError", "GetItem") if m == "get_item" else None
    )
    with pytest.raises(OperationExecutionError) as caught:
        rt.execute_command_method(
            "MembershipCommands",
            "add",
            {"groupId": "eng", "userId": "carol"},
            {"role": "member", "joinedAt": JOINED},
        )
    assert caught.value.operation_id == "MembershipCommands.add"


def test_without_return_selection_nothing_is_read_back(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    assert (
        rt.execute_command_method(
            "MembershipCommands", "remove", {"groupId": "eng", "userId": "bob"}
        )
        is None
    )
    assert [m for m, _ in fake.calls] == ["delete_item"]


def test_options_context_passes_through_to_write_hooks(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    contexts: list[Any] = []
    rt.use({"write": {"before": lambda ctx: contexts.append(dict(ctx.context))}})
    rt.execute_command_method(
        "UserCommands",
        "disable",
        {"userId": "u1"},
        {"status": "disabled"},
        {"context": {"tenant": "t1"}},
    )
    assert contexts == [{"tenant": "t1"}]


@pytest.mark.parametrize("key", ["u1", 5, None])
def test_a_non_mapping_command_key_raises_before_any_call(
    rt: GraphDDBRuntime, fake: FakeDynamo, key: Any
) -> None:
    with pytest.raises(ParameterValidationError):
        rt.execute_command_method("UserCommands", "disable", key, {"status": "disabled"})
    assert fake.calls == []


# =============================================================================================
# Section 34.2: key arrays
# =============================================================================================


@pytest.mark.parametrize("keys", [[{"groupId": "eng", "userId": "carol"}], [], ()])
def test_an_array_without_batch_raises_arity_error(
    rt: GraphDDBRuntime, fake: FakeDynamo, keys: Any
) -> None:
    with pytest.raises(ContractArityError) as caught:
        rt.execute_command_method(
            "MembershipCommands", "join", keys, {"role": "member", "joinedAt": JOINED}
        )
    assert str(caught.value) == (
        "command method 'MembershipCommands.join' was called with an array of keys, but it "
        "declares no key-array form"
    )
    assert fake.calls == []


def _disable_update(user: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": _user_key(user),
            "UpdateExpression": "SET #c0 = :c0",
            "ExpressionAttributeNames": {"#c0": "status"},
            "ExpressionAttributeValues": {":c0": {"S": "disabled"}},
        }
    }


def test_batch_transaction_passes_the_keys(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    result = rt.execute_command_method(
        "UserCommands",
        "disable",
        [{"userId": "u1"}, {"userId": "u2"}],
        {"status": "disabled"},
        {"idempotencyToken": "tok-2"},
    )
    assert result is None
    assert fake.calls == [
        (
            "transact_write_items",
            {
                "TransactItems": [_disable_update("u1"), _disable_update("u2")],
                "ClientRequestToken": "tok-2",
            },
        )
    ]


def test_batch_transaction_is_exactly_execute_transaction(fake: FakeDynamo) -> None:
    rt = _rt(fake)
    rt.execute_command_method(
        "UserCommands", "disable", ({"userId": "u1"}, {"userId": "u2"}), {"status": "disabled"}
    )
    via_method = list(fake.calls)
    fake.calls.clear()
    rt.execute_transaction(
        "UserCommands__disable__batch",
        {"status": "disabled", "keys": [{"userId": "u1"}, {"userId": "u2"}]},
    )
    assert via_method == fake.calls and len(fake.calls) == 1


def test_batch_transaction_cap_applies_and_is_never_split(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    keys = [{"userId": f"u{i}"} for i in range(26)]
    with pytest.raises(LimitExceededError) as caught:
        rt.execute_command_method("UserCommands", "disable", keys, {"status": "disabled"})
    assert str(caught.value) == (
        "UserCommands__disable__batch: transaction expanded to 26 items, exceeds the "
        "TransactWriteItems limit of 25"
    )
    assert fake.calls == []
    rt.execute_command_method("UserCommands", "disable", keys[:25], {"status": "disabled"})
    assert fake.count("transact_write_items") == 1
    assert len(fake.requests("transact_write_items")[0]["TransactItems"]) == 25


def test_batch_transaction_keys_replace_a_keys_param(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    rt.execute_command_method(
        "UserCommands",
        "disable",
        [{"userId": "u1"}],
        {"status": "disabled", "keys": [{"userId": "intruder"}]},
    )
    assert fake.requests("transact_write_items") == [{"TransactItems": [_disable_update("u1")]}]


def test_transaction_modes_run_with_write_middleware_registered(fake: FakeDynamo) -> None:
    """Sections 34.2 + 40: a transaction-mode method is execute_transaction, hooks included; a
    no-op W1 changes nothing on the wire."""
    plain_fake = _seeded_fake()
    plain = _rt(plain_fake)
    hooked = _rt(fake)
    seen: list[str] = []
    hooked.use({"write": {"before": lambda ctx: seen.append(ctx.kind)}})
    calls: list[tuple[str, str, Any, Any, Any]] = [
        (
            "MembershipCommands",
            "join",
            {"groupId": "eng", "userId": "carol"},
            {"role": "member", "joinedAt": JOINED},
            {"idempotencyToken": "tok-1"},
        ),
        (
            "UserCommands",
            "disable",
            [{"userId": "u1"}, {"userId": "u2"}],
            {"status": "disabled"},
            None,
        ),
    ]
    for contract, method, key, params, options in calls:
        assert hooked.execute_command_method(contract, method, key, params, options) is None
        assert plain.execute_command_method(contract, method, key, params, options) is None
    assert fake.calls == plain_fake.calls
    assert seen == ["put", "update", "update"]  # W1 once per logical op (not the ConditionCheck)


def test_batch_transaction_of_no_keys_sends_nothing(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    assert rt.execute_command_method("UserCommands", "disable", [], {"status": "disabled"}) is None
    assert fake.calls == []


def test_batch_transaction_validates_the_keys(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    with pytest.raises(ParameterValidationError):
        rt.execute_command_method(
            "UserCommands", "disable", [{"userId": 5}], {"status": "disabled"}
        )
    with pytest.raises(ParameterValidationError):
        rt.execute_command_method("UserCommands", "disable", ["u1"], {"status": "disabled"})
    assert fake.calls == []


# =============================================================================================
# Section 34.3: parallel mode, coalesced path
# =============================================================================================


def test_coalesced_delete_is_one_batch_write(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    keys = [{"groupId": "eng", "userId": "alice"}, {"groupId": "eng", "userId": "bob"}]
    result = rt.execute_command_method("MembershipCommands", "remove", keys)
    assert result == {"results": [{"ok": True}, {"ok": True}]}
    assert fake.calls == [
        (
            "batch_write_item",
            {
                "RequestItems": {
                    TABLE: [
                        {"DeleteRequest": {"Key": _member_key("eng", "alice")}},
                        {"DeleteRequest": {"Key": _member_key("eng", "bob")}},
                    ]
                }
            },
        )
    ]
    assert fake.row(TABLE, _member_key("eng", "alice")) is None


def test_coalesced_put_is_one_batch_write_without_read_back(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    result = rt.execute_command_method(
        "MembershipCommands",
        "add",
        [{"userId": "carol"}, {"userId": "dan", "role": "admin"}],
        {"groupId": "eng", "role": "member", "joinedAt": JOINED},
    )
    assert result == {"results": [{"ok": True}, {"ok": True}]}
    assert fake.calls == [
        (
            "batch_write_item",
            {
                "RequestItems": {
                    TABLE: [
                        {"PutRequest": {"Item": _membership_item("eng", "carol", "member")}},
                        # params win over the key's own "role"
                        {"PutRequest": {"Item": _membership_item("eng", "dan", "member")}},
                    ]
                }
            },
        )
    ]


def test_coalesced_identical_duplicate_keys_are_sent_once_at_the_first_position(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    result = rt.execute_command_method(
        "MembershipCommands",
        "add",
        [
            {"userId": "carol", "role": "admin"},
            {"userId": "erin", "role": "member"},
            {"userId": "carol", "role": "admin"},
        ],
        {"groupId": "eng", "joinedAt": JOINED},
    )
    assert result == {"results": [{"ok": True}, {"ok": True}, {"ok": True}]}
    ((_, request),) = fake.calls
    assert request["RequestItems"][TABLE] == [
        {"PutRequest": {"Item": _membership_item("eng", "carol", "admin")}},
        {"PutRequest": {"Item": _membership_item("eng", "erin", "member")}},
    ]


def test_coalesced_different_requests_on_one_key_raise_before_any_call(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    # section 21.2 item 2: keeping one of them would drop the other's role silently
    with pytest.raises(TransactionCollapseError) as caught:
        rt.execute_command_method(
            "MembershipCommands",
            "add",
            [
                {"userId": "carol", "role": "member"},
                {"userId": "erin", "role": "member"},
                {"userId": "carol", "role": "admin"},
            ],
            {"groupId": "eng", "joinedAt": JOINED},
        )
    assert str(caught.value) == (
        "MembershipCommands.add: different writes of the same row in one BatchWriteItem: "
        "keys[0] and keys[2] (table 'app-prod', key PK='GROUP#eng', SK='USER#carol'); "
        "attribute 'role' differs (S 'member' vs S 'admin'); BatchWriteItem cannot carry two "
        "requests for one key"
    )
    assert caught.value.items == ((None, 0), (None, 2))
    assert caught.value.target == {"table": TABLE, "key": _member_key("eng", "carol")}
    assert fake.calls == []


def test_coalesced_validation_error_raises_for_the_whole_call(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    keys = [{"groupId": "eng", "userId": "alice"}, {"groupId": "eng"}]
    with pytest.raises(ParameterValidationError) as caught:
        rt.execute_command_method("MembershipCommands", "remove", keys)
    assert "missing required parameter 'userId'" in str(caught.value)
    assert fake.calls == []


def test_coalesced_batch_incomplete_error_propagates(fake: FakeDynamo) -> None:
    rt = _rt(fake, limits=RuntimeLimits(batch_max_retries=2), sleep=_no_sleep)
    fake.unprocessed_writes = lambda requests: [r for r in requests if "USER#bob" in repr(r)]
    keys = [{"groupId": "eng", "userId": "alice"}, {"groupId": "eng", "userId": "bob"}]
    with pytest.raises(BatchIncompleteError) as caught:
        rt.execute_command_method("MembershipCommands", "remove", keys)
    assert str(caught.value) == (
        "BatchWriteItem: 1 request(s) still unprocessed for table 'app-prod' after 2 retries"
    )
    assert caught.value.unprocessed == (
        {"table": TABLE, "request": {"DeleteRequest": {"Key": _member_key("eng", "bob")}}},
    )
    assert caught.value.operation_id == "MembershipCommands.remove"
    assert fake.count("batch_write_item") == 3


def test_coalesced_retries_only_unprocessed_items(fake: FakeDynamo) -> None:
    rt = _rt(fake, sleep=_no_sleep)
    rounds = [0]

    def unprocessed(requests: list[AV]) -> list[AV]:
        rounds[0] += 1
        return requests[1:] if rounds[0] == 1 else []

    fake.unprocessed_writes = unprocessed
    keys = [{"groupId": "eng", "userId": "alice"}, {"groupId": "eng", "userId": "bob"}]
    assert rt.execute_command_method("MembershipCommands", "remove", keys) == {
        "results": [{"ok": True}, {"ok": True}]
    }
    assert fake.requests("batch_write_item")[1] == {
        "RequestItems": {TABLE: [{"DeleteRequest": {"Key": _member_key("eng", "bob")}}]}
    }


def test_coalesced_client_error_raises_for_the_whole_call(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    fake.fail = lambda m, kw: _client_error("InternalServerError", "BatchWriteItem")
    with pytest.raises(OperationExecutionError) as caught:
        rt.execute_command_method(
            "MembershipCommands", "remove", [{"groupId": "eng", "userId": "alice"}]
        )
    assert caught.value.operation_id == "MembershipCommands.remove"


def test_coalesced_empty_array_makes_no_call(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    assert rt.execute_command_method("MembershipCommands", "remove", []) == {"results": []}
    assert rt.execute_command_method("MembershipCommands", "add", ()) == {"results": []}
    assert rt.execute_command_method("MembershipCommands", "setStatus", []) == {"results": []}
    assert fake.calls == []


def test_coalesced_requests_are_chunked_by_25(fake: FakeDynamo) -> None:
    rt = _rt(fake, limits=RuntimeLimits(batch_concurrency=1))
    keys = [{"groupId": "big", "userId": f"u{i:02d}"} for i in range(30)]
    result = rt.execute_command_method("MembershipCommands", "remove", keys)
    assert result == {"results": [{"ok": True}] * 30}
    sizes = [len(r["RequestItems"][TABLE]) for r in fake.requests("batch_write_item")]
    assert sizes == [25, 5]


def test_coalesced_path_fires_no_write_hooks(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    seen: list[str] = []
    rt.use(
        {
            "write": {
                "before": lambda ctx: seen.append("W1"),
                "persist": {"before": lambda ctx: seen.append("W3")},
            }
        }
    )
    rt.execute_command_method(
        "MembershipCommands", "remove", [{"groupId": "eng", "userId": "alice"}]
    )
    assert seen == []
    assert fake.count("batch_write_item") == 1


# =============================================================================================
# Section 34.3: parallel mode, per-key path
# =============================================================================================


def test_per_key_path_runs_sequentially_and_captures_errors(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    error = _client_error(
        "ConditionalCheckFailedException", "UpdateItem", "The conditional request failed"
    )
    fake.fail = lambda m, kw: error if kw.get("Key") == _user_key("u2") else None
    keys: list[Any] = [{"userId": "u1"}, {"userId": "u2"}, {"userId": 7}, "u4", {"userId": "u5"}]
    result = rt.execute_command_method(
        "MembershipCommands", "setStatus", keys, {"status": "disabled"}
    )
    assert result["results"][0] == {"ok": True}
    assert result["results"][1] == {
        "ok": False,
        "error": f"disableUser: DynamoDB operation failed: {error}",
    }
    assert result["results"][2] == {
        "ok": False,
        "error": "disableUser: parameter 'userId' must be a string, got int 7",
    }
    assert result["results"][3]["ok"] is False and isinstance(result["results"][3]["error"], str)
    assert result["results"][4] == {"ok": True}
    assert len(result["results"]) == 5
    assert [kw["Key"] for _, kw in fake.calls] == [
        _user_key("u1"),
        _user_key("u2"),
        _user_key("u5"),
    ]
    assert {m for m, _ in fake.calls} == {"update_item"}
    assert fake.max_in_flight == 1


def test_per_key_path_is_execute_command_per_key_with_hooks(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    contexts: list[Any] = []
    rt.use({"write": {"before": lambda ctx: contexts.append(dict(ctx.context))}})
    rt.execute_command_method(
        "MembershipCommands",
        "setStatus",
        [{"userId": "u1"}, {"userId": "u2"}],
        {"status": "disabled"},
        {"context": {"tenant": "t1"}},
    )
    assert contexts == [{"tenant": "t1"}, {"tenant": "t1"}]
    assert fake.requests("update_item")[0] == DISABLE_U1


def test_an_unconditional_update_takes_the_per_key_path(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    """Coalescing applies to unconditional PutItem/DeleteItem only; an UpdateItem runs per key."""
    shared = {"status": "PAID", "tenantId": "t1"}
    keys = [{"orderId": "o1"}, {"orderId": "o2"}]
    result = rt.execute_command_method("OrderCommands", "setStatus", keys, shared)
    assert result == {"results": [{"ok": True}, {"ok": True}]}
    via_method = list(fake.calls)
    fake.calls.clear()
    for key in keys:
        rt.execute_command("setOrderStatus", {**key, **shared})
    assert via_method == fake.calls
    assert [m for m, _ in via_method] == ["update_item", "update_item"]


def test_per_key_path_performs_no_read_back(rt: GraphDDBRuntime, fake: FakeDynamo) -> None:
    """UserAdminCommands.create: a conditional PutItem (per-key path) with a returnSelection."""
    user = {"name": "Ada", "email": "ada@example.com", "createdAt": "2024-01-02T03:04:05.000Z"}
    result = rt.execute_command_method(
        "UserAdminCommands", "create", [{"userId": "u1"}, {"userId": "u2"}], user
    )
    assert result == {"results": [{"ok": True}, {"ok": True}]}
    assert [m for m, _ in fake.calls] == ["put_item", "put_item"]


# =============================================================================================
# Section 29: async twins return exactly what the sync methods return
# =============================================================================================

QUERY_CASES: list[tuple[str, str, Any, Any]] = [
    ("GroupById", "get", {"groupId": "eng"}, None),
    ("GroupById", "get", {"groupId": "nope"}, None),
    ("GroupById", "get", [{"groupId": "eng"}, {"groupId": "nope"}], {"numbers": "native"}),
    ("MembersByGroup", "list", {"groupId": "eng"}, {"limit": 1}),
    ("MembersByGroup", "list", {"groupId": "eng"}, {"limit": 1, "after": ENG_ENVELOPE}),
    ("MemberAccess", "get", [{"groupId": "eng", "userId": "alice"}], None),
    ("ProjectById", "get", {"projectId": "p1"}, None),
    ("UserByEmail", "get", [{"email": "a@x"}], None),
    ("MembersByGroup", "list", {"groupId": "eng"}, {"after": "garbage!"}),
    ("Nope", "get", {}, None),
]
COMMAND_CASES: list[tuple[str, str, Any, Any, Any]] = [
    ("UserCommands", "disable", {"userId": "u1"}, {"status": "disabled"}, None),
    (
        "UserCommands",
        "disable",
        [{"userId": "u1"}],
        {"status": "disabled"},
        {"idempotencyToken": "t"},
    ),
    (
        "MembershipCommands",
        "add",
        {"groupId": "eng", "userId": "carol"},
        {"role": "member", "joinedAt": JOINED},
        None,
    ),
    ("MembershipCommands", "remove", [{"groupId": "eng", "userId": "bob"}], None, None),
    (
        "MembershipCommands",
        "setStatus",
        [{"userId": "u1"}, {"userId": 5}],
        {"status": "disabled"},
        None,
    ),
    ("MembershipCommands", "join", [{"groupId": "eng"}], None, None),
    ("GroupById", "get", {"groupId": "eng"}, None, None),
]


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return ("value", call())
    except Exception as exc:  # compared by type and message
        return ("error", (type(exc), str(exc)))


@pytest.mark.parametrize("case", QUERY_CASES, ids=lambda c: f"{c[0]}.{c[1]}")
def test_async_execute_query_method_returns_what_sync_returns(
    case: tuple[str, str, Any, Any],
) -> None:
    contract, method, key, params = case
    sync_fake, async_fake = _seeded_fake(), _seeded_fake()
    sync = _outcome(lambda: _rt(sync_fake).execute_query_method(contract, method, key, params))
    art = AsyncGraphDDBRuntime(_rt(async_fake))
    got = _outcome(lambda: asyncio.run(art.execute_query_method(contract, method, key, params)))
    assert got == sync
    assert async_fake.calls == sync_fake.calls


@pytest.mark.parametrize("case", COMMAND_CASES, ids=lambda c: f"{c[0]}.{c[1]}")
def test_async_execute_command_method_returns_what_sync_returns(
    case: tuple[str, str, Any, Any, Any],
) -> None:
    contract, method, key, params, options = case
    sync_fake, async_fake = _seeded_fake(), _seeded_fake()
    sync = _outcome(
        lambda: _rt(sync_fake).execute_command_method(contract, method, key, params, options)
    )
    art = AsyncGraphDDBRuntime(_rt(async_fake))
    got = _outcome(
        lambda: asyncio.run(art.execute_command_method(contract, method, key, params, options))
    )
    assert got == sync
    assert async_fake.calls == sync_fake.calls


def test_async_read_back_is_not_none() -> None:
    """0.5.x returned None from the async command method; now it is the read-back."""
    art = AsyncGraphDDBRuntime(_rt(_seeded_fake()))
    result = asyncio.run(
        art.execute_command_method(
            "MembershipCommands",
            "add",
            {"groupId": "eng", "userId": "carol"},
            {"role": "member", "joinedAt": JOINED},
        )
    )
    assert result == {"groupId": "eng", "userId": "carol", "role": "member"}


# =============================================================================================
# Sections 41 and 15.1: concurrency, sharing, exports
# =============================================================================================


def test_point_array_chunks_run_concurrently(fake: FakeDynamo) -> None:
    rt = _rt(fake, limits=RuntimeLimits(max_batch_get_items=1, batch_concurrency=4))
    barrier = threading.Barrier(3, timeout=5)

    def delay(method: str, kwargs: dict[str, Any]) -> float:
        if method == "batch_get_item":
            barrier.wait()  # all three chunks are in flight together
        return 0.0

    fake.delay = delay
    keys = [{"groupId": "eng"}, {"groupId": "ops"}, {"groupId": "x"}]
    result = rt.execute_query_method("GroupById", "get", keys)
    assert result == {'{"groupId":"eng"}': ENG, '{"groupId":"ops"}': OPS, '{"groupId":"x"}': None}
    assert fake.max_in_flight == 3


def test_one_runtime_serves_contract_calls_from_many_threads(
    rt: GraphDDBRuntime, fake: FakeDynamo
) -> None:
    calls: list[tuple[str, str, Any, Any]] = [
        ("GroupById", "get", {"groupId": "eng"}, ENG),
        ("GroupById", "get", {"groupId": "ops"}, OPS),
        ("UserById", "get", {"userId": "alice"}, ALICE),
        (
            "MemberAccess",
            "get",
            {"groupId": "ops", "userId": "alice"},
            {**OPS_ALICE, "group": OPS, "user": ALICE},
        ),
    ] * 8
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        contract, method, key, _ = calls[index]
        results[index] = rt.execute_query_method(contract, method, key)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected for *_, expected in calls]


def test_contract_helpers_and_errors_are_exported() -> None:
    for name in (
        "serialize_contract_key",
        "encode_per_key_cursor",
        "decode_per_key_cursor",
        "ContractNotFoundError",
        "ContractArityError",
    ):
        assert name in graphddb_runtime.__all__
    assert issubclass(ContractNotFoundError, graphddb_runtime.GraphDDBError)
    assert issubclass(ContractArityError, graphddb_runtime.GraphDDBError)
    assert issubclass(CursorError, ParameterValidationError)
