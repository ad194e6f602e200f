"""Construction: arguments, reading, collecting every issue, strict mode, advisories."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from graphddb_runtime import (
    ConfigurationError,
    GraphDDBRuntime,
    RuntimeLimits,
    SpecError,
    SpecIssue,
)

from ._cases import SPECS

EXAMPLE = SPECS / "example"


def _docs() -> tuple[dict[str, Any], dict[str, Any]]:
    manifest = json.loads((EXAMPLE / "manifest.json").read_text(encoding="utf-8"))
    operations = json.loads((EXAMPLE / "operations.json").read_text(encoding="utf-8"))
    return manifest, operations


def _build(manifest: Any, operations: Any, **kwargs: Any) -> GraphDDBRuntime:
    return GraphDDBRuntime(object(), manifest, operations, **kwargs)


def test_worked_example_loads_cleanly_in_strict_mode_from_paths() -> None:
    runtime = _build(EXAMPLE / "manifest.json", str(EXAMPLE / "operations.json"), strict=True)
    assert runtime.spec_issues == ()
    assert runtime.limits == RuntimeLimits()
    assert runtime.table_mapping == {}


def test_parsed_mappings_are_deep_copied() -> None:
    manifest, operations = _docs()
    mapping = {"AppTable": "app-prod"}
    runtime = _build(manifest, operations, table_mapping=mapping)
    manifest["entities"].clear()
    operations["queries"]["getUser"]["operations"][0]["projection"].append("mutated")
    mapping["AppTable"] = "other"
    plan = runtime._engine.catalog.queries["getUser"]
    assert "mutated" not in plan.operations[0].projection
    assert "UserModel" in runtime._engine.catalog.entities
    assert runtime.table_mapping == {"AppTable": "app-prod"}
    runtime.table_mapping["AppTable"] = "x"  # a copy: the runtime keeps its own
    assert runtime.table_mapping == {"AppTable": "app-prod"}


def test_independent_problems_are_all_reported_in_one_spec_error() -> None:
    manifest, operations = _docs()
    ops = operations["queries"]
    manifest["entities"]["GroupModel"]["fields"]["createdAt"]["format"] = "time"  # MF012
    manifest["entities"]["OrderModel"]["gsis"].append(
        copy.deepcopy(manifest["entities"]["OrderModel"]["gsis"][0])
    )  # MF005
    ops["getUser"]["operations"][0]["keyCondition"] = {"PK": "USER#{userID}"}  # QY007 + TP001
    ops["getGroup"]["cardinality"] = "single"  # QY002 (schema)
    ops["listGroupMembers"]["operations"][0]["entity"] = "GroupMembershipModle"  # QY012
    operations["commands"]["createUser"]["entity"] = "UserModle"  # CM003
    operations["transactions"]["addMembers"]["maxItems"] = 0  # TX013
    operations["contracts"]["GroupById"]["methods"]["get"]["operation"] = "getGrup"  # CT002
    with pytest.raises(SpecError) as caught:
        _build(manifest, operations)
    got = [(i.rule, i.file, i.pointer) for i in caught.value.issues]
    assert got == [
        ("MF012", "manifest.json", "/entities/GroupModel/fields/createdAt/format"),
        ("MF005", "manifest.json", "/entities/OrderModel/gsis/1/indexName"),
        ("CM003", "operations.json", "/commands/createUser/entity"),
        ("CT002", "operations.json", "/contracts/GroupById/methods/get/operation"),
        ("QY002", "operations.json", "/queries/getGroup/cardinality"),
        ("QY007", "operations.json", "/queries/getUser/operations/0/keyCondition"),
        ("TP001", "operations.json", "/queries/getUser/operations/0/keyCondition/PK"),
        ("QY012", "operations.json", "/queries/listGroupMembers/operations/0/entity"),
        ("TX013", "operations.json", "/transactions/addMembers/maxItems"),
    ]
    messages = {i.rule: i.message for i in caught.value.issues}
    # Unknown names name the offender and the closest valid name.
    assert "'GroupMembershipModle'" in messages["QY012"]
    assert "did you mean 'GroupMembershipModel'" in messages["QY012"]
    assert "did you mean 'UserModel'" in messages["CM003"]
    assert "did you mean 'getGroup'" in messages["CT002"]
    assert "'userID'" in messages["TP001"] and "did you mean 'userId'" in messages["TP001"]
    assert str(caught.value).splitlines()[0] == "9 problem(s) in the graphddb spec:"
    assert str(caught.value).splitlines()[2] == (
        "  [MF005] manifest.json#/entities/OrderModel/gsis/1/indexName: "
        "duplicate index 'GSI1' on entity 'OrderModel'"
    )


def test_section_43_validation_example_message() -> None:
    manifest, operations = _docs()
    flt = operations["queries"]["listGroupMembers"]["operations"][0]["filter"]["declarative"]
    flt["joinedAt"]["ge"]["$param"] = "joinedSinse"
    with pytest.raises(SpecError) as caught:
        _build(manifest, operations)
    assert str(caught.value) == (
        "1 problem(s) in the graphddb spec:\n"
        "  [TP001] operations.json#/queries/listGroupMembers/operations/0/filter/declarative/"
        "joinedAt/ge: '$param' references 'joinedSinse', which is not a declared parameter of "
        "'listGroupMembers'; did you mean 'joinedSince'?"
    )


def test_semantic_rules_skip_a_definition_with_a_shape_error() -> None:
    manifest, operations = _docs()
    query = operations["queries"]["getUser"]
    query["cardinality"] = "single"  # shape error
    query["operations"][0]["keyCondition"]["PK"] = "USER#{nope}"  # would be TP001
    operations["queries"]["getGroup"]["operations"][0]["keyCondition"]["PK"] = "GROUP#{nope}"
    with pytest.raises(SpecError) as caught:
        _build(manifest, operations)
    assert [(i.rule, i.pointer) for i in caught.value.issues] == [
        ("TP001", "/queries/getGroup/operations/0/keyCondition/PK"),
        ("QY002", "/queries/getUser/cardinality"),
    ]


def test_advisories_are_exposed_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    manifest, operations = _docs()
    # (An unsupported format, this test's advisory before, is now error MF012.)
    manifest["entities"]["GroupModel"]["ttlAttribute"] = "expires"
    with caplog.at_level(logging.WARNING, logger="graphddb_runtime"):
        runtime = _build(manifest, operations)
    assert [i.rule for i in runtime.spec_issues] == ["MF013"]
    assert runtime.spec_issues[0].severity == "advisory"
    assert [r.getMessage() for r in caplog.records] == [
        "graphddb spec advisory: [MF013] manifest.json#/entities/GroupModel/ttlAttribute: "
        "ttlAttribute 'expires' is not a field of 'GroupModel'"
    ]
    with pytest.raises(SpecError) as caught:
        _build(manifest, operations, strict=True)
    assert [i.rule for i in caught.value.issues] == ["MF013"]


def test_unknown_fields_are_errors_unless_unknown_fields_warn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    manifest, operations = _docs()
    operations["queries"]["getUser"]["sortOrder"] = "asc"
    operations["commands"]["setOrderStatus"]["conditon"] = {"kind": "notExists"}
    with pytest.raises(SpecError) as caught:
        _build(manifest, operations)
    assert [(i.rule, i.pointer, i.severity) for i in caught.value.issues] == [
        ("LD003", "/commands/setOrderStatus/conditon", "error"),
        ("LD003", "/queries/getUser/sortOrder", "error"),
    ]
    assert caught.value.issues[0].message == ("unknown field 'conditon'; did you mean 'condition'?")
    with caplog.at_level(logging.WARNING, logger="graphddb_runtime"):
        runtime = _build(manifest, operations, unknown_fields="warn")
    assert [(i.rule, i.severity) for i in runtime.spec_issues] == [
        ("LD003", "advisory"),
        ("LD003", "advisory"),
    ]
    assert [r.getMessage() for r in caplog.records] == [
        f"graphddb spec advisory: {i}" for i in runtime.spec_issues
    ]
    # strict=True fails on advisories, so strict + warn still fails on unknown fields.
    with pytest.raises(SpecError) as strict:
        _build(manifest, operations, strict=True, unknown_fields="warn")
    assert [(i.rule, i.severity) for i in strict.value.issues] == [
        ("LD003", "advisory"),
        ("LD003", "advisory"),
    ]


@pytest.mark.parametrize("value", ["ignore", "ERROR", None, True, 1])
def test_unknown_fields_takes_error_or_warn(value: Any) -> None:
    manifest, operations = _docs()
    with pytest.raises(ConfigurationError, match="unknown_fields must be 'error' or 'warn'"):
        _build(manifest, operations, unknown_fields=value)


def test_later_format_fields_fail_even_with_unknown_fields_warn() -> None:
    manifest, operations = _docs()
    operations["queries"]["getUser"]["operations"][0]["sourceList"] = {"from": "tagRefs"}
    with pytest.raises(SpecError) as caught:
        _build(manifest, operations, unknown_fields="warn")
    assert [(i.rule, i.severity, i.message) for i in caught.value.issues] == [
        (
            "LD003",
            "error",
            "'sourceList' is a format 1.1 field that this runtime does not support",
        ),
        (
            "VR002",
            "advisory",
            "'sourceList' is a format 1.1 field, newer than this unversioned (0.5.x) document",
        ),
    ]


def test_unreadable_and_non_object_documents(tmp_path: Path) -> None:
    bad_json = tmp_path / "manifest.json"
    bad_json.write_text("{", encoding="utf-8")
    array = tmp_path / "ops.json"
    array.write_text("[1]", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        _build(bad_json, array)
    assert [(i.rule, i.file, i.pointer) for i in caught.value.issues] == [
        ("LD001", "manifest.json", ""),
        ("LD002", "ops.json", ""),
    ]
    assert caught.value.issues[0].message.startswith("invalid JSON: ")
    assert caught.value.issues[1].message == "top-level value must be an object, got array"
    with pytest.raises(SpecError) as missing:
        _build(tmp_path / "nope.json", {})
    assert missing.value.issues[0].rule == "LD001"
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"a": "\xe9"}')
    with pytest.raises(SpecError) as undecodable:
        _build(latin, {})
    assert undecodable.value.issues[0].rule == "LD001"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"table_mapping": {"A": 1}}, "table_mapping"),
        ({"table_mapping": ["A"]}, "table_mapping"),
        ({"limits": {"max_items": 5}}, "limits"),
        ({"cursor_secret": ""}, "cursor_secret"),
        ({"cursor_secret": 5}, "cursor_secret"),
        ({"sleep": 1.0}, "sleep"),
    ],
)
def test_bad_constructor_arguments_raise_configuration_error(
    kwargs: dict[str, Any], fragment: str
) -> None:
    manifest, operations = _docs()
    with pytest.raises(ConfigurationError, match=fragment):
        _build(manifest, operations, **kwargs)


def test_spec_argument_of_the_wrong_type_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="manifest_path"):
        _build(42, {})


def test_spec_issue_is_frozen() -> None:
    issue = SpecIssue("manifest.json", "", "m", "LD001", "error")
    with pytest.raises(AttributeError):
        issue.rule = "x"  # type: ignore[misc]


def test_manifest_issues_come_first_whatever_the_file_names(tmp_path: Path) -> None:
    manifest, operations = _docs()
    manifest["entities"]["GroupModel"]["fields"]["createdAt"]["format"] = "time"  # MF012
    operations["transactions"]["addMembers"]["maxItems"] = 0  # TX013
    m, o = tmp_path / "zz-manifest.json", tmp_path / "aa-ops.json"
    m.write_text(json.dumps(manifest), encoding="utf-8")
    o.write_text(json.dumps(operations), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        _build(m, o)
    assert [(i.file, i.rule) for i in caught.value.issues] == [
        ("zz-manifest.json", "MF012"),
        ("aa-ops.json", "TX013"),
    ]
