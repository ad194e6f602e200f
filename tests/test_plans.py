"""Plans derived once at load (section 2.6), checked against the facts of section 43.2."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from graphddb_runtime import (
    CommandNotFoundError,
    GraphDDBRuntime,
    QueryNotFoundError,
    TransactionNotFoundError,
)
from graphddb_runtime._values.templates import parse_template
from graphddb_runtime.spec.catalog import get_command, get_query, get_transaction
from graphddb_runtime.spec.plans import Catalog, Literal, ParamRef

from ._cases import SPECS


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    runtime = GraphDDBRuntime(
        object(), SPECS / "example" / "manifest.json", SPECS / "example" / "operations.json"
    )
    return runtime._engine.catalog


def test_table_key_schema(catalog: Catalog) -> None:
    table = catalog.tables["AppTable"]
    assert table.key_attributes == ("PK", "SK")
    assert dict(table.indexes) == {"GSI1": ("GSI1PK", "GSI1SK")}


def test_inferred_entities(catalog: Catalog) -> None:
    entities = {qid: [op.entity for op in q.operations] for qid, q in catalog.queries.items()}
    assert entities == {
        "getUser": ["UserModel"],
        "getUserByEmail": ["UserModel"],
        "listGroupMembers": ["GroupMembershipModel"],
        "listUserGroups": ["GroupMembershipModel"],
        "getUserAccess": ["UserModel", "GroupMembershipModel", "GroupModel", "PermissionModel"],
        "getGroup": ["GroupModel"],
    }


def test_relation_facts_of_get_user_access(catalog: Catalog) -> None:
    query = catalog.queries["getUserAccess"]
    assert query.depth == 2
    assert [op.producer for op in query.operations] == [None, 0, 1, 1]
    assert [op.relation_path for op in query.operations] == [
        (),
        ("groups",),
        ("groups", "group"),
        ("groups", "permissions"),
    ]
    assert [op.continuation for op in query.operations] == [None, "listUserGroups", None, None]
    assert query.stages == ((1,), (2, 3))
    assert query.concurrency == 8
    assert query.explain_groups == ((0,), (1,), (2, 3))
    assert query.indexed_ops == ((1, "GSI1"),)
    assert query.max_static_limit == 20
    groups, group, permissions = query.operations[1:]
    assert (groups.property, groups.connection, groups.parent_tokens) == ("groups", True, ())
    assert (group.property, group.connection) == ("group", False)
    assert group.parent_tokens == ("groups", "items")
    assert permissions.result_fields == ("groupId",)


def test_static_request_text(catalog: Catalog) -> None:
    access = catalog.queries["getUserAccess"].operations
    assert access[1].key_condition_expression == "#k0 = :k0 AND begins_with(#kr, :kr)"
    assert access[1].key_names == (("#k0", "GSI1PK"), ("#kr", "GSI1SK"))
    assert access[1].cursor_attributes == ("GSI1PK", "GSI1SK", "PK", "SK")
    assert access[1].partition_attribute == "GSI1PK"
    assert access[2].projection_expression == "#p0, #p1, #p2, #p3"
    assert access[2].projection_names == (
        ("#p0", "groupId"),
        ("#p1", "name"),
        ("#p2", "PK"),
        ("#p3", "SK"),
    )
    assert access[3].filter is not None
    assert access[3].filter.text == "attribute_exists(#f0)"
    members = catalog.queries["listGroupMembers"].operations[0]
    assert members.filter is not None
    assert members.filter.text == "#f0 IN (:vf0, :vf1) AND #f1 >= :vf2"
    assert members.filter.values[2] == (":vf2", ParamRef(name="joinedSince"))
    assert dict(members.formats) == {"joinedAt": "datetime"}
    assert members.cursor_attributes == ("PK", "SK")


def test_templates_are_parsed_once(catalog: Catalog) -> None:
    key = dict(catalog.queries["getUser"].operations[0].key)
    assert key["PK"] is parse_template("USER#{userId}")
    assert key["PK"].names == ("userId",) and not key["PK"].whole
    assert key["SK"].is_literal


def test_write_plans(catalog: Catalog) -> None:
    place = catalog.commands["placeOrder"]
    assert [name for name, _ in place.item] == [
        "orderId",
        "tenantId",
        "userId",
        "status",
        "total",
        "createdAt",
    ]
    assert dict(place.item)["total"].whole
    raise_total = catalog.commands["raiseOrderTotal"]
    assert raise_total.condition is not None
    assert raise_total.condition.expression == "(#f0 <> :vf0 AND #f1 < :vf1)"
    assert raise_total.condition.values == (
        (":vf0", Literal(value="CANCELLED")),
        (":vf1", ParamRef(name="total")),
    )
    order = catalog.entities["OrderModel"]
    assert order.gsis[0].dependencies == ("tenantId", "status", "orderId")
    assert dict(order.formats) == {"createdAt": "datetime"}
    add = catalog.transactions["addMembers"]
    assert add.max_items == 50
    assert [(i.type, i.for_each) for i in add.items] == [("Put", "members"), ("Update", "members")]
    assert add.items[0].when is not None and add.items[0].when.op == "ne"
    assert add.items[1].add[0][0] == "memberCount"
    method = catalog.contracts["GroupById"].methods["get"]
    assert (method.operation, method.resolution, method.input_arity) == (
        "getGroup",
        "point",
        "either",
    )


def test_plans_and_catalog_are_immutable(catalog: Catalog) -> None:
    query = catalog.queries["getUser"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        catalog.queries["x"] = query  # type: ignore[index]
    spec: Any = catalog.queries["listGroupMembers"].operations[0].filter_spec
    with pytest.raises(TypeError):
        spec["declarative"] = {}
    assert isinstance(query.operations[0].projection, tuple)


def test_unknown_names_suggest_the_closest(catalog: Catalog) -> None:
    with pytest.raises(QueryNotFoundError, match=r"unknown query 'getUsr'; did you mean 'getUser'"):
        get_query(catalog, "getUsr")
    with pytest.raises(QueryNotFoundError, match=r"^unknown query 'zzz'$"):
        get_query(catalog, "zzz")
    with pytest.raises(CommandNotFoundError, match="did you mean 'createUser'"):
        get_command(catalog, "createUsr")
    with pytest.raises(TransactionNotFoundError, match="did you mean 'addMembers'"):
        get_transaction(catalog, "addMember")
    assert get_query(catalog, "getUser").id == "getUser"
