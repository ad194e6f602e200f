"""Loading: read both documents, check shapes and rules, build immutable plans (section 2).

``load_spec`` is the whole construct-time pipeline::

    read JSON -> shape check -> semantic rules -> SpecError(all issues) or Catalog
"""

from __future__ import annotations

from typing import Any

from .._dataclass import dataclass
from ..errors import SpecError, SpecIssue, sort_issues
from ._build import build_catalog
from ._context import Context
from ._read import read_document
from ._shape import conforms, schema_issues
from .plans import Catalog
from .rules import RULE_IDS, RULES, SCHEMA_RULES

__all__ = ["RULE_IDS", "SCHEMA_RULES", "LoadedSpec", "check_spec", "load_spec"]


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    catalog: Catalog
    issues: tuple[SpecIssue, ...]  # advisories only (errors raise)


def check_spec(
    manifest: Any, operations: Any, *, strict: bool = False, full_schema: bool = False
) -> tuple[tuple[SpecIssue, ...], Context | None]:
    """Every issue of the two documents, and the context when both could be read.

    With ``strict=True`` (or ``full_schema=True``) the jsonschema validator always runs;
    otherwise it runs only when the fast shape check finds a problem, which gives the same
    issues (tests prove the two checks reject the same specs). Unknown fields are reported
    only under ``strict=True``.
    """
    m = read_document(manifest, "manifest.json", "manifest_path")
    o = read_document(operations, "operations.json", "operations_path")
    if m.data is None or o.data is None:
        return sort_issues((*m.issues, *o.issues), m.file), None
    shape: list[SpecIssue] = []
    for name, doc in (("manifest", m), ("operations", o)):
        if strict or full_schema or not conforms(name, doc.data):
            shape.extend(schema_issues(name, doc.data, doc.file))
    ctx = Context(m.data, o.data, m.file, o.file, shape)
    issues = list(shape)
    for rule in RULES:
        if strict or not rule.strict_only:
            issues.extend(rule.check(ctx))
    return sort_issues(issues, m.file), ctx


def load_spec(manifest: Any, operations: Any, *, strict: bool = False) -> LoadedSpec:
    """Validate both documents and build the catalog, or raise one :class:`SpecError`."""
    issues, ctx = check_spec(manifest, operations, strict=strict)
    if ctx is None or any(strict or i.severity == "error" for i in issues):
        raise SpecError(issues)
    return LoadedSpec(build_catalog(ctx), issues)
