"""DynamoDB's value limits, checked before any call (docs/format.md sections 1.4, 6.2 and 22.3).

Numbers (38 significant digits, magnitude 1E-130 to 9.99...E+125), UTF-8 text, key sizes (2048
bytes for a partition key, 1024 for a sort key), items (400 KB), sets and nesting: every
violation is a ``ParameterValidationError`` naming the parameter or field and the limit, raised
before the first DynamoDB call, never a builtin exception.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest

from graphddb_runtime import (
    CursorError,
    GraphDDBError,
    GraphDDBRuntime,
    LimitExceededError,
    ParameterValidationError,
)
from graphddb_runtime.cursor import encode_cursor
from graphddb_runtime.demo import example_spec

from ._fake_dynamo import FakeDynamo
from ._values_spec import EVENT, Recorder, events_runtime

USER = {"userId": "u1", "name": "Ada", "email": "ada@example.com", "createdAt": "2024-01-02"}
ORDER = {"orderId": "o1", "tenantId": "t1", "userId": "u1", "createdAt": "2024-01-02"}
MAX = "9.9999999999999999999999999999999999999E+125"


def short(value: Any) -> str:
    """A test id (``repr`` of a 4302-digit int would raise)."""
    if isinstance(value, int) and value.bit_length() > 200:
        return f"int-of-{value.bit_length()}-bits"
    return repr(value)[:40]


def example(client: Any) -> GraphDDBRuntime:
    manifest, operations = example_spec()
    return GraphDDBRuntime(client, manifest, operations)


def rejected(call: Any, *args: Any) -> str:
    """The message of the ParameterValidationError that ``call(*args)`` raises."""
    with pytest.raises(ParameterValidationError) as info:
        call(*args)
    return str(info.value)


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "problem"),
    [
        (10**4301, "an integer of about 4302 digits is outside DynamoDB's number range"),
        (Decimal("1E+50000000"), "1E+50000000 is outside DynamoDB's number range"),
        (1e300, "1E+300 is outside DynamoDB's number range"),
        (5e-324, "5E-324 is outside DynamoDB's number range"),
        (Decimal("1E+126"), "1E+126 is outside DynamoDB's number range"),
        (Decimal("1E-131"), "1E-131 is outside DynamoDB's number range"),
        (10**40 + 1, "10000000000000000000000000000000000000001 has 41 significant digits"),
        (Decimal("1." + "0" * 37 + "1"), "has 39 significant digits, more than DynamoDB's 38"),
    ],
    ids=short,
)
def test_numbers_beyond_dynamodb_are_rejected(total: Any, problem: str) -> None:
    client = Recorder()
    runtime = example(client)
    for command, params in (("placeOrder", ORDER), ("raiseOrderTotal", {"orderId": "o1"})):
        message = rejected(runtime.execute_command, command, {**params, "total": total})
        assert message.startswith(
            f"{command}: parameter 'total' must be a number DynamoDB can store: "
        )
        assert problem in message
    assert client.calls == []


@pytest.mark.parametrize("total", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Inf")])
def test_non_finite_numbers_are_rejected(total: Any) -> None:
    client = Recorder()
    message = rejected(example(client).execute_command, "placeOrder", {**ORDER, "total": total})
    assert message.startswith("placeOrder: parameter 'total' must be a number, got ")
    assert client.calls == []


@pytest.mark.parametrize(
    ("total", "sent"),
    [
        (10**40, "1E+40"),  # one significant digit: DynamoDB stores it (TypeSerializer would not)
        (Decimal(MAX), MAX),
        (Decimal("-" + MAX), "-" + MAX),
        (Decimal("1E-130"), "1E-130"),
        (Decimal("0E+200"), "0"),
        (1e125, "1E+125"),
        (Decimal("2.50"), "2.50"),
        (12345678901234567890123456789012345678, "12345678901234567890123456789012345678"),
    ],
    ids=short,
)
def test_numbers_at_the_edges_are_sent(total: Any, sent: str) -> None:
    client = Recorder()
    example(client).execute_command("placeOrder", {**ORDER, "total": total})
    assert client.calls[0][1]["Item"]["total"] == {"N": sent}


def test_a_signalling_nan_never_matches_a_number_literal() -> None:
    manifest, operations = example_spec()
    command = operations["commands"]["raiseOrderTotal"]
    command["params"]["total"] = {"type": "literal", "required": True, "literals": [1, 2.5]}
    operations["transactions"]["bump"] = {
        "params": {"orderId": command["params"]["orderId"], "total": command["params"]["total"]},
        "items": [
            {
                "type": "Update",
                "tableName": "AppTable",
                "entity": "OrderModel",
                "keyCondition": command["keyCondition"],
                "changes": {"total": "{total}"},
            }
        ],
    }
    client = Recorder()
    runtime = GraphDDBRuntime(client, manifest, operations)
    for call, name in (
        (runtime.execute_command, "raiseOrderTotal"),
        (runtime.execute_transaction, "bump"),
    ):
        message = rejected(call, name, {"orderId": "o1", "total": Decimal("sNaN")})
        assert message == (
            f"{name}: parameter 'total' must be one of [1, 2.5], got Decimal Decimal('sNaN')"
        )
    assert client.calls == []


def test_numbers_in_templates_and_nested_values() -> None:
    client = Recorder()
    runtime = events_runtime(client)
    message = rejected(
        runtime.execute_command, "putEvent", {**EVENT, "note": "n", "score": Decimal("1E+999")}
    )
    assert "parameter 'score' must be a number DynamoDB can store" in message

    def before(ctx: Any) -> None:  # values no parameter validation sees
        ctx.input["item"]["extra"] = {"deep": [1, 2, Decimal("1E+200")]}

    runtime.use({"write": {"before": before}})
    message = rejected(runtime.execute_command, "putEvent", EVENT)
    assert message == (
        "putEvent: field 'extra': cannot serialize a value of type Decimal: 1E+200 is outside "
        "DynamoDB's number range (magnitude 1E-130 to 9.9999999999999999999999999999999999999E+125)"
    )
    assert client.calls == []


def test_distinct_38_digit_keys_stay_distinct_in_a_batch() -> None:
    """Key identities normalize numbers with 38 digits, not the default context's 28."""
    manifest, operations = example_spec()
    manifest["entities"]["CounterModel"] = {
        "table": "AppTable",
        "key": {"pkTemplate": "{n}", "skTemplate": "META"},
        "fields": {"n": {"type": "number"}, "label": {"type": "string"}},
    }
    operations["queries"]["getCounter"] = {
        "params": {"n": {"type": "number", "required": True}},
        "cardinality": "one",
        "operations": [
            {
                "type": "GetItem",
                "tableName": "AppTable",
                "entity": "CounterModel",
                "keyCondition": {"PK": "{n}", "SK": "META"},
                "projection": ["n", "label"],
            }
        ],
    }
    operations["contracts"]["Counters"] = {
        "kind": "query",
        "methods": {"get": {"operation": "getCounter", "resolution": "point"}},
    }
    table = "app-prod"  # the example's physicalName of AppTable
    fake = FakeDynamo({table: (("PK", "SK"), {})})
    first, second = 10**37 + 1, 10**37 + 2
    for n in (first, second):
        fake.put(
            table,
            {"PK": {"N": str(n)}, "SK": {"S": "META"}, "n": {"N": str(n)}, "label": {"S": str(n)}},
        )
    runtime = GraphDDBRuntime(fake, manifest, operations)
    found = runtime.execute_query_method("Counters", "get", [{"n": first}, {"n": second}])
    assert [item["label"] for item in found.values()] == [str(first), str(second)]


