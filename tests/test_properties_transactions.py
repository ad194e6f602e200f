"""Property tests: same-row collapse never drops data (docs/format.md sections 27 and 21.2).

Generated params put several writes on few rows: ``forEach`` lists with repeated elements, the
same row with the same or with different content (numbers that are equal but encoded
differently: ``-0.0`` and ``0.0``, ``1`` and ``1.0``), Deletes and key-only marker Puts of the
same rows. For every example, either the request holds every built item, minus only items an
identical kept item stands for (and key-only swaps, which write nothing), or the call raises
``TransactionCollapseError`` before any call. A small model of the built items says which.
Transactions run without and with middleware (the W1 path collapses again).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from graphddb_runtime import GraphDDBRuntime, TransactionCollapseError
from graphddb_runtime.demo import example_spec

from ._fake_dynamo import FakeDynamo

TABLE = "app-prod"
JOINED = "2024-05-01T00:00:00.000Z"
S = {"type": "string", "required": True}
N = {"type": "number", "required": True}
MARKER = {"tableName": "AppTable", "entity": "__marker__", "literalKey": True}
KEY = {"PK": "ORDER#{orderId}", "SK": "LINE#{item.sku}"}


def lines_param(**fields: Any) -> dict[str, Any]:
    return {"type": "array", "element": {"sku": S, **fields}}


#: items[0]: a line per ``lines`` element; items[1]: the same rows from ``extras``; items[2]: a
#: Delete per ``removed`` element; items[3]: a key-only marker Put per ``markers`` element.
TRANSACTION = {
    "params": {
        "orderId": S,
        "lines": lines_param(qty=N),
        "extras": lines_param(qty=N),
        "removed": lines_param(),
        "markers": lines_param(),
    },
    "items": [
        {**MARKER, "type": "Put", "forEach": {"source": src}, "item": {**KEY, "qty": "{item.qty}"}}
        for src in ("lines", "extras")
    ]
    + [
        {**MARKER, "type": "Delete", "forEach": {"source": "removed"}, "keyCondition": KEY},
        {**MARKER, "type": "Put", "forEach": {"source": "markers"}, "item": dict(KEY)},
    ],
}


def _client() -> FakeDynamo:
    """The shared fake, recording only: writes are answered, never applied."""
    client = FakeDynamo({TABLE: (("PK", "SK"), {})})
    client.store_writes = False
    return client


def _transactions() -> tuple[GraphDDBRuntime, GraphDDBRuntime, FakeDynamo]:
    manifest, operations = copy.deepcopy(example_spec())
    operations["transactions"]["lines"] = TRANSACTION
    client = _client()
    plain = GraphDDBRuntime(client, manifest, operations, table_mapping={"AppTable": TABLE})
    hooked = GraphDDBRuntime(client, manifest, operations, table_mapping={"AppTable": TABLE})
    hooked.use({"write": {"before": lambda ctx: None}})
    return plain, hooked, client


PLAIN, HOOKED, CLIENT = _transactions()

#: (value sent, its encoded N text): equal numbers, different encodings.
QTY = st.sampled_from(
    [(0, "0"), (0.0, "0.0"), (-0.0, "-0.0"), (1, "1"), (1.0, "1.0"), (Decimal("1.0"), "1.0")]
)
SKU = st.sampled_from(["A", "B", "C"])
QTY_LINES = st.lists(st.tuples(SKU, QTY), max_size=5)
SKUS = st.lists(SKU, max_size=3)


def _built(params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The model: (kind, sku, TransactItems entry) per built item, in expansion order."""
    built = []
    for source in ("lines", "extras"):
        for sku, (_, text) in params[source]:
            item = {"PK": {"S": "ORDER#1"}, "SK": {"S": f"LINE#{sku}"}, "qty": {"N": text}}
            built.append(("Put", sku, {"Put": {"TableName": TABLE, "Item": item}}))
    key = {"PK": {"S": "ORDER#1"}}
    for sku in params["removed"]:
        entry = {"Delete": {"TableName": TABLE, "Key": {**key, "SK": {"S": f"LINE#{sku}"}}}}
        built.append(("Delete", sku, entry))
    for sku in params["markers"]:
        entry = {"Put": {"TableName": TABLE, "Item": {**key, "SK": {"S": f"LINE#{sku}"}}}}
        built.append(("Put", sku, entry))
    return built


