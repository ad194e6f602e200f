"""Every validation case under tests/cases: exact issues, rule ids and pointers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from graphddb_runtime import GraphDDBRuntime, SpecError, SpecIssue
from graphddb_runtime.spec import RULE_IDS

from ._cases import CASES, Case, all_cases

CASE_LIST = all_cases()


def _issues(case: Case, tmp_path: Path) -> tuple[SpecIssue, ...]:
    manifest, operations = case.write(tmp_path)
    try:
        runtime = GraphDDBRuntime(
            object(),
            manifest,
            operations,
            strict=case.strict,
            unknown_fields=case.unknown_fields,
        )
    except SpecError as exc:
        return exc.issues
    return runtime.spec_issues


def _resolves(document: Any, pointer: str) -> bool:
    node = document
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


def _key(issue: dict[str, Any] | SpecIssue) -> tuple[str, str, str, str]:
    if isinstance(issue, SpecIssue):
        return (issue.rule, issue.file, issue.pointer, issue.severity)
    return (issue["rule"], issue["file"], issue["pointer"], issue["severity"])


@pytest.mark.parametrize("case", CASE_LIST, ids=[c.id for c in CASE_LIST])
def test_case(case: Case, tmp_path: Path) -> None:
    issues = _issues(case, tmp_path)
    got = Counter(_key(i) for i in issues)
    want = Counter(_key(e) for e in case.expected)
    assert got == want, "\n".join(str(i) for i in issues) or "no issues"
    documents = case.documents()
    for issue in issues:
        document = documents["manifest" if issue.file == "manifest.json" else "operations"]
        if document is not None:
            assert _resolves(document, issue.pointer), f"pointer does not resolve: {issue}"
    for expected in case.expected:
        for fragment in expected.get("message", []):
            matching = [i for i in issues if _key(i) == _key(expected)]
            assert any(fragment in i.message for i in matching), (fragment, matching)


def test_every_section_42_rule_has_a_case_folder() -> None:
    missing = [rule for rule in RULE_IDS if not any((CASES / rule).glob("*.json"))]
    assert not missing, f"rules without a case: {missing}"


def test_every_case_folder_is_a_known_rule_and_its_cases_expect_it() -> None:
    for case in CASE_LIST:
        rule = case.path.parent.name
        assert rule in RULE_IDS or rule == "valid", case.id
        if rule != "valid":
            assert any(e["rule"] == rule for e in case.expected), f"{case.id} never expects {rule}"
