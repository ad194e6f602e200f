"""The AttributeValue codec: sections 1.4, 9 (hydration, numbers, to_jsonable) and 28.1."""

from __future__ import annotations

import copy
import json
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from graphddb_runtime._values.codec import (
    attributes,
    datetime_text,
    deserialize,
    deserialize_item,
    hydrate,
    is_internal_key,
    item_size,
    native_numbers,
    serialize,
    serialize_key,
    to_jsonable,
    value_size,
)
from graphddb_runtime._values.datetimes import _parse_iso
from graphddb_runtime.errors import HydrationError, ParameterValidationError

UTC = timezone.utc
PLUS2 = timezone(timedelta(hours=2))


# ---------------------------------------------------------------- section 43 worked example

MEMBERSHIP_ITEM = {
    "PK": {"S": "GROUP#eng"},
    "SK": {"S": "USER#alice"},
    "GSI1PK": {"S": "USER#alice"},
    "GSI1SK": {"S": "GROUP#eng"},
    "groupId": {"S": "eng"},
    "userId": {"S": "alice"},
    "role": {"S": "admin"},
    "joinedAt": {"S": "2024-03-01T09:30:00.000Z"},
}


def test_hydrate_list_group_members_item() -> None:
    raw = deserialize_item(MEMBERSHIP_ITEM)
    result = hydrate(raw, ("groupId", "userId", "role", "joinedAt"), {"joinedAt": "datetime"})
    assert result == {
        "groupId": "eng",
        "userId": "alice",
        "role": "admin",
        "joinedAt": datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
    }
    assert list(result) == ["groupId", "userId", "role", "joinedAt"]


