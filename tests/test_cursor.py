"""Cursor codecs: docs/format.md sections 12.1-12.3 and 32."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary

from graphddb_runtime.cursor import (
    decode_cursor,
    decode_per_key_cursor,
    encode_cursor,
    encode_per_key_cursor,
    mint_cursor,
    read_cursor,
    serialize_contract_key,
    sign_cursor,
    verify_cursor,
)
from graphddb_runtime.errors import CursorError, ParameterValidationError

BASE_KEY = {"PK": "GROUP#eng", "SK": "USER#alice"}
BASE_CURSOR = "eyJQSyI6IkdST1VQI2VuZyIsIlNLIjoiVVNFUiNhbGljZSJ9"
GSI_KEY = {"GSI1PK": "USER#alice", "GSI1SK": "GROUP#eng", "PK": "GROUP#eng", "SK": "USER#alice"}
GSI_CURSOR = (
    "eyJHU0kxUEsiOiJVU0VSI2FsaWNlIiwiR1NJMVNLIjoiR1JPVVAjZW5nIiwiUEsiOiJHUk9VUCNlbmciLCJTSyI6IlVT"
    "RVIjYWxpY2UifQ"
)
SIGNED_CURSOR = BASE_CURSOR + ".uhcBqPGKWLmIT0602HQ9BGBGSF0ubPXRIH4cqOdlRVE"
PER_KEY_CURSOR = (
    "eyJrZXkiOiJ7XCJncm91cElkXCI6XCJlbmdcIn0iLCJpbm5lciI6ImV5SlFTeUk2SWtkU1QxVlFJMlZ1WnlJc0lsTkxJ"
    "am9pVlZORlVpTmhiR2xqWlNKOSJ9"
)
SECRET = b"s3cret"
SCOPE = "listGroupMembers"


def b64(text: str) -> str:
    """Unpadded URL-safe base64 of UTF-8 text, as a cursor payload."""
    return base64.urlsafe_b64encode(text.encode("utf-8")).rstrip(b"=").decode("ascii")


def read(cursor: object, *, secret: bytes | None = None, scope: str = SCOPE, **kw: Any) -> Any:
    """read_cursor for a base-table Query on partition GROUP#eng unless overridden."""
    args: dict[str, Any] = {
        "op_id": "listGroupMembers",
        "expected_attributes": ("PK", "SK"),
        "partition_attribute": "PK",
        "partition_value": {"S": "GROUP#eng"},
        "secret": secret,
        "scope": scope,
    }
    args.update(kw)
    return read_cursor(cursor, **args)


# -- 12.1 encode --------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "cursor"), [(BASE_KEY, BASE_CURSOR), (GSI_KEY, GSI_CURSOR)])
def test_encode_exact_examples(key: dict[str, Any], cursor: str) -> None:
    assert encode_cursor(key) == cursor
    assert decode_cursor(cursor) == key


def test_encode_keeps_insertion_order_and_strips_padding() -> None:
    cursor = encode_cursor({"SK": "b", "PK": "a"})
    assert "=" not in cursor
    assert base64.urlsafe_b64decode(cursor + "==").decode() == '{"SK":"b","PK":"a"}'
    assert list(decode_cursor(cursor)) == ["SK", "PK"]


def test_encode_value_types() -> None:
    key = {
        "a": Decimal("5"),
        "b": Decimal("1.5"),
        "c": Decimal("1E+2"),
        "d": b"\x00\xff",
        "e": Binary(b"hi"),
        "f": 7,
        "g": 0.25,
        "h": "ünï",
    }
    cursor = encode_cursor(key)
    text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    assert text == '{"a":5,"b":1.5,"c":100,"d":"AP8=","e":"aGk=","f":7,"g":0.25,"h":"ünï"}'
    assert decode_cursor(cursor) == {
        "a": 5,
        "b": 1.5,
        "c": 100,
        "d": "AP8=",
        "e": "aGk=",
        "f": 7,
        "g": 0.25,
        "h": "ünï",
    }


def test_encode_does_not_mutate_its_argument() -> None:
    key = {"PK": "x", "SK": Decimal("3")}
    encode_cursor(key)
    assert key == {"PK": "x", "SK": Decimal("3")}


@pytest.mark.parametrize(
    "value", [Decimal("NaN"), Decimal("Infinity"), float("nan"), float("-inf"), object(), {1, 2}]
)
def test_encode_unwritable_values(value: object) -> None:
    with pytest.raises(ParameterValidationError, match=r"^cannot encode cursor: "):
        encode_cursor({"PK": value})


