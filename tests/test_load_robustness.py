"""No Python builtin exception escapes at load (docs/format.md section 2.1), and long templates
compile (transactions generate Python source per item, section 25).

The randomized counterpart is tests/test_properties_spec.py.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from graphddb_runtime import GraphDDBRuntime, SpecError

from ._cases import SPECS
from ._fake_dynamo import FakeDynamo

MANIFEST = json.loads((SPECS / "example" / "manifest.json").read_text(encoding="utf-8"))
OPERATIONS = json.loads((SPECS / "example" / "operations.json").read_text(encoding="utf-8"))


def _docs() -> tuple[dict[str, Any], dict[str, Any]]:
    return copy.deepcopy(MANIFEST), copy.deepcopy(OPERATIONS)


def _issues(manifest: Any, operations: Any) -> list[tuple[str, str, str]]:
    with pytest.raises(SpecError) as caught:
        GraphDDBRuntime(object(), manifest, operations)
    return [(i.rule, i.file, i.pointer) for i in caught.value.issues]


def test_an_entity_given_as_an_array_is_a_spec_error() -> None:
    # The reported case: "entity": [] raised TypeError at construction.
    manifest, operations = _docs()
    operations["commands"]["createUser"]["entity"] = []
    operations["queries"]["getUser"]["operations"][0]["entity"] = []
    operations["transactions"]["addMembers"]["items"][0]["entity"] = []
    assert _issues(manifest, operations) == [
        ("CM003", "operations.json", "/commands/createUser/entity"),
        ("QY012", "operations.json", "/queries/getUser/operations/0/entity"),
        ("TX003", "operations.json", "/transactions/addMembers/items/0/entity"),
    ]


@pytest.mark.parametrize("depth", [2000, 100_000])
def test_json_nested_too_deeply_to_parse_is_ld001(tmp_path: Path, depth: int) -> None:
    manifest, operations = _docs()
    flt = operations["queries"]["listGroupMembers"]["operations"][0]["filter"]
    flt["declarative"] = {"__deep__": None}
    text = json.dumps(operations).replace(
        '{"__deep__": null}', '{"not": ' * depth + "{}" + "}" * depth
    )
    path = tmp_path / "operations.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        GraphDDBRuntime(object(), manifest, path)
    [issue] = caught.value.issues
    assert (issue.rule, issue.pointer) == ("LD001", "")
    assert issue.message == "invalid JSON: the document nests too deeply to be parsed"


def test_a_mapping_nested_too_deeply_is_ld001() -> None:
    manifest, operations = _docs()
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["not"] = {}
        node = node["not"]
    operations["queries"]["listGroupMembers"]["operations"][0]["filter"]["declarative"] = deep
    with pytest.raises(SpecError) as caught:
        GraphDDBRuntime(object(), manifest, operations)
    [issue] = caught.value.issues
    assert (issue.rule, issue.message) == ("LD001", "the document nests deeper than 900 levels")


def test_a_filter_nested_deeper_than_the_limit_is_ft001() -> None:
    manifest, operations = _docs()
    deep: dict[str, Any] = {"role": "admin"}
    for _ in range(300):
        deep = {"not": deep}
    operations["queries"]["listGroupMembers"]["operations"][0]["filter"]["declarative"] = deep
    [(rule, _, ptr)] = _issues(manifest, operations)
    assert rule == "FT001"
    assert ptr.startswith("/queries/listGroupMembers/operations/0/filter/declarative/not/not/")


def test_an_integer_too_long_to_convert_is_ld001(tmp_path: Path) -> None:
    path = tmp_path / "operations.json"
    text = json.dumps(OPERATIONS).replace('"maxItems": 50', '"maxItems": ' + "9" * 5000)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        GraphDDBRuntime(object(), MANIFEST, path)
    [issue] = caught.value.issues
    assert issue.rule == "LD001"
    assert issue.message.startswith("invalid JSON: Exceeds the limit")
    operations = copy.deepcopy(OPERATIONS)
    operations["transactions"]["addMembers"]["maxItems"] = 10**5000
    with pytest.raises(SpecError) as mapping:
        GraphDDBRuntime(object(), MANIFEST, operations)
    assert [(i.rule, i.message) for i in mapping.value.issues] == [
        ("LD001", "integer at /transactions/addMembers/maxItems has too many digits")
    ]


def test_a_mapping_with_a_non_string_key_is_ld001() -> None:
    manifest, operations = _docs()
    operations["queries"]["getUser"]["params"][7] = {"type": "string"}
    with pytest.raises(SpecError) as caught:
        GraphDDBRuntime(object(), manifest, operations)
    assert [(i.rule, i.message) for i in caught.value.issues] == [
        ("LD001", "not a JSON document: key 7 at /queries/getUser/params is not a string")
    ]


def test_huge_and_infinite_numbers_are_spec_errors(tmp_path: Path) -> None:
    path = tmp_path / "operations.json"
    ops = json.dumps(OPERATIONS)
    ops = ops.replace('"maxItems": 50', '"maxItems": 1e999')
    ops = ops.replace('"memberCount": "1"', '"memberCount": -1e999')
    path.write_text(ops, encoding="utf-8")
    assert _issues(MANIFEST, path) == [
        ("TX009", "operations.json", "/transactions/addMembers/items/1/add/memberCount"),
        ("TX013", "operations.json", "/transactions/addMembers/maxItems"),
    ]


def _long_templates(n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    manifest, operations = _docs()
    entity = manifest["entities"]["GroupMembershipModel"]
    entity["fields"].update({f"a{i}": {"type": "string"} for i in range(3)})
    # Always bound (params and element), and a sparse one never bound: a long late GSI. Its
    # keys stay within DynamoDB's key size limits (1000 bytes each, section 22.3).
    folds = n // 4
    entity["gsis"].append(
        {"indexName": "GSI2", "pkTemplate": "{a0}-" * folds, "skTemplate": "{a1}{a2}" * folds}
    )
    entity["gsis"].append(
        {"indexName": "GSI3", "pkTemplate": "".join(f"{{z{i}}}" for i in range(n))}
    )
    tx = operations["transactions"]["addMembers"]
    tx["params"].update({f"a{i}": {"type": "string", "required": True} for i in range(3)})
    put = tx["items"][0]
    put["item"]["note"] = "{item.role}#{groupId}" * n
    put["when"] = {"left": "{item.role}" * n, "op": "ne", "right": ""}
    return manifest, operations


def test_transactions_with_2000_fold_templates_compile_and_run() -> None:
    n = 2000
    manifest, operations = _long_templates(n)
    client = FakeDynamo()  # no tables: TransactWriteItems is recorded, never applied
    runtime = GraphDDBRuntime(client, manifest, operations)
    params = {
        "groupId": "g",
        "joinedAt": "2024-01-01T00:00:00.000Z",
        "members": [{"userId": "u1", "role": "r"}],
        "a0": "x",
        "a1": "y",
        "a2": "z",
    }
    runtime.execute_transaction("addMembers", params)
    [request] = client.requests("transact_write_items")
    item = request["TransactItems"][0]["Put"]["Item"]
    assert item["note"] == {"S": "r#g" * n}
    assert item["GSI2PK"] == {"S": "x-" * (n // 4)}
    assert item["GSI2SK"] == {"S": "yz" * (n // 4)}
    assert "GSI3PK" not in item  # never bound: the sparse index stays sparse
    # The interpreted builders (a W1 hook rebuilds every op) send the same request.
    runtime.use({"write": {"before": lambda ctx: None}})
    runtime.execute_transaction("addMembers", params)
    assert client.requests("transact_write_items")[1] == request