def test_get_user_result_and_to_jsonable() -> None:
    item = {
        "userId": {"S": "u1"},
        "name": {"S": "Ada"},
        "email": {"S": "ada@example.com"},
        "status": {"S": "active"},
        "createdAt": {"S": "2024-01-02T03:04:05.000Z"},
        "PK": {"S": "USER#u1"},
        "SK": {"S": "PROFILE"},
        "GSI1PK": {"S": "EMAIL#ada@example.com"},
        "GSI1SK": {"S": "PROFILE"},
    }
    projection = ("userId", "name", "email", "status", "createdAt")
    result = hydrate(deserialize_item(item), projection, {"createdAt": "datetime"})
    assert result == {
        "userId": "u1",
        "name": "Ada",
        "email": "ada@example.com",
        "status": "active",
        "createdAt": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    assert to_jsonable(result) == {
        "userId": "u1",
        "name": "Ada",
        "email": "ada@example.com",
        "status": "active",
        "createdAt": "2024-01-02T03:04:05.000Z",
    }


def test_set_order_status_returned_attributes() -> None:
    response_attributes = {
        "orderId": {"S": "o1"},
        "PK": {"S": "ORDER#o1"},
        "tenantId": {"S": "t1"},
        "userId": {"S": "u1"},
        "SK": {"S": "META"},
        "status": {"S": "SHIPPED"},
        "GSI1PK": {"S": "TENANT#t1#STATUS#SHIPPED"},
        "total": {"N": "99.5"},
        "GSI1SK": {"S": "ORDER#o1"},
        "createdAt": {"S": "2024-06-01T12:00:00.000Z"},
    }
    result = attributes(deserialize_item(response_attributes), {"createdAt": "datetime"})
    assert result == {
        "orderId": "o1",
        "tenantId": "t1",
        "userId": "u1",
        "status": "SHIPPED",
        "total": Decimal("99.5"),
        "createdAt": datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
    }
    assert list(result) == ["orderId", "tenantId", "userId", "status", "total", "createdAt"]
    assert type(result["total"]) is Decimal


def test_place_order_item_values() -> None:
    record = {
        "orderId": "o1",
        "tenantId": "t1",
        "userId": "u1",
        "status": "PENDING",
        "total": 99.5,
        "createdAt": "2024-06-01T12:00:00.000Z",
    }
    assert {k: serialize(v, op_id="placeOrder") for k, v in record.items()} == {
        "orderId": {"S": "o1"},
        "tenantId": {"S": "t1"},
        "userId": {"S": "u1"},
        "status": {"S": "PENDING"},
        "total": {"N": "99.5"},
        "createdAt": {"S": "2024-06-01T12:00:00.000Z"},
    }


# ---------------------------------------------------------------- serialize


def _reference(value: Any) -> Any:
    """The section 1.4 normalization pass written the obvious way, for parity checks."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, datetime):
        return datetime_text(value)
    if isinstance(value, dict):
        return {k: _reference(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_reference(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {_reference(v) for v in value}
    return value


def _canonical(av: Any) -> Any:
    """Sort set members so that set iteration order does not matter."""
    if isinstance(av, dict):
        return {k: sorted(v) if k in ("SS", "NS", "BS") else _canonical(v) for k, v in av.items()}
    if isinstance(av, list):
        return [_canonical(v) for v in av]
    return av


CORPUS: list[Any] = [
    "",
    "hello",
    "ünïcode ✓",
    0,
    1,
    -42,
    10**37,
    -(10**38) + 1,
    99.5,
    -0.25,
    1e-7,
    1e21,
    0.1,
    Decimal("99.5"),
    Decimal("1.50"),
    Decimal("1E+2"),
    Decimal("-0"),
    True,
    False,
    None,
    [],
    [1, "a", None, 2.5, [True]],
    (1, 2.5, "x"),
    {},
    {"a": {"b": {"c": [1, {"d": 1.5}]}}, "e": None},
    {"x", "y", "z"},
    frozenset({"a"}),
    {1, 2, 3},
    {Decimal("1.5"), Decimal("2")},
    {1.5, 2.25},
    b"\x00\x01\xff",
    bytearray(b"abc"),
    Binary(b"bin"),
    {b"a", b"b"},
    datetime(2024, 1, 2, 3, 4, 5),
    [datetime(2024, 1, 2, 3, 4, 5, tzinfo=PLUS2)],
]


@pytest.mark.parametrize("value", CORPUS, ids=repr)
def test_serialize_parity_with_typeserializer(value: Any) -> None:
    before = copy.deepcopy(value)
    expected = TypeSerializer().serialize(_reference(value))
    assert _canonical(serialize(value, op_id="op")) == _canonical(expected)
    assert value == before


def test_serialize_fast_paths() -> None:
    assert serialize("s", op_id="op") == {"S": "s"}
    assert serialize(True, op_id="op") == {"BOOL": True}
    assert serialize(7, op_id="op") == {"N": "7"}
    assert serialize(None, op_id="op") == {"NULL": True}
    assert serialize(99.5, op_id="op") == {"N": "99.5"}
    assert serialize((1, "a"), op_id="op") == {"L": [{"N": "1"}, {"S": "a"}]}
    assert serialize(datetime(2024, 1, 2, 5, 4, 5, tzinfo=PLUS2), op_id="op") == {
        "S": "2024-01-02T03:04:05.000Z"
    }


NON_FINITE = [
    float("nan"),
    float("inf"),
    float("-inf"),
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
]


WRAPPERS = ("bare", "list", "dict", "set")
# A signalling NaN cannot be hashed, so it cannot be a set member in the first place.
NON_FINITE_CASES = [
    (bad, wrap)
    for bad in NON_FINITE
    for wrap in WRAPPERS
    if not (wrap == "set" and isinstance(bad, Decimal) and bad.is_snan())
]


@pytest.mark.parametrize(("bad", "wrap"), NON_FINITE_CASES, ids=repr)
def test_serialize_rejects_non_finite(bad: Any, wrap: str) -> None:
    value = bad if wrap == "bare" else [1, bad] if wrap == "list" else {"a": {"b": bad}}
    if wrap == "set":
        value = {bad}
    with pytest.raises(ParameterValidationError) as info:
        serialize(value, op_id="putThing")
    assert str(info.value) == "putThing: cannot serialize a non-finite number"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (object(), "op: cannot serialize a value of type object"),
        ([1, {"a": 1j}], "op: cannot serialize a value of type complex"),
        ({1, "a"}, "op: cannot serialize a value of type set: "),
        (10**40 + 1, "op: cannot serialize a value of type int: "),
        (Decimal("1" * 40), "op: cannot serialize a value of type Decimal: "),
        (1e200, "op: cannot serialize a value of type float: "),
    ],
    ids=repr,
)
def test_serialize_unsupported_values(value: Any, message: str) -> None:
    with pytest.raises(ParameterValidationError) as info:
        serialize(value, op_id="op")
    assert str(info.value).startswith(message)
    assert not isinstance(info.value, TypeError)


# ---------------------------------------------------------------- serialize_key


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("USER#1", {"S": "USER#1"}),
        (0, {"N": "0"}),
        (-5, {"N": "-5"}),
        (1.5, {"N": "1.5"}),
        (Decimal("2.50"), {"N": "2.50"}),
        (b"\x01", {"B": b"\x01"}),
        (bytearray(b"a"), {"B": bytearray(b"a")}),
        (Binary(b"a"), {"B": b"a"}),
        (datetime(2024, 1, 2), {"S": "2024-01-02T00:00:00.000Z"}),
        (date(2024, 1, 2), {"S": "2024-01-02"}),
    ],
    ids=repr,
)
def test_serialize_key_accepts(value: Any, expected: dict[str, Any]) -> None:
    assert serialize_key(value, op_id="op", attribute="PK") == expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("", "''"),
        (True, "True"),
        (False, "False"),
        (None, "None"),
        ([], "list"),
        (["a"], "list"),
        ({}, "dict"),
        ({"a": 1}, "dict"),
        ({"a"}, "set"),
        ((1,), "tuple"),
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        (Decimal("NaN"), "Decimal('NaN')"),
        (b"", "b''"),
        (object(), "object"),
    ],
    ids=repr,
)
def test_serialize_key_rejects(value: Any, shown: str) -> None:
    with pytest.raises(ParameterValidationError) as info:
        serialize_key(value, op_id="getUser", attribute="PK")
    assert str(info.value) == (
        f"getUser: key attribute 'PK' must be a non-empty string, a number or bytes, got {shown}"
    )


# ---------------------------------------------------------------- datetime_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05.000Z"),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05.000Z"),
        (datetime(2024, 1, 2, 1, 4, 5, 123999, tzinfo=PLUS2), "2024-01-01T23:04:05.123Z"),
        (datetime(2024, 1, 2, tzinfo=timezone(timedelta(hours=-5))), "2024-01-02T05:00:00.000Z"),
    ],
)
def test_datetime_text(value: datetime, text: str) -> None:
    assert datetime_text(value) == text


# ---------------------------------------------------------------- deserialize


WIRE = [
    {"S": "x"},
    {"N": "99.5"},
    {"N": "-0.000"},
    {"BOOL": False},
    {"NULL": True},
    {"B": b"\x00"},
    {"SS": ["a", "b"]},
    {"NS": ["1", "2.5"]},
    {"BS": [b"a"]},
    {"L": [{"S": "a"}, {"N": "1"}, {"L": []}]},
    {"M": {"z": {"N": "1"}, "a": {"M": {"k": {"SS": ["v"]}}}}},
]


@pytest.mark.parametrize("av", WIRE, ids=repr)
def test_deserialize_parity_with_typedeserializer(av: dict[str, Any]) -> None:
    result = deserialize(av)
    expected = TypeDeserializer().deserialize(av)
    assert result == expected
    assert type(result) is type(expected)


def test_deserialize_types_and_order() -> None:
    assert deserialize({"N": "99.5"}) == Decimal("99.5")
    assert isinstance(deserialize({"B": b"ab"}), Binary)
    assert deserialize({"NS": ["1", "2"]}) == {Decimal(1), Decimal(2)}
    nested = deserialize({"M": {"z": {"S": "1"}, "a": {"S": "2"}}})
    assert list(nested) == ["z", "a"]
    item = deserialize_item({"b": {"S": "1"}, "a": {"N": "2"}, "PK": {"S": "k"}})
    assert item == {"b": "1", "a": Decimal(2), "PK": "k"}
    assert list(item) == ["b", "a", "PK"]


# ---------------------------------------------------------------- native_numbers


def test_native_numbers_recursion_without_mutation() -> None:
    value = {
        "int": Decimal("3"),
        "intish": Decimal("3.00"),
        "big": Decimal("1E+3"),
        "frac": Decimal("99.5"),
        "list": [Decimal("1"), [Decimal("0.5")]],
        "tuple": (Decimal("2"),),
        "set": {Decimal("1"), Decimal("2.5")},
        "frozen": frozenset({Decimal("4")}),
        "map": {"inner": {"n": Decimal("-7")}},
        "other": ["s", None, True, b"x"],
    }
    before = copy.deepcopy(value)
    result = native_numbers(value)
    assert result == {
        "int": 3,
        "intish": 3,
        "big": 1000,
        "frac": 99.5,
        "list": [1, [0.5]],
        "tuple": (2,),
        "set": {1, 2.5},
        "frozen": frozenset({4}),
        "map": {"inner": {"n": -7}},
        "other": ["s", None, True, b"x"],
    }
    assert type(result["int"]) is int and type(result["intish"]) is int
    assert type(result["frac"]) is float
    assert all(type(v) is not Decimal for v in result["set"])
    assert type(result["tuple"]) is tuple and type(result["frozen"]) is frozenset
    assert value == before
    assert type(value["int"]) is Decimal
    assert result["list"] is not value["list"]


# ---------------------------------------------------------------- hydration


@pytest.mark.parametrize(
    ("name", "internal"),
    [
        ("PK", True),
        ("SK", True),
        ("GSI1PK", True),
        ("GSI12SK", True),
        ("GSIPK", True),
        ("pk", False),
        ("GSI1", False),
        ("PKey", False),
        ("userPK", False),
        ("gsi1pk", False),
    ],
)
def test_is_internal_key(name: str, internal: bool) -> None:
    assert is_internal_key(name) is internal


def test_hydrate_projection_rules() -> None:
    raw = {"PK": "a", "GSI2SK": "b", "b": 2, "a": 1, "c": None}
    result = hydrate(raw, ("PK", "c", "a", "missing", "GSI2SK", "b"), {})
    assert result == {"c": None, "a": 1, "b": 2}
    assert list(result) == ["c", "a", "b"]


@pytest.mark.parametrize(
    ("stored", "fmt", "expected"),
    [
        ("2024-01-02T03:04:05.000Z", "datetime", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05Z", "datetime", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (
            "2024-01-02T03:04:05.123456+02:00",
            "datetime",
            datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=PLUS2),
        ),
        ("2024-01-02T03:04:05", "datetime", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05.5Z", "datetime", datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)),
        ("2024-01-02", "datetime", datetime(2024, 1, 2, tzinfo=UTC)),
        ("2024-01-02", "date", datetime(2024, 1, 2, tzinfo=UTC)),
        ("2024-01-02T03:04:05Z", "email", "2024-01-02T03:04:05Z"),
        (Decimal("5"), "datetime", Decimal("5")),
        (None, "date", None),
    ],
    ids=repr,
)
def test_hydrate_formats(stored: Any, fmt: str, expected: Any) -> None:
    result = hydrate({"f": stored}, ("f",), {"f": fmt})
    assert result == {"f": expected}
    if isinstance(expected, datetime):
        assert result["f"].utcoffset() == expected.utcoffset()


def test_date_format_gives_a_datetime() -> None:
    value = hydrate({"d": "2024-02-29"}, ("d",), {"d": "date"})["d"]
    assert type(value) is datetime
    assert value.tzinfo is UTC


@pytest.mark.parametrize(
    ("stored", "fmt"),
    [
        ("not a date", "datetime"),
        ("2024-13-01T00:00:00Z", "datetime"),
        ("", "datetime"),
        ("2024-01-02T03:04:05Z", "date"),
        ("2024/01/02", "date"),
    ],
)
def test_hydration_error(stored: str, fmt: str) -> None:
    with pytest.raises(HydrationError) as info:
        hydrate({"f": stored}, ("f",), {"f": fmt})
    assert str(info.value) == f"invalid ISO 8601 {fmt}: '{stored}'"


def test_attributes_formats_and_order() -> None:
    raw = {"GSI1SK": "x", "b": "2024-01-02", "SK": "s", "a": "2024-01-02T00:00:00+02:00"}
    result = attributes(raw, {"a": "datetime", "b": "date"})
    assert result == {
        "b": datetime(2024, 1, 2, tzinfo=UTC),
        "a": datetime(2024, 1, 2, tzinfo=PLUS2),
    }
    assert list(result) == ["b", "a"]


PORTABLE = [
    ("2024-01-02T03:04:05.1+00:00", datetime(2024, 1, 2, 3, 4, 5, 100000, tzinfo=UTC)),
    ("2024-01-02T03:04:05.12+02:00", datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=PLUS2)),
    ("2024-01-02T03:04:05.1234567+00:00", datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
    ("2024-01-02T03:04:05,123+00:00", datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)),
    ("2024-01-02T03:04:05+0200", datetime(2024, 1, 2, 3, 4, 5, tzinfo=PLUS2)),
    ("2024-01-02T03:04:05+02", datetime(2024, 1, 2, 3, 4, 5, tzinfo=PLUS2)),
    (
        "2024-01-02T03:04:05.5-05:30",
        datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
    ),
    ("2024-01-02 03:04", datetime(2024, 1, 2, 3, 4)),
    ("2024-01-02T03", datetime(2024, 1, 2, 3)),
    ("2024-01-02", datetime(2024, 1, 2)),
]


@pytest.mark.parametrize(("text", "expected"), PORTABLE)
def test_portable_iso_parser(text: str, expected: datetime) -> None:
    parsed = _parse_iso(text)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == expected.utcoffset()
    if sys.version_info >= (3, 11):  # the fallback agrees with the newer fromisoformat
        assert datetime.fromisoformat(text) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024-1-02",
        "2024-13-01",
        "2024-01-02T",
        "2024-01-02T25:00",
        "2024-01-02T03:04:05.",
        "2024-01-02T03:04+24:00",
        "2024-01-02T03:04+02:60",
        "2024-01-02T03:04:05Zx",
    ],
)
def test_portable_iso_parser_rejects(text: str) -> None:
    assert _parse_iso(text) is None


# ---------------------------------------------------------------- to_jsonable


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("3"), 3),
        (Decimal("3.0"), 3),
        (Decimal("99.5"), 99.5),
        (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05.000Z"),
        (datetime(2024, 1, 2, 5, 4, 5, 678900, tzinfo=PLUS2), "2024-01-02T03:04:05.678Z"),
        (date(2024, 1, 2), "2024-01-02"),
        ({"b", "c", "a"}, ["a", "b", "c"]),
        (frozenset({Decimal("2"), Decimal("1.5")}), [1.5, 2]),
        (Binary(b"\x00\xff"), "AP8="),
        (b"hello", "aGVsbG8="),
        ({b"b", Binary(b"a")}, ["YQ==", "Yg=="]),
        ("s", "s"),
        (5, 5),
        (1.25, 1.25),
        (True, True),
        (None, None),
        ({"k": (1, [Decimal("2")])}, {"k": [1, [2]]}),
        ((), []),
    ],
    ids=repr,
)
def test_to_jsonable_rows(value: Any, expected: Any) -> None:
    result = to_jsonable(value)
    assert result == expected
    assert type(result) is type(expected)
    json.dumps(result)


def test_to_jsonable_keeps_keys_and_does_not_mutate() -> None:
    value = {"items": [{"n": Decimal("1"), "tags": {"y", "x"}}], "when": date(2024, 1, 2)}
    before = copy.deepcopy(value)
    assert to_jsonable(value) == {"items": [{"n": 1, "tags": ["x", "y"]}], "when": "2024-01-02"}
    assert value == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (object(), "to_jsonable: unsupported value of type object at $"),
        (
            {"items": [1, 2, {"createdAt": 1j}]},
            "to_jsonable: unsupported value of type complex at $.items[2].createdAt",
        ),
        (
            [{"a": [bytearray(b"x"), range(1)]}],
            "to_jsonable: unsupported value of type range at $[0].a[1]",
        ),
    ],
)
def test_to_jsonable_error_path(value: Any, message: str) -> None:
    with pytest.raises(ParameterValidationError) as info:
        to_jsonable(value)
    assert str(info.value) == message


# ---------------------------------------------------------------- size estimate


@pytest.mark.parametrize(
    ("av", "size"),
    [
        ({"S": "abc"}, 3),
        ({"S": "é✓"}, 5),
        ({"S": ""}, 0),
        ({"N": "99.5"}, 4),
        ({"N": "-1"}, 2),
        ({"B": b"\x00\x01"}, 2),
        ({"B": Binary(b"abc")}, 3),
        ({"BOOL": False}, 1),
        ({"NULL": True}, 1),
        ({"SS": ["a", "bc"]}, 3),
        ({"NS": ["1", "23"]}, 3),
        ({"BS": [b"a", b"bc"]}, 3),
        ({"L": []}, 3),
        ({"L": [{"S": "ab"}, {"N": "1"}]}, 3 + (1 + 2) + (1 + 1)),
        ({"M": {}}, 3),
        ({"M": {"a": {"S": "xy"}, "bc": {"BOOL": True}}}, 3 + (1 + 1 + 2) + (2 + 1 + 1)),
        ({"M": {"l": {"L": [{"NULL": True}]}}}, 3 + (1 + 1 + (3 + 1 + 1))),
    ],
    ids=repr,
)
def test_value_size(av: dict[str, Any], size: int) -> None:
    assert value_size(av) == size


def test_item_size() -> None:
    assert item_size({}) == 0
    assert item_size({"PK": {"S": "ORDER#o1"}, "SK": {"S": "META"}}) == (2 + 8) + (2 + 4)
    assert item_size({"né": {"N": "10"}, "t": {"L": [{"S": "a"}]}}) == (3 + 2) + (1 + 3 + 1 + 1)
    key = serialize({"total": 99.5, "tags": {"a"}}, op_id="op")["M"]
    assert item_size(key) == (5 + 4) + (4 + 1)


def test_value_size_rejects_unknown_type() -> None:
    with pytest.raises(ValueError, match="not an AttributeValue type: 'X'"):
        value_size({"X": 1})