# -- 12.2 decode_cursor (public helper) ---------------------------------------------------------

GARBAGE = [
    "@@@",
    "a",
    "====",
    "abcde",  # len % 4 == 1
    BASE_CURSOR + "\n",
    BASE_CURSOR + "=",
    "eyJQSyI6 IkdST1VQ",
    "",
    b64("not json"),
    b64("[1,2]"),
    b64('"PK"'),
    b64("42"),
    b64("null"),
    b64('{"PK":NaN}'),
    b64('{"PK":Infinity}'),
    b64("[" * 100_000),
    "_w",  # decodes to b"\xff": not UTF-8
    "gA",  # decodes to b"\x80": not UTF-8
    SIGNED_CURSOR,  # decode_cursor never verifies, and "." is not a cursor character
]


@pytest.mark.parametrize("cursor", GARBAGE)
def test_decode_cursor_garbage(cursor: str) -> None:
    with pytest.raises(CursorError) as info:
        decode_cursor(cursor)
    assert str(info.value) == "malformed cursor"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("cursor", [None, 5, b"abc", ["x"]])
def test_decode_cursor_non_string(cursor: Any) -> None:
    with pytest.raises(CursorError, match=r"^cursor must be a string$"):
        decode_cursor(cursor)


def test_decode_cursor_accepts_any_object_and_unpadded_lengths() -> None:
    for text in ["{}", '{"a":1}', '{"ab":true}', '{"x":[1,null]}']:
        assert decode_cursor(b64(text)) == json.loads(text)


@pytest.mark.parametrize(
    "key",
    [
        {"PK": "p", "SK": 7},
        {"PK": "p", "SK": -12345678901234567890},
        {"PK": "p", "SK": 0.5},
        {"PK": "日本", "SK": "emoji 🎉"},
        {},
    ],
)
def test_round_trip(key: dict[str, Any]) -> None:
    assert decode_cursor(encode_cursor(key)) == key


# -- 12.3 signing -------------------------------------------------------------------------------


def test_sign_exact_example() -> None:
    assert sign_cursor(BASE_CURSOR, secret=SECRET, scope=SCOPE) == SIGNED_CURSOR
    assert verify_cursor(SIGNED_CURSOR, secret=SECRET, scope=SCOPE, op_id="q") == BASE_CURSOR


def test_mint_cursor() -> None:
    assert mint_cursor(BASE_KEY, secret=None, scope=SCOPE) == BASE_CURSOR
    assert mint_cursor(BASE_KEY, secret=SECRET, scope=SCOPE) == SIGNED_CURSOR


def test_verify_splits_at_last_dot() -> None:
    signed = sign_cursor("a.b", secret=SECRET, scope="s")
    assert verify_cursor(signed, secret=SECRET, scope="s", op_id="q") == "a.b"


@pytest.mark.parametrize(
    ("cursor", "secret", "scope"),
    [
        (SIGNED_CURSOR[:-1] + "F", SECRET, SCOPE),  # tampered signature
        ("eyJQSyI6IkdST1VQI2VuZyIsIlNLIjoiVVNFUiNhbGljZSJa" + SIGNED_CURSOR[-44:], SECRET, SCOPE),
        (SIGNED_CURSOR, SECRET, "listUserGroups"),  # another scope
        (SIGNED_CURSOR, b"other", SCOPE),  # another secret
        (BASE_CURSOR, SECRET, SCOPE),  # unsigned
        (BASE_CURSOR + ".", SECRET, SCOPE),  # empty signature
        (BASE_CURSOR + ".é", SECRET, SCOPE),  # non-ASCII signature
        ("", SECRET, SCOPE),
    ],
)
def test_verify_rejects(cursor: str, secret: bytes, scope: str) -> None:
    with pytest.raises(CursorError) as info:
        verify_cursor(cursor, secret=secret, scope=scope, op_id="listGroupMembers")
    assert str(info.value) == "listGroupMembers: cursor signature is invalid"


def test_verify_non_string() -> None:
    with pytest.raises(CursorError, match=r"^q: cursor must be a string$"):
        verify_cursor(5, secret=SECRET, scope=SCOPE, op_id="q")  # type: ignore[arg-type]


# -- 12.2 read_cursor (inside a query) ----------------------------------------------------------


@pytest.mark.parametrize("cursor", [None, ""])
@pytest.mark.parametrize("secret", [None, SECRET])
def test_read_first_page(cursor: object, secret: bytes | None) -> None:
    assert read(cursor, secret=secret) is None