# --- text ---------------------------------------------------------------------------------------

SURROGATE = "x\udfff"


def test_text_that_is_not_utf8_is_rejected_before_any_call() -> None:
    client = Recorder()
    runtime = example(client)
    detail = "must be valid UTF-8 text: lone surrogate '\\udfff' at index 1"
    calls = [
        (runtime.execute_command, "createUser", {**USER, "name": SURROGATE}, "name"),
        (runtime.execute_query, "getUser", {"userId": SURROGATE}, "userId"),
        (
            runtime.execute_transaction,
            "addMembers",
            {
                "groupId": "g",
                "joinedAt": "2024-01-02",
                "members": [{"userId": "u", "role": SURROGATE}],
            },
            "members[0].role",
        ),
        (
            runtime.execute_query_method,
            "GroupById",
            [{"groupId": SURROGATE}],
            "groupId",
        ),
    ]
    for call, name, params, where in calls:
        message = (
            rejected(call, name, params)
            if name != "GroupById"
            else rejected(call, name, "get", params)
        )
        assert message.endswith(f"parameter '{where}' {detail}"), message
    assert client.calls == []


def test_text_from_middleware_and_map_keys_is_checked() -> None:
    client = Recorder()
    runtime = example(client)
    values = iter([SURROGATE, {SURROGATE: 1}, {1: "int key"}])

    def before(ctx: Any) -> None:
        ctx.input["item"]["extra"] = next(values)

    runtime.use({"write": {"before": before}})
    assert rejected(runtime.execute_command, "createUser", USER) == (
        "createUser: field 'extra': cannot serialize a string that is not valid UTF-8 (lone "
        "surrogate '\\udfff' at index 1); DynamoDB stores UTF-8 text only"
    )
    assert "not valid UTF-8" in rejected(runtime.execute_command, "createUser", USER)
    assert rejected(runtime.execute_command, "createUser", USER) == (
        "createUser: field 'extra': cannot serialize a map key of type int: keys must be strings"
    )
    assert client.calls == []


