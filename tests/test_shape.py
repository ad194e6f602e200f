"""The fast shape check and the jsonschema report reject exactly the same specs.

The constructor runs only the fast check on the cold-start path, and the jsonschema validator when
that check fails (or under strict=True). These tests prove the two agree on a large corpus: every
case spec, plus every single-node mutation of the worked example.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from graphddb_runtime.spec import _schema_checks
from graphddb_runtime.spec._fastcheck import compile_schema, generate_module
from graphddb_runtime.spec._shape import conforms, load_schema, schema_issues

from ._cases import SPECS, all_cases

WRONG_VALUES: tuple[Any, ...] = (None, 7, 1.5, "x", "", [], [1], {}, {"a": 1}, True)


def _example(name: str) -> Any:
    return json.loads((SPECS / "example" / f"{name}.json").read_text(encoding="utf-8"))


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _mutations(doc: Any) -> Iterator[Any]:
    """Every path replaced by every wrong value, and every object member removed."""
    for path in _paths(doc):
        if not path:
            continue
        for wrong in WRONG_VALUES:
            mutated = copy.deepcopy(doc)
            parent = mutated
            for token in path[:-1]:
                parent = parent[token]
            parent[path[-1]] = copy.deepcopy(wrong)
            yield mutated
        if isinstance(path[-1], str):
            mutated = copy.deepcopy(doc)
            parent = mutated
            for token in path[:-1]:
                parent = parent[token]
            del parent[path[-1]]
            yield mutated


def _agree(name: str, doc: Any) -> None:
    fast = conforms(name, doc)
    report = schema_issues(name, doc, f"{name}.json")
    assert fast == (not report), (fast, [str(i) for i in report])


@pytest.mark.parametrize("name", ["manifest", "operations"])
def test_checkers_agree_on_every_mutation_of_the_example(name: str) -> None:
    doc = _example(name)
    count = 0
    rejected = 0
    for mutated in _mutations(doc):
        _agree(name, mutated)
        count += 1
        rejected += not conforms(name, mutated)
    # The corpus really exercises both outcomes.
    assert count > 500 and 0 < rejected < count


def test_checkers_agree_on_every_case_spec() -> None:
    checked = 0
    for case in all_cases():
        docs = case.documents()
        for name in ("manifest", "operations"):
            if isinstance(docs[name], dict):
                _agree(name, docs[name])
                checked += 1
    assert checked > 100


@pytest.mark.parametrize("name", ["manifest", "operations"])
def test_schemas_are_valid_draft_2020_12_and_shipped_as_package_data(name: str) -> None:
    path = resources.files("graphddb_runtime").joinpath(f"schemas/{name}.schema.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert load_schema(name) == schema


def test_generated_checks_module_is_fresh() -> None:
    """_schema_checks.py must be regenerated after a schema edit."""
    expected = generate_module({n: load_schema(n) for n in ("manifest", "operations")})
    path = Path(_schema_checks.__file__)
    assert path.read_text(encoding="utf-8") == expected, (
        "stale: run `python -m graphddb_runtime.spec._fastcheck`"
    )


def test_compiler_refuses_keywords_it_does_not_implement() -> None:
    with pytest.raises(ValueError, match="pattern"):
        compile_schema({"type": "string", "pattern": "^a"})
    with pytest.raises(ValueError, match="uuid"):
        compile_schema({"type": "uuid"})


@pytest.mark.parametrize(
    ("doc", "rule", "pointer"),
    [
        ({"entities": {"U": {"key": {"pkTemplate": "U#{id}"}}}}, "MF002", "/entities/U"),
        ({"entities": {"U": {"table": ""}}}, "MF002", "/entities/U/table"),
        ({"entities": {"U": []}}, "MF001", "/entities/U"),
        ({"entities": []}, "MF001", "/entities"),
        ({"entities": {"U": {"table": "T", "key": {}}}}, "MF003", "/entities/U/key"),
        ({"entities": {"U": {"table": "T", "gsis": [{}]}}}, "MF004", "/entities/U/gsis/0"),
        ({"entities": {"U": {"table": "T", "fields": {"a": 1}}}}, "MF006", "/entities/U/fields/a"),
        (
            {"entities": {"U": {"table": "T", "physicalName": 3}}},
            "LD004",
            "/entities/U/physicalName",
        ),
    ],
)
def test_manifest_schema_errors_carry_the_innermost_rule(doc: Any, rule: str, pointer: str) -> None:
    issues = schema_issues("manifest", doc, "manifest.json")
    assert [(i.rule, i.pointer) for i in issues] == [(rule, pointer)]


@pytest.mark.parametrize(
    ("doc", "rule", "pointer"),
    [
        ({"queries": {"q": {}}}, "QY001", "/queries/q"),
        ({"queries": {"q": {"operations": []}}}, "QY001", "/queries/q/operations"),
        (
            {"queries": {"q": {"operations": [{}], "cardinality": "x"}}},
            "QY002",
            "/queries/q/cardinality",
        ),
        (
            {"queries": {"q": {"operations": [{}], "params": {"p": {"required": "yes"}}}}},
            "PA005",
            "/queries/q/params/p/required",
        ),
        (
            {"queries": {"q": {"operations": [{}], "params": {"p": {"type": 5}}}}},
            "LD004",
            "/queries/q/params/p/type",
        ),
        (
            {"queries": {"q": {"operations": [{}], "params": {"p": 5}}}},
            "PA001",
            "/queries/q/params/p",
        ),
        (
            {"queries": {"q": {"operations": [{}], "params": {"p": {"element": 1}}}}},
            "PA004",
            "/queries/q/params/p/element",
        ),
        (
            {"queries": {"q": {"operations": [{}], "executionPlan": {"groups": [["a"]]}}}},
            "EP001",
            "/queries/q/executionPlan/groups/0/0",
        ),
        ({"commands": {"c": {"tableName": "T"}}}, "CM001", "/commands/c"),
        ({"commands": {"c": {"type": "Put", "tableName": "T"}}}, "CM001", "/commands/c/type"),
        ({"commands": {"c": {"type": "PutItem"}}}, "CM002", "/commands/c"),
        (
            {"commands": {"c": {"type": "PutItem", "tableName": "T", "condition": {"kind": "x"}}}},
            "CD001",
            "/commands/c/condition/kind",
        ),
        ({"transactions": {"t": {}}}, "TX001", "/transactions/t"),
        (
            {"transactions": {"t": {"items": [{"type": "Nope", "tableName": "T"}]}}},
            "TX002",
            "/transactions/t/items/0/type",
        ),
        ({"contracts": {"C": {"kind": "x", "methods": {}}}}, "CT001", "/contracts/C/kind"),
        (
            {"contracts": {"C": {"kind": "query", "methods": {"m": {"resolution": "all"}}}}},
            "CT004",
            "/contracts/C/methods/m/resolution",
        ),
    ],
)
def test_operations_schema_errors_carry_the_innermost_rule(
    doc: Any, rule: str, pointer: str
) -> None:
    issues = schema_issues("operations", doc, "operations.json")
    assert [(i.rule, i.pointer) for i in issues] == [(rule, pointer)]
    assert not conforms("operations", doc)
