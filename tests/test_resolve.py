"""Literal spec values reach the request as exactly the AttributeValue they are.

``-0.0`` equals ``0.0``, and ``1``, ``1.0`` and ``True`` are equal in Python: a cache or a constant
table keyed by equality would send one for another. The generated transaction code shares its
constants only when they are the same constant (type and ``repr``), and commands resolve literals
without sharing; both must send the literals as written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from graphddb_runtime import GraphDDBRuntime

LITERALS: dict[str, Any] = {
    "negZero": -0.0,
    "zero": 0.0,
    "one": 1,
    "oneFloat": 1.0,
    "yes": True,
    "oneDecimal": Decimal("1.0"),
}
EXPECTED = {
    "negZero": {"N": "-0.0"},
    "zero": {"N": "0.0"},
    "one": {"N": "1"},
    "oneFloat": {"N": "1.0"},
    "yes": {"BOOL": True},
    "oneDecimal": {"N": "1.0"},
}
#: The same literals in another order: a constant shared by equality shows in either order.
REVERSED = dict(reversed(list(LITERALS.items())))

MANIFEST: dict[str, Any] = {
    "entities": {
        "Row": {
            "table": "T",
            "key": {"pkTemplate": "ROW#{id}", "skTemplate": "META"},
            "fields": {"id": {}},
        }
    }
}


class Client:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def put_item(self, **kwargs: Any) -> Any:
        self.calls.append(("put_item", kwargs))
        return {}

    def update_item(self, **kwargs: Any) -> Any:
        self.calls.append(("update_item", kwargs))
        return {}

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.calls.append(("transact_write_items", kwargs))
        return {}


def _runtime(client: Client, literals: dict[str, Any]) -> GraphDDBRuntime:
    params = {"id": {"type": "string", "required": True}}
    members = {
        "type": "array",
        "required": True,
        "element": {"id": {"type": "string", "required": True}},
    }
    key = {"PK": "ROW#{id}", "SK": "META"}
    operations = {
        "commands": {
            "put": {
                "type": "PutItem",
                "tableName": "T",
                "entity": "Row",
                "params": params,
                "item": {"id": "{id}", **literals},
            },
            "update": {
                "type": "UpdateItem",
                "tableName": "T",
                "entity": "Row",
                "params": params,
                "keyCondition": key,
                "changes": literals,
            },
        },
        "transactions": {
            "write": {
                "params": {"members": members},
                "items": [
                    {
                        "type": "Put",
                        "tableName": "T",
                        "entity": "Row",
                        "forEach": {"source": "members"},
                        "item": {"id": "{item.id}", **literals},
                    },
                    {
                        "type": "Update",
                        "tableName": "T",
                        "entity": "Row",
                        "forEach": {"source": "members"},
                        "keyCondition": {"PK": "ROW#{item.id}X", "SK": "META"},
                        "changes": literals,
                    },
                ],
            }
        },
    }
    return GraphDDBRuntime(client, MANIFEST, operations, table_mapping={"T": "t"})


def _sent(literals: dict[str, Any]) -> list[dict[str, Any]]:
    """Every literal-bearing map sent: the Put Items, the Update values (as field -> AV)."""
    client = Client()
    runtime = _runtime(client, literals)
    runtime.execute_command("put", {"id": "a"})
    runtime.execute_command("update", {"id": "a"})
    runtime.execute_transaction("write", {"members": [{"id": "b"}, {"id": "c"}]})
    maps = []
    for name, kwargs in client.calls:
        bodies = (
            [next(iter(entry.values())) for entry in kwargs["TransactItems"]]
            if name == "transact_write_items"
            else [kwargs]
        )
        for body in bodies:
            if "Item" in body:
                maps.append({k: v for k, v in body["Item"].items() if k in literals})
            else:
                names = body["ExpressionAttributeNames"]
                values = body["ExpressionAttributeValues"]
                maps.append({names[a]: values[":" + a[1:]] for a in names})
    return maps


def test_commands_and_transaction_items_send_each_literal_as_written() -> None:
    for literals in (LITERALS, REVERSED):
        maps = _sent(literals)
        assert len(maps) == 6  # put, update, 2 transaction Puts, 2 transaction Updates
        for sent in maps:
            assert sent == EXPECTED
            assert {k: repr(v) for k, v in sent.items()} == {
                k: repr(v) for k, v in EXPECTED.items()
            }
