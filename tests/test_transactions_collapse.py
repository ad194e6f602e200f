"""Same-row collapse never drops data (docs/format.md sections 27, 13.1 and 25).

Several Puts (or Deletes) of one row collapse only when they are identical, compared as encoded
AttributeValues (``-0.0`` is not ``0.0``); a Delete+Put pair is dropped only when the Put writes
nothing but the key. Everything else raises ``TransactionCollapseError`` before any call, naming
the spec items and ``forEach`` elements. Every test goes through ``execute_transaction`` on a
recording client.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from graphddb_runtime import GraphDDBRuntime, ParameterValidationError, TransactionCollapseError
from graphddb_runtime.demo import example_spec

from ._fake_dynamo import FakeDynamo

TABLE = "app-prod"
S = {"type": "string", "required": True}
N = {"type": "number", "required": True}
LINES = {
    "type": "array",
    "required": True,
    "element": {"sku": S, "qty": N},
}
MARKER = {"tableName": "AppTable", "entity": "__marker__", "literalKey": True}
#: One order line per element: a literalKey row ORDER#<orderId> / LINE#<sku> with its quantity.
LINE_PUT: dict[str, Any] = {
    **MARKER,
    "type": "Put",
    "forEach": {"source": "lines"},
    "item": {"PK": "ORDER#{orderId}", "SK": "LINE#{item.sku}", "qty": "{item.qty}"},
}
LINE_PARAMS = {"orderId": S, "lines": LINES}
GROUP_KEY = {"PK": "GROUP#{groupId}", "SK": "META"}
GROUP_KEY_AV = {"PK": {"S": "GROUP#eng"}, "SK": {"S": "META"}}
EXISTS = {"kind": "attributeExists", "field": "PK"}


def runtime(
    items: list[dict[str, Any]], params: dict[str, Any]
) -> tuple[GraphDDBRuntime, FakeDynamo]:
    manifest, operations = copy.deepcopy(example_spec())
    operations["transactions"]["t"] = {"params": params, "items": items}
    client = FakeDynamo()  # no tables: TransactWriteItems is recorded, never applied
    return GraphDDBRuntime(client, manifest, operations, table_mapping={"AppTable": TABLE}), client


def sent(items: list[dict[str, Any]], params: dict[str, Any], args: dict[str, Any]) -> list[Any]:
    """The TransactItems of the one call ``t`` makes (``[]`` when it makes none)."""
    rt, client = runtime(items, params)
    rt.execute_transaction("t", args)
    assert len(client.calls) <= 1
    return client.requests("transact_write_items")[0]["TransactItems"] if client.calls else []


def rejected(
    items: list[dict[str, Any]], params: dict[str, Any], args: dict[str, Any]
) -> TransactionCollapseError:
    """The collapse error ``t`` raises, after checking that no call was made."""
    rt, client = runtime(items, params)
    with pytest.raises(TransactionCollapseError) as caught:
        rt.execute_transaction("t", args)
    assert client.calls == []
    assert isinstance(caught.value, ValueError)
    return caught.value


def lines(*pairs: tuple[str, Any]) -> dict[str, Any]:
    return {"orderId": "1", "lines": [{"sku": sku, "qty": qty} for sku, qty in pairs]}


def line(sku: str, qty: str) -> dict[str, Any]:
    item = {"PK": {"S": "ORDER#1"}, "SK": {"S": f"LINE#{sku}"}, "qty": {"N": qty}}
    return {"Put": {"TableName": TABLE, "Item": item}}


def group(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "tableName": "AppTable",
        "entity": "GroupModel",
        "keyCondition": dict(GROUP_KEY),
        **fields,
    }


# --- Puts -------------------------------------------------------------------------------------


def test_two_puts_of_one_row_with_different_content_raise_naming_items_and_elements() -> None:
    error = rejected([LINE_PUT], LINE_PARAMS, lines(("A", 2), ("B", 1), ("C", 1), ("A", 5)))
    assert str(error) == (
        "t: 2 Puts on the same row with different content: items[0] (element 0) and items[0] "
        "(element 3) (table 'app-prod', key PK='ORDER#1', SK='LINE#A'); attribute 'qty' differs "
        "(N '2' vs N '5')"
    )
    assert error.items == ((0, 0), (0, 3))
    assert error.target == {
        "table": TABLE,
        "key": {"PK": {"S": "ORDER#1"}, "SK": {"S": "LINE#A"}},
    }


def test_identical_puts_of_one_row_are_sent_once_at_the_first_position() -> None:
    items = sent([LINE_PUT], LINE_PARAMS, lines(("A", 2), ("B", 1), ("A", 2), ("A", 2)))
    assert items == [line("A", "2"), line("B", "1")]


@pytest.mark.parametrize(
    ("first", "second", "shown"),
    [
        (-0.0, 0.0, "N '-0.0' vs N '0.0'"),
        (0.0, -0.0, "N '0.0' vs N '-0.0'"),
        (Decimal("5"), Decimal("5.0"), "N '5' vs N '5.0'"),
        (Decimal("-0"), Decimal("0"), "N '-0' vs N '0'"),
    ],
)
def test_equal_numbers_with_different_encodings_are_not_identical(
    first: Any, second: Any, shown: str
) -> None:
    error = rejected([LINE_PUT], LINE_PARAMS, lines(("A", first), ("A", second)))
    assert str(error).endswith(f"attribute 'qty' differs ({shown})")


def test_the_same_encoding_is_identical() -> None:
    items = sent([LINE_PUT], LINE_PARAMS, lines(("A", -0.0), ("A", -0.0), ("B", 0.0)))
    assert items == [line("A", "-0.0"), line("B", "0.0")]


def test_an_attribute_only_one_put_writes_is_a_difference() -> None:
    sparse = {**MARKER, "type": "Put", "item": {"PK": "ORDER#1", "SK": "LINE#A"}}
    error = rejected([LINE_PUT, sparse], LINE_PARAMS, lines(("A", 2)))
    assert str(error).endswith("attribute 'qty' is only in items[0] (element 0)")
    assert error.items == ((0, 0), (1, None))


def test_puts_that_differ_only_in_their_condition_raise() -> None:
    guarded = {**LINE_PUT, "condition": {"kind": "attributeNotExists", "field": "PK"}}
    error = rejected([LINE_PUT, guarded], LINE_PARAMS, lines(("A", 2)))
    assert str(error).endswith(
        "(element 0) (table 'app-prod', key PK='ORDER#1', SK='LINE#A'); their conditions "
        "differ (None vs 'attribute_not_exists(#ce)')"
    )


def test_literal_negative_zero_is_sent_as_written() -> None:
    put = {**MARKER, "type": "Put", "item": {"PK": "P", "SK": "S", "a": 0.0, "b": -0.0, "c": -0.0}}
    update = group("Update", changes={"x": -0.0, "y": 0.0})
    items = sent([put, update], {"groupId": S}, {"groupId": "eng"})
    assert items[0]["Put"]["Item"] == {
        "PK": {"S": "P"},
        "SK": {"S": "S"},
        "a": {"N": "0.0"},
        "b": {"N": "-0.0"},
        "c": {"N": "-0.0"},
    }
    assert items[1]["Update"]["ExpressionAttributeValues"] == {
        ":c0": {"N": "-0.0"},
        ":c1": {"N": "0.0"},
    }


# --- Deletes ----------------------------------------------------------------------------------


def test_deletes_of_one_row_with_different_conditions_raise() -> None:
    error = rejected(
        [group("Delete"), group("Delete", condition=EXISTS)], {"groupId": S}, {"groupId": "eng"}
    )
    assert str(error) == (
        "t: 2 Deletes of the same row with different conditions: items[0] and items[1] (table "
        "'app-prod', key PK='GROUP#eng', SK='META'); only one can be sent, and dropping a "
        "condition would ignore it"
    )
    assert error.target == {"table": TABLE, "key": GROUP_KEY_AV}


def test_identical_deletes_and_copies_of_an_item_that_ignores_the_element_are_sent_once() -> None:
    params = {"groupId": S, "lines": LINES}
    args = {"groupId": "eng", "lines": [{"sku": "A", "qty": 1}] * 3}
    constant = group("Delete", condition=EXISTS, forEach={"source": "lines"})
    items = sent([constant, group("Delete", condition=EXISTS)], params, args)
    assert items == [
        {
            "Delete": {
                "TableName": TABLE,
                "Key": GROUP_KEY_AV,
                "ExpressionAttributeNames": {"#ce": "PK"},
                "ConditionExpression": "attribute_exists(#ce)",
            }
        }
    ]


def test_a_collapse_error_names_every_copy_of_an_item_that_ignores_the_element() -> None:
    check = group("ConditionCheck", condition=EXISTS, forEach={"source": "lines"})
    args = {"groupId": "eng", "lines": [{"sku": "A", "qty": 1}] * 3}
    error = rejected([check], {"groupId": S, "lines": LINES}, args)
    assert str(error) == (
        "3 transaction items resolve to the same physical row with an unsupported op "
        "combination (ConditionCheck)"
    )
    assert error.items == ((0, 0), (0, 1), (0, 2))
    assert error.target == {"table": TABLE, "key": GROUP_KEY_AV}


# --- Delete + Put -----------------------------------------------------------------------------


def marker(kind: str, **fields: Any) -> dict[str, Any]:
    key = {"PK": "UNIQUE#groupName#{name}", "SK": "VALUE#{name}"}
    return {**MARKER, "type": kind, ("item" if kind == "Put" else "keyCondition"): key, **fields}


NAME = {"groupId": S, "name": S}


def test_a_marker_swap_onto_the_same_key_is_dropped() -> None:
    put = marker("Put", condition={"kind": "attributeNotExists", "field": "PK"})
    items = sent(
        [marker("Delete"), put, group("Update", changes={"name": "{name}"})],
        NAME,
        {
            "groupId": "eng",
            "name": "Eng",
        },
    )
    assert [next(iter(i)) for i in items] == ["Update"]


def test_a_swap_whose_put_writes_content_raises() -> None:
    put = {
        "type": "Put",
        "tableName": "AppTable",
        "entity": "GroupModel",
        "item": {"groupId": "{groupId}", "name": "{name}"},
    }
    error = rejected([group("Delete"), put], NAME, {"groupId": "eng", "name": "Eng"})
    assert str(error) == (
        "t: a Delete and a Put of the same row: items[0] and items[1] (table 'app-prod', key "
        "PK='GROUP#eng', SK='META'); the Put writes 'groupId', 'name' besides the key, which "
        "dropping both would lose (a swap onto the same key is dropped only when the Put writes "
        "nothing but the key)"
    )
    assert error.items == ((0, None), (1, None))


def test_a_swap_whose_put_writes_many_attributes_shows_three() -> None:
    put = {**MARKER, "type": "Put", "item": {**GROUP_KEY, "a": "1", "b": "2", "c": "3", "d": "4"}}
    error = rejected([put, group("Delete")], NAME, {"groupId": "eng", "name": "x"})
    assert "items[1] and items[0]" in str(error)
    assert "the Put writes 'a', 'b', 'c', ... besides the key" in str(error)


def test_a_swap_whose_delete_carries_a_condition_raises() -> None:
    error = rejected(
        [marker("Delete", condition=EXISTS), marker("Put")], NAME, {"groupId": "g", "name": "n"}
    )
    assert str(error) == (
        "t: a Delete and a Put of the same row: items[0] and items[1] (table 'app-prod', key "
        "PK='UNIQUE#groupName#n', SK='VALUE#n'); the Delete carries a condition, which dropping "
        "both would ignore"
    )


# --- the other rows carry the data attributes too -----------------------------------------------


def test_every_collapse_error_carries_items_and_target() -> None:
    put = {
        "type": "Put",
        "tableName": "AppTable",
        "entity": "GroupModel",
        "item": {"groupId": "{groupId}", "name": "x"},
    }
    error = rejected(
        [put, group("Update", add={"memberCount": "1"})], {"groupId": S}, {"groupId": "eng"}
    )
    assert str(error).startswith("a derived counter (increment) resolves to the SAME item")
    assert error.items == ((0, None), (1, None))
    assert error.target == {"table": TABLE, "key": GROUP_KEY_AV}
    conflict = rejected(
        [group("Update", changes={"name": "a"}), group("Update", changes={"name": "b"})],
        {"groupId": S},
        {"groupId": "eng"},
    )
    assert str(conflict) == "conflicting SET of 'name' on the same row"
    assert conflict.items == ((0, None), (1, None))


#: One ADD of ``{item.n}`` to the group row per ``deltas`` element (section 27.1 merges them).
COUNTER_UPDATE: dict[str, Any] = {
    **MARKER,
    "type": "Update",
    "forEach": {"source": "deltas"},
    "keyCondition": GROUP_KEY,
    "add": {"total": "{item.n}"},
}
DELTA_PARAMS = {"groupId": S, "deltas": {"type": "array", "required": True, "element": {"n": N}}}


def test_merged_adds_are_summed_exactly_beyond_28_digits() -> None:
    deltas = [{"n": 10**30}, {"n": 1}, {"n": Decimal("0.5")}]
    (item,) = sent([COUNTER_UPDATE], DELTA_PARAMS, {"groupId": "eng", "deltas": deltas})
    assert item["Update"]["ExpressionAttributeValues"] == {
        ":a0": {"N": "1000000000000000000000000000001.5"}
    }


def test_merged_adds_that_dynamodb_cannot_store_raise_before_any_call() -> None:
    rt, client = runtime([COUNTER_UPDATE], DELTA_PARAMS)
    deltas = [{"n": 10**37}, {"n": Decimal("1E-20")}]
    with pytest.raises(ParameterValidationError) as caught:
        rt.execute_transaction("t", {"groupId": "eng", "deltas": deltas})
    assert client.calls == []
    assert str(caught.value).startswith(
        "t: the ADDs of 'total' on one row sum to a number DynamoDB cannot store: "
    )
    assert "more than DynamoDB's 38" in str(caught.value)