def test_read_unsigned_cursor() -> None:
    start = read(BASE_CURSOR)
    assert start == {"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#alice"}}


def test_read_signed_cursor() -> None:
    start = read(SIGNED_CURSOR, secret=SECRET)
    assert start == {"PK": {"S": "GROUP#eng"}, "SK": {"S": "USER#alice"}}


def test_read_index_cursor_keeps_cursor_order() -> None:
    reordered = encode_cursor({"PK": "GROUP#eng", "GSI1SK": "GROUP#eng", "SK": "x", "GSI1PK": "U"})
    start = read(
        reordered,
        expected_attributes=("GSI1PK", "GSI1SK", "PK", "SK"),
        partition_attribute="GSI1PK",
        partition_value={"S": "U"},
    )
    assert list(start) == ["PK", "GSI1SK", "SK", "GSI1PK"]
    assert start["GSI1PK"] == {"S": "U"}


def test_read_numbers_become_n() -> None:
    cursor = b64('{"SK":1.50,"PK":42}')
    start = read(cursor, partition_value={"N": "42"})
    assert start == {"SK": {"N": "1.5"}, "PK": {"N": "42"}}
    assert list(start) == ["SK", "PK"]
    minted = encode_cursor({"PK": Decimal("42"), "SK": Decimal("-0.001")})
    assert read(minted, partition_value={"N": "42"}) == {"PK": {"N": "42"}, "SK": {"N": "-0.001"}}


@pytest.mark.parametrize("cursor", [*(c for c in GARBAGE if c), BASE_CURSOR + ".sig"])
def test_read_malformed(cursor: str) -> None:
    with pytest.raises(CursorError) as info:
        read(cursor)
    assert str(info.value) == "listGroupMembers: malformed cursor"


@pytest.mark.parametrize(
    "sk",
    ["true", "null", "[1]", '{"S":"x"}', '""', "1e999", "1e-200", "1" * 40, "1.5e200"],
)
def test_read_rejects_bad_values(sk: str) -> None:
    with pytest.raises(CursorError, match=r"^listGroupMembers: malformed cursor$"):
        read(b64('{"PK":"GROUP#eng","SK":' + sk + "}"))


@pytest.mark.parametrize("cursor", [5, b"abc", ["x"], {"PK": "x"}])
@pytest.mark.parametrize("secret", [None, SECRET])
def test_read_non_string(cursor: object, secret: bytes | None) -> None:
    with pytest.raises(CursorError, match=r"^listGroupMembers: cursor must be a string$"):
        read(cursor, secret=secret)


@pytest.mark.parametrize(
    ("cursor", "scope"),
    [
        (BASE_CURSOR, SCOPE),  # unsigned with a secret set
        (SIGNED_CURSOR[:-2] + "AA", SCOPE),  # tampered
        (SIGNED_CURSOR, "listUserGroups"),  # signed for another scope
        ("@@@", SCOPE),
    ],
)
def test_read_signature_failures(cursor: str, scope: str) -> None:
    with pytest.raises(CursorError) as info:
        read(cursor, secret=SECRET, scope=scope)
    assert str(info.value) == "listGroupMembers: cursor signature is invalid"


def test_read_signed_but_malformed_payload() -> None:
    signed = sign_cursor(b64("[1]"), secret=SECRET, scope=SCOPE)
    with pytest.raises(CursorError, match=r"^listGroupMembers: malformed cursor$"):
        read(signed, secret=SECRET)


def test_read_signed_cursor_without_secret_is_malformed() -> None:
    with pytest.raises(CursorError, match=r"^listGroupMembers: malformed cursor$"):
        read(SIGNED_CURSOR)


@pytest.mark.parametrize(
    ("key", "got"),
    [
        ({"PK": "GROUP#eng"}, "['PK']"),
        ({"SK": "a", "PK": "GROUP#eng", "GSI1PK": "x"}, "['SK', 'PK', 'GSI1PK']"),
        ({}, "[]"),
        ({"pk": "GROUP#eng", "SK": "a"}, "['pk', 'SK']"),
    ],
)
def test_read_wrong_key_set(key: dict[str, Any], got: str) -> None:
    with pytest.raises(CursorError) as info:
        read(encode_cursor(key))
    assert str(info.value) == (
        "listGroupMembers: cursor does not belong to this query "
        f"(expected key attributes ['PK', 'SK'], got {got})"
    )


