"""Key derivation (docs/format.md sections 10.2, 10.3, 25.3): ``_bind.keys``, the one deriver of
commands and transaction items."""

from __future__ import annotations

from typing import Any

import pytest

from graphddb_runtime import GraphDDBRuntime, ParameterValidationError
from graphddb_runtime._bind.keys import EntityKeys, entity_keys
from graphddb_runtime.spec.plans import EntityPlan

MANIFEST: dict[str, Any] = {
    "entities": {
        "Member": {
            "table": "T",
            "key": {"pkTemplate": "GROUP#{groupId}", "skTemplate": "USER#{userId}"},
            "gsis": [
                {"indexName": "GSI1", "pkTemplate": "TEAM#{team}", "skTemplate": "{rank}"},
                {"indexName": "GSI2", "pkTemplate": "ORG#{org}#{groupId}"},
            ],
            "fields": {"groupId": {}, "userId": {}, "team": {}, "rank": {}, "org": {}},
        }
    }
}


@pytest.fixture(scope="module")
def runtime() -> GraphDDBRuntime:
    return GraphDDBRuntime(object(), MANIFEST, _spec("command"), table_mapping={"T": "t"})


@pytest.fixture(scope="module")
def keys(runtime: GraphDDBRuntime) -> EntityKeys:
    entity: EntityPlan = runtime._engine.catalog.entities["Member"]
    return entity_keys(entity)


def test_compiled_once_per_entity(runtime: GraphDDBRuntime, keys: EntityKeys) -> None:
    assert entity_keys(runtime._engine.catalog.entities["Member"]) is keys


def test_base_key_then_fully_bound_gsis_in_manifest_order(keys: EntityKeys) -> None:
    record = {"groupId": "eng", "userId": "al", "rank": 3}
    assert keys.derive(record, {"team": "x", "org": "o"}, None, "op") == [
        ("PK", "GROUP#eng"),
        ("SK", "USER#al"),
        ("GSI1PK", "TEAM#x"),
        ("GSI1SK", 3),  # a whole placeholder keeps its type
        ("GSI2PK", "ORG#o#eng"),
    ]


def test_a_gsi_is_written_whole_or_not_at_all(keys: EntityKeys) -> None:
    record = {"groupId": "eng", "userId": "al", "team": "x"}  # GSI1SK's {rank} unbound
    assert [a for a, _ in keys.derive(record, {}, None, "op")] == ["PK", "SK"]


def test_unbound_base_key_names_the_first_unbound_field(keys: EntityKeys) -> None:
    with pytest.raises(ParameterValidationError) as raised:
        keys.derive({"groupId": "eng"}, {}, None, "op")
    assert str(raised.value) == (
        "op: cannot derive key attribute 'SK' of entity 'Member': template 'USER#{userId}' "
        "references unbound field 'userId'"
    )


def test_an_unbound_gsi_is_skipped_before_anything_is_rendered(keys: EntityKeys) -> None:
    # {team} cannot be rendered as text, but GSI1 is unbound ({rank}): not an error.
    record = {"groupId": "eng", "userId": "al", "team": ["not", "text"]}
    assert [a for a, _ in keys.derive(record, {}, None, "op")] == ["PK", "SK"]


def test_environment_is_record_then_element_then_params(keys: EntityKeys) -> None:
    derived = dict(keys.derive({"groupId": "r"}, {"userId": "p"}, {"userId": "e"}, "op"))
    assert derived["SK"] == "USER#e"
    derived = dict(keys.derive({"groupId": "r", "userId": None}, {"userId": "p"}, None, "op"))
    assert derived["SK"] == "USER#p"  # None is unbound


def test_rederive_affected_gsis_with_aliases(keys: EntityKeys) -> None:
    assert keys.affected(("team",)) and not keys.affected(("userId",))
    assert keys.rederive({"org": "o2"}, {"groupId": "eng"}, None, "op") == [
        ("0pk", "GSI2PK", "ORG#o2#eng")
    ]
    assert keys.rederive({"team": "t", "rank": 1, "org": "o"}, {"groupId": "g"}, None, "op") == [
        ("0pk", "GSI1PK", "TEAM#t"),
        ("0sk", "GSI1SK", 1),
        ("1pk", "GSI2PK", "ORG#o#g"),
    ]


def test_rederive_needs_every_dependency(keys: EntityKeys) -> None:
    with pytest.raises(ParameterValidationError) as raised:
        keys.rederive({"team": "t"}, {}, None, "op")
    assert str(raised.value) == (
        "op: updating 'team' affects index 'GSI1' (also depends on 'rank'); provide it, or use "
        "read-modify-write."
    )


def _spec(kind: str) -> dict[str, Any]:
    params = {name: {"type": "string"} for name in ("groupId", "userId", "team", "org")}
    if kind == "command":
        return {
            "commands": {
                "c": {
                    "type": "PutItem",
                    "tableName": "T",
                    "entity": "Member",
                    "params": params,
                    "item": {"groupId": "{groupId}", "team": "{team}"},
                }
            }
        }
    item = {
        "type": "Put",
        "tableName": "T",
        "entity": "Member",
        "item": {"groupId": "{groupId}", "team": "{team}"},
    }
    return {"transactions": {"c": {"params": params, "items": [item]}}}


@pytest.mark.parametrize("kind", ["command", "transaction"])
def test_commands_and_transactions_raise_the_same_derivation_error(kind: str) -> None:
    class Client:
        def put_item(self, **_: Any) -> Any:
            raise AssertionError("no call expected")

        transact_write_items = put_item

    rt = GraphDDBRuntime(Client(), MANIFEST, _spec(kind), table_mapping={"T": "t"})
    run = rt.execute_command if kind == "command" else rt.execute_transaction
    with pytest.raises(ParameterValidationError) as raised:
        run("c", {"groupId": "eng", "team": "x"})
    assert str(raised.value) == (
        "c: cannot derive key attribute 'SK' of entity 'Member': template 'USER#{userId}' "
        "references unbound field 'userId'"
    )
