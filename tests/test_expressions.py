"""Filter and condition rendering: the exact outputs of docs/format.md sections 7.6, 8.5 and 11."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graphddb_runtime.spec._expressions import (
    compile_condition,
    compile_tree,
    key_condition_text,
    range_clause,
    wrap,
)
from graphddb_runtime.spec.plans import Literal, ParamRef

# (tree, expression, names) from the table of section 8.5
SECTION_8_5 = [
    ('{"role":"admin"}', "#f0 = :vf0", {"#f0": "role"}),
    ('{"or":[{"role":"admin"},{"role":"viewer"}]}', "(#f0 = :vf0 OR #f0 = :vf1)", {"#f0": "role"}),
    ('{"a":1,"b":"x"}', "#f0 = :vf0 AND #f1 = :vf1", {"#f0": "a", "#f1": "b"}),
    ('{"a":{"ge":1,"lt":5}}', "#f0 >= :vf0 AND #f0 < :vf1", {"#f0": "a"}),
    (
        '{"a":{"between":[1,5]},"or":[{"b":"x"},{"c":{"beginsWith":"p"}}]}',
        "(#f0 BETWEEN :vf0 AND :vf1) AND (#f1 = :vf2 OR begins_with(#f2, :vf3))",
        {"#f0": "a", "#f1": "b", "#f2": "c"},
    ),
    ('{"not":{"a":"x","b":"y"}}', "NOT (#f0 = :vf0 AND #f1 = :vf1)", {"#f0": "a", "#f1": "b"}),
    (
        '{"and":[{"or":[{"a":1},{"b":2}]},{"c":3}]}',
        "((#f0 = :vf0 OR #f1 = :vf1) AND #f2 = :vf2)",
        {"#f0": "a", "#f1": "b", "#f2": "c"},
    ),
    ('{"role":{"attributeExists":false}}', "attribute_not_exists(#f0)", {"#f0": "role"}),
    (
        '{"resource":{"beginsWith":"code"},"action":{"in":["read","write"]}}',
        "begins_with(#f0, :vf0) AND #f1 IN (:vf1, :vf2)",
        {"#f0": "resource", "#f1": "action"},
    ),
    (
        '{"and":[{"role":{"in":[{"$param":"role_0"},{"$param":"role_1"}]}},'
        '{"role":{"beginsWith":{"$param":"role"}}}]}',
        "(#f0 IN (:vf0, :vf1) AND begins_with(#f0, :vf2))",
        {"#f0": "role"},
    ),
    ('{"version":{"gt":{"$param":"minVersion"}}}', "#f0 > :vf0", {"#f0": "version"}),
    ('{"a":{"ge":1,"lt":5},"b":2}', "(#f0 >= :vf0 AND #f0 < :vf1) AND #f1 = :vf2", None),
]


@pytest.mark.parametrize(("tree", "expression", "names"), SECTION_8_5)
def test_section_8_5_examples(tree: str, expression: str, names: dict[str, str] | None) -> None:
    plan = compile_tree(json.loads(tree))
    assert plan is not None
    assert plan.text == expression
    if names is not None:
        assert dict(plan.names) == names


def test_operands_are_literals_or_param_markers_in_traversal_order() -> None:
    plan = compile_tree(
        {"a": {"between": [1, {"$param": "hi"}]}, "b": {"in": ["x", "y"]}, "c": [1, 2]}
    )
    assert plan is not None
    assert plan.values == (
        (":vf0", Literal(value=1)),
        (":vf1", ParamRef(name="hi")),
        (":vf2", Literal(value="x")),
        (":vf3", Literal(value="y")),
        (":vf4", Literal(value=(1, 2))),
    )


@pytest.mark.parametrize(
    ("tree", "expression"),
    [
        ({"a": {"ne": 1}}, "#f0 <> :vf0"),
        ({"a": {"le": 1}}, "#f0 <= :vf0"),
        ({"a": {"contains": "x"}}, "contains(#f0, :vf0)"),
        ({"a": {"notContains": "x"}}, "NOT contains(#f0, :vf0)"),
        ({"a": {"attributeExists": True}}, "attribute_exists(#f0)"),
        ({"a": {"attributeType": "S"}}, "attribute_type(#f0, :vf0)"),
        ({"a": {"size": 3}}, "size(#f0) = :vf0"),
        ({"a": {"eq": 1, "x": 2}}, "#f0 = :vf0"),  # mixed keys: a literal map
        ({"a": {}}, "#f0 = :vf0"),  # empty object: a literal map
        ({"a": None, "b": 1}, "#f0 = :vf0"),  # null entries are skipped
        ({"not": {"a": 1}}, "NOT #f0 = :vf0"),
        ({"and": [{"a": None}, {"b": 1}]}, "#f0 = :vf0"),
    ],
)
def test_operators_and_edge_shapes(tree: dict[str, Any], expression: str) -> None:
    plan = compile_tree(tree)
    assert plan is not None and plan.text == expression


@pytest.mark.parametrize("tree", [{}, {"a": None}, {"and": []}, {"or": [{}, {"x": None}]}])
def test_empty_trees_compile_to_nothing(tree: dict[str, Any]) -> None:
    assert compile_tree(tree) is None


def test_wrap() -> None:
    assert wrap("(a) AND (b)") == "((a) AND (b))"
    assert wrap("(a AND b)") == "(a AND b)"
    assert wrap("a") == "a"


def test_conditions_of_section_11() -> None:
    plan = compile_condition({"kind": "notExists"})
    assert plan is not None
    assert (plan.expression, plan.names) == ("attribute_not_exists(#pk)", (("#pk", "PK"),))
    plan = compile_condition({"kind": "attributeExists", "field": "PK"})
    assert plan is not None
    assert (plan.expression, plan.names) == ("attribute_exists(#ce)", (("#ce", "PK"),))
    plan = compile_condition({"kind": "attributeNotExists", "field": "role"})
    assert plan is not None and plan.expression == "attribute_not_exists(#ce)"
    plan = compile_condition({"kind": "equals", "fields": {"status": "{s}", "version": 3}})
    assert plan is not None
    assert plan.expression == "#e0 = :e0 AND #e1 = :e1"
    assert plan.names == (("#e0", "status"), ("#e1", "version"))
    assert [alias for alias, _ in plan.values] == [":e0", ":e1"]
    plan = compile_condition(
        {"kind": "expr", "declarative": {"version": {"gt": {"$param": "minVersion"}}}}
    )
    assert plan is not None
    assert plan.expression == "#f0 > :vf0"
    assert plan.values == ((":vf0", ParamRef(name="minVersion")),)
    plan = compile_condition(
        {
            "kind": "raw",
            "expression": "#cr_role <> :cr0 AND attribute_exists(#cr_role)",
            "names": {"#cr_role": "role"},
            "values": {":cr0": "banned"},
        }
    )
    assert plan is not None
    assert plan.expression == "#cr_role <> :cr0 AND attribute_exists(#cr_role)"
    assert plan.names == (("#cr_role", "role"),)
    assert plan.values == ((":cr0", Literal(value="banned")),)
    assert compile_condition({"kind": "expr", "declarative": {}}) is None


def test_key_condition_text_of_section_7_6() -> None:
    assert key_condition_text(["PK", "SK"], None) == "#k0 = :k0 AND #k1 = :k1"
    assert key_condition_text(["PK"], "begins_with") == "#k0 = :k0 AND begins_with(#kr, :kr)"
    assert key_condition_text(["PK"], "between") == "#k0 = :k0 AND #kr BETWEEN :kr0 AND :kr1"
    assert range_clause("<=") == ("#kr <= :kr", (":kr",))
    assert range_clause("between") == ("#kr BETWEEN :kr0 AND :kr1", (":kr0", ":kr1"))