def _expected(built: list[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]] | None:
    """What section 27 sends for the model's items, or None for a collapse error."""
    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for kind, sku, entry in built:
        groups.setdefault(sku, []).append((kind, entry))
    out = []
    for members in groups.values():
        kinds = {kind for kind, _ in members}
        entries = [entry for _, entry in members]
        if kinds == {"Delete", "Put"}:
            if any(len(e["Put"]["Item"]) > 2 for k, e in members if k == "Put"):
                return None  # the Put writes content: dropping both would lose it
            continue
        if any(entry != entries[0] for entry in entries):
            return None  # different Puts of one row
        out.append(entries[0])
    return out


@settings(max_examples=150)
@given(
    lines=QTY_LINES,
    extras=QTY_LINES,
    removed=SKUS,
    markers=SKUS,
    hooked=st.booleans(),
)
def test_a_transaction_keeps_every_built_item_or_raises_before_any_call(
    lines: list[Any], extras: list[Any], removed: list[str], markers: list[str], hooked: bool
) -> None:
    model = {"lines": lines, "extras": extras, "removed": removed, "markers": markers}
    params: dict[str, Any] = {
        "orderId": "1",
        "lines": [{"sku": sku, "qty": qty} for sku, (qty, _) in lines],
        "extras": [{"sku": sku, "qty": qty} for sku, (qty, _) in extras],
        "removed": [{"sku": sku} for sku in removed],
        "markers": [{"sku": sku} for sku in markers],
    }
    built = _built(model)
    expected = _expected(built)
    CLIENT.forget()
    runtime = HOOKED if hooked else PLAIN
    if expected is None:
        try:
            runtime.execute_transaction("lines", params)
        except TransactionCollapseError as error:
            assert error.items and error.target is not None
        else:
            raise AssertionError("a collapse that drops data did not raise")
        assert CLIENT.calls == []
        return
    runtime.execute_transaction("lines", params)
    sent = CLIENT.calls[0][1]["TransactItems"] if CLIENT.calls else []
    assert sent == expected
    # No data is dropped: every built Put that is not part of a key-only swap is in the request.
    swapped = {sku for kind, sku, _ in built if kind == "Delete"}
    for kind, sku, entry in built:
        if kind == "Put" and sku not in swapped:
            assert entry in sent


# --- BatchWriteItem (contract parallel mode) ----------------------------------------------------


SPECS = Path(__file__).resolve().parent / "specs" / "contracts"
BATCH_CLIENT = _client()
BATCH = GraphDDBRuntime(
    BATCH_CLIENT,
    SPECS / "manifest.json",
    SPECS / "operations.json",
    table_mapping={"AppTable": TABLE},
)
MEMBERS = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["member", "admin"])), max_size=8
)


@settings(max_examples=100)
@given(members=MEMBERS)
def test_a_batch_write_keeps_every_request_or_raises_before_any_call(
    members: list[tuple[str, str]],
) -> None:
    keys = [{"userId": user, "role": role} for user, role in members]
    roles: dict[str, set[str]] = {}
    for user, role in members:
        roles.setdefault(user, set()).add(role)
    BATCH_CLIENT.forget()
    shared = {"groupId": "eng", "joinedAt": JOINED}
    if any(len(found) > 1 for found in roles.values()):
        try:
            BATCH.execute_command_method("MembershipCommands", "add", keys, shared)
        except TransactionCollapseError as error:
            assert error.items and all(spec is None for spec, _ in error.items)
        else:
            raise AssertionError("a collapse that drops data did not raise")
        assert BATCH_CLIENT.calls == []
        return
    result = BATCH.execute_command_method("MembershipCommands", "add", keys, shared)
    assert result == {"results": [{"ok": True} for _ in keys]}
    sent = BATCH_CLIENT.calls[0][1]["RequestItems"][TABLE] if BATCH_CLIENT.calls else []
    written = [
        (r["PutRequest"]["Item"]["userId"]["S"], r["PutRequest"]["Item"]["role"]["S"]) for r in sent
    ]
    assert written == list(dict.fromkeys(members))  # every request, once, first position