def test_transaction_text_is_checked_where_it_is_sized() -> None:
    """Text no parameter validation sees (here a spec literal) is named by the size pre-flight."""
    manifest, operations = example_spec()
    item = operations["transactions"]["addMembers"]["items"][0]["item"]
    item["role"] = SURROGATE
    client = Recorder()
    runtime = GraphDDBRuntime(client, manifest, operations)
    members = [{"userId": "u", "role": "r"}, {"userId": "v", "role": "r"}]
    message = rejected(
        runtime.execute_transaction,
        "addMembers",
        {"groupId": "g", "joinedAt": "2024-01-02", "members": members},
    )
    assert message == (
        "addMembers: transaction item 0 (element 0), attribute 'role': cannot serialize a string "
        "that is not valid UTF-8 (lone surrogate '\\udfff' at index 1); DynamoDB stores UTF-8 text "
        "only"
    )
    assert client.calls == []


def test_cursor_key_values_follow_the_key_rules() -> None:
    client = Recorder()
    runtime = example(client)
    params = {"groupId": "eng", "joinedSince": "2024-01-01"}
    for sort_key in (SURROGATE, "USER#" + "x" * 1100, ""):
        payload = json.dumps({"PK": "GROUP#eng", "SK": sort_key}).encode()  # ASCII escapes
        cursor = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
        with pytest.raises(CursorError, match="listGroupMembers: malformed cursor"):
            runtime.execute_query("listGroupMembers", params, {"cursor": cursor})
    with pytest.raises(ParameterValidationError, match="cannot encode cursor"):
        encode_cursor({"PK": SURROGATE})
    assert client.calls == []


# --- key sizes ----------------------------------------------------------------------------------


def test_partition_and_sort_key_limits() -> None:
    client = Recorder()
    runtime = example(client)
    runtime.execute_query("getUser", {"userId": "x" * (2048 - len("USER#"))})
    message = rejected(runtime.execute_query, "getUser", {"userId": "x" * (2049 - len("USER#"))})
    assert message == (
        "getUser: key attribute 'PK' (template 'USER#{userId}') is 2049 bytes, more than "
        "DynamoDB's partition key limit of 2048 bytes"
    )
    wide = "é" * 1022  # two bytes each in UTF-8
    message = rejected(runtime.execute_command, "removeMember", {"groupId": "g", "userId": wide})
    assert message == (
        "removeMember: key attribute 'SK' (template 'USER#{userId}') is 2049 bytes, more than "
        "DynamoDB's sort key limit of 1024 bytes"
    )
    assert len(client.calls) == 1


def test_derived_and_rederived_index_keys_are_checked() -> None:
    client = Recorder()
    runtime = example(client)
    message = rejected(runtime.execute_command, "createUser", {**USER, "email": "e" * 2100})
    assert message.startswith("createUser: key attribute 'GSI1PK' (template 'EMAIL#{email}') is ")
    message = rejected(
        runtime.execute_command,
        "setOrderStatus",
        {"orderId": "o1", "tenantId": "t1", "status": "S" * 2100},
    )
    assert message.startswith("setOrderStatus: key attribute 'GSI1PK' (template 'TENANT#")
    assert client.calls == []


def test_query_range_and_transaction_keys_are_checked() -> None:
    client = Recorder()
    runtime = events_runtime(client)
    message = rejected(
        runtime.execute_query, "listEvents", {"tenantId": "t", "from": "a", "to": "z" * 1100}
    )
    assert message.startswith("listEvents: key attribute 'SK' (template 'AT#{to}') is 1103 bytes")
    members = [{"userId": "u" * 1100, "role": "r"}]
    message = rejected(
        example(client).execute_transaction,
        "addMembers",
        {"groupId": "g", "joinedAt": "2024-01-02", "members": members},
    )
    assert message == (
        "addMembers: key attribute 'SK' (transaction item 0 (element 0)) is 1105 bytes, more "
        "than DynamoDB's sort key limit of 1024 bytes"
    )
    assert client.calls == []


