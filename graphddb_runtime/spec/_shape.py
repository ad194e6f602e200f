"""Shape validation against the shipped JSON Schemas (docs/format.md section 2.2).

Two checkers share one source of truth, the schema files in ``graphddb_runtime/schemas``:

* :func:`conforms` runs predicates generated from the schema files into Python source
  (``_schema_checks.py``, kept fresh by a test). It answers yes or no and is fast enough for a
  Lambda cold start.
* :func:`schema_issues` runs ``jsonschema``'s ``Draft202012Validator`` and turns every error into a
  :class:`SpecIssue` (rule id from the innermost ``x-rule``, pointer from the instance path).

The loader calls :func:`schema_issues` only when :func:`conforms` says no, or under
``strict=True``; the test suite proves both reject exactly the same corpus of specs.
The generator (``_fastcheck.py``) supports the keywords our schemas use and refuses any other,
so a schema edit cannot silently weaken the fast path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

from ..errors import SpecIssue
from . import _schema_checks

__all__ = ["conforms", "escape", "load_schema", "pointer", "schema_issues"]

JSON = Any


@cache
def load_schema(name: str) -> Mapping[str, Any]:
    """The parsed schema ``name`` (``"manifest"`` or ``"operations"``) from package data."""
    text = (
        resources.files("graphddb_runtime")
        .joinpath(f"schemas/{name}.schema.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def escape(token: Any) -> str:
    text = str(token)
    if "~" in text or "/" in text:
        return text.replace("~", "~0").replace("/", "~1")
    return text


def pointer(path: Iterator[Any] | tuple[Any, ...] | list[Any]) -> str:
    """RFC 6901 pointer for a sequence of keys and indices."""
    return "".join(["/" + escape(token) for token in path])


# --- the fast checker -----------------------------------------------------------------------


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "manifest": _schema_checks.manifest,
    "operations": _schema_checks.operations,
}


def conforms(name: str, document: JSON) -> bool:
    """True when ``document`` satisfies schema ``name``; the cold-start fast path."""
    return _CHECKS[name](document)


# --- the reporting checker ------------------------------------------------------------------


@cache
def _validator(name: str) -> Any:
    # Imported lazily: jsonschema costs tens of milliseconds to import, and the cold-start
    # path only needs it when the fast check fails or under strict=True.
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    return Draft202012Validator(load_schema(name))


def _rule_for(schema: Mapping[str, Any], schema_path: list[Any]) -> str:
    """The ``x-rule`` of the innermost subschema on ``schema_path`` (``$ref`` resolved)."""
    root = schema
    node: Any = schema
    rule = node.get("x-rule", "LD004")
    for token in schema_path:
        while isinstance(node, dict) and token not in node and "$ref" in node:
            node = _deref(root, node["$ref"])
            rule = node.get("x-rule", rule)
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list) and isinstance(token, int) and token < len(node):
            node = node[token]
        else:
            break
        if isinstance(node, dict):
            rule = node.get("x-rule", rule)
    return rule if isinstance(rule, str) else "LD004"


def _deref(root: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    target: Mapping[str, Any] = root["$defs"][ref[len("#/$defs/") :]]
    return target


def schema_issues(name: str, document: JSON, file: str) -> list[SpecIssue]:
    """Every schema violation of ``document`` as an error issue."""
    schema = load_schema(name)
    issues = []
    for error in _validator(name).iter_errors(document):
        issues.append(
            SpecIssue(
                file=file,
                pointer=pointer(list(error.absolute_path)),
                message=error.message,
                rule=_rule_for(schema, list(error.absolute_schema_path)),
                severity="error",
            )
        )
    return issues