def test_read_index_cursor_on_base_table_query() -> None:
    with pytest.raises(CursorError) as info:
        read(GSI_CURSOR)
    assert str(info.value) == (
        "listGroupMembers: cursor does not belong to this query (expected key attributes "
        "['PK', 'SK'], got ['GSI1PK', 'GSI1SK', 'PK', 'SK'])"
    )


@pytest.mark.parametrize(
    ("key", "partition_value"),
    [
        ({"PK": "GROUP#ops", "SK": "USER#alice"}, {"S": "GROUP#eng"}),
        ({"PK": "5", "SK": "x"}, {"N": "5"}),  # same text, different type
        ({"PK": 5, "SK": "x"}, {"S": "5"}),
        ({"PK": 5, "SK": "x"}, {"N": "6"}),
    ],
)
def test_read_partition_mismatch(key: dict[str, Any], partition_value: dict[str, Any]) -> None:
    with pytest.raises(CursorError) as info:
        read(encode_cursor(key), partition_value=partition_value)
    assert str(info.value) == "listGroupMembers: cursor belongs to a different partition"


def test_read_partition_mismatch_signed() -> None:
    cursor = mint_cursor({"PK": "GROUP#ops", "SK": "x"}, secret=SECRET, scope=SCOPE)
    with pytest.raises(CursorError, match=r"^listGroupMembers: cursor belongs to a different"):
        read(cursor, secret=SECRET)


def test_errors_are_parameter_validation_errors() -> None:
    with pytest.raises(ParameterValidationError):
        read("@@@")
    with pytest.raises(ValueError, match="malformed"):
        decode_cursor("@@@")


# -- 32 per-key cursors -------------------------------------------------------------------------


def test_serialize_contract_key() -> None:
    assert serialize_contract_key({"userId": "u1", "groupId": "g1"}) == (
        '{"groupId":"g1","userId":"u1"}'
    )
    assert serialize_contract_key({"n": Decimal("3"), "f": Decimal("2.5"), "s": "é"}) == (
        '{"f":2.5,"n":3,"s":"é"}'
    )
    with pytest.raises(ParameterValidationError, match=r"^cannot serialize contract key: "):
        serialize_contract_key({"n": Decimal("NaN")})


def test_per_key_exact_example() -> None:
    assert encode_per_key_cursor({"groupId": "eng"}, BASE_CURSOR) == PER_KEY_CURSOR
    assert decode_cursor(PER_KEY_CURSOR) == {"key": '{"groupId":"eng"}', "inner": BASE_CURSOR}
    assert decode_per_key_cursor(PER_KEY_CURSOR, {"groupId": "eng"}) == BASE_CURSOR


def test_per_key_none_inner() -> None:
    assert encode_per_key_cursor({"groupId": "eng"}, None) is None


def test_per_key_round_trip_signed_inner_and_key_order() -> None:
    key = {"userId": "u1", "groupId": Decimal("7")}
    envelope = encode_per_key_cursor(key, SIGNED_CURSOR)
    assert envelope is not None
    assert decode_per_key_cursor(envelope, {"groupId": 7, "userId": "u1"}) == SIGNED_CURSOR


@pytest.mark.parametrize("cursor", ["@@@", "a", "====", "", b64("nope"), b64("[1]"), None, 5])
def test_per_key_undecodable(cursor: Any) -> None:
    with pytest.raises(CursorError) as info:
        decode_per_key_cursor(cursor, {"groupId": "eng"})
    assert str(info.value) == (
        "Invalid per-key cursor: the value passed as 'after' failed to decode"
    )


@pytest.mark.parametrize(
    "envelope",
    [
        {},
        {"key": '{"groupId":"eng"}'},
        {"inner": BASE_CURSOR},
        {"key": {"groupId": "eng"}, "inner": BASE_CURSOR},
        {"key": '{"groupId":"eng"}', "inner": None},
        {"key": '{"groupId":"eng"}', "inner": 5},
    ],
)
def test_per_key_missing_fields(envelope: dict[str, Any]) -> None:
    with pytest.raises(CursorError) as info:
        decode_per_key_cursor(encode_cursor(envelope), {"groupId": "eng"})
    assert str(info.value) == (
        "Invalid per-key cursor: the envelope is missing its key / inner fields"
    )


def test_per_key_mismatch() -> None:
    with pytest.raises(CursorError) as info:
        decode_per_key_cursor(PER_KEY_CURSOR, {"groupId": "ops"})
    assert str(info.value) == (
        'Per-key cursor mismatch: the cursor belongs to key {"groupId":"eng"}, '
        'but the method was called for key {"groupId":"ops"}'
    )
    assert isinstance(info.value, ValueError)