# --- item size ----------------------------------------------------------------------------------


def test_items_over_400_kb_are_rejected() -> None:
    client = Recorder()
    runtime = example(client)
    runtime.execute_command("createUser", {**USER, "name": "n" * 400_000})
    message = rejected(runtime.execute_command, "createUser", {**USER, "name": "n" * 409_600})
    assert message.startswith("createUser: the item is about 409")
    assert message.endswith("bytes, more than DynamoDB's item limit of 400 KB (409600 bytes)")
    events = events_runtime(client)
    update = {"tenantId": "t", "at": EVENT["at"], "day": "2024-01-02", "note": "n" * 300_000}
    message = rejected(events.execute_command, "noteEvent", update)  # SET value + condition
    assert "item limit of 400 KB" in message
    assert len(client.calls) == 1


def test_transaction_items_over_400_kb_are_rejected() -> None:
    client = Recorder()
    members = [{"userId": "u", "role": "r" * 409_600}]
    message = rejected(
        example(client).execute_transaction,
        "addMembers",
        {"groupId": "g", "joinedAt": "2024-01-02", "members": members},
    )
    assert message.startswith("addMembers: transaction item 0 (element 0) is about 409")
    assert client.calls == []


def test_the_transaction_total_stays_a_limit_error() -> None:
    client = Recorder()
    members = [{"userId": f"u{i}", "role": "r" * 300_000} for i in range(15)]
    with pytest.raises(LimitExceededError, match="exceeds max_transaction_bytes"):
        example(client).execute_transaction(
            "addMembers", {"groupId": "g", "joinedAt": "2024-01-02", "members": members}
        )
    assert client.calls == []


# --- sets and nesting ---------------------------------------------------------------------------


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (set(), "cannot serialize an empty set: DynamoDB has no empty sets"),
        ({1, "a"}, "its members must be all strings, all numbers or all binary"),
        ({True}, "its members must be all strings, all numbers or all binary"),
        (_nested(33), "cannot serialize lists or maps nested more than 32 levels deep"),
        (_nested(5000), "cannot serialize lists or maps nested more than 32 levels deep"),
        (1j, "cannot serialize a value of type complex"),
    ],
    ids=["empty-set", "mixed-set", "bool-set", "depth-33", "depth-5000", "complex"],
)
def test_sets_and_nesting(extra: Any, problem: str) -> None:
    client = Recorder()
    runtime = example(client)
    runtime.use({"write": {"before": lambda ctx: ctx.input["item"].update(extra=extra)}})
    message = rejected(runtime.execute_command, "createUser", USER)
    assert message.startswith("createUser: field 'extra': ") and problem in message
    assert client.calls == []


def test_32_levels_and_non_empty_sets_are_written() -> None:
    client = Recorder()
    runtime = example(client)
    extras = iter([_nested(32), {"a", "b"}, {Decimal("1.5"), 2}])
    runtime.use({"write": {"before": lambda ctx: ctx.input["item"].update(extra=next(extras))}})
    for _ in range(3):
        runtime.execute_command("createUser", USER)
    written = [kwargs["Item"]["extra"] for _, kwargs in client.calls]
    assert sorted(written[1]["SS"]) == ["a", "b"]
    assert sorted(written[2]["NS"]) == ["1.5", "2"]


def test_no_builtin_exception_escapes() -> None:
    """A sample of what used to escape as ValueError, decimal.Overflow or UnicodeEncodeError."""
    client = Recorder()
    runtime = events_runtime(client)
    bad: list[Any] = [10**4301, Decimal("1E+50000000"), SURROGATE, float("nan"), 1e300]
    for value in bad:
        for field in ("note", "at", "score", "tenantId"):
            with pytest.raises(GraphDDBError):
                runtime.execute_command("putEvent", {**EVENT, field: value})
            params = {"tenantId": "t", "score": 1, "events": [dict(EVENT)]}
            if field in ("note", "at"):
                params["events"][0][field] = value
            else:
                params[field] = value
            with pytest.raises(GraphDDBError):
                runtime.execute_transaction("putEvents", params)
    assert client.calls == []
