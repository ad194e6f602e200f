"""Loading: read both documents, check shapes and rules, build immutable plans (section 2).

``load_spec`` is the whole construct-time pipeline::

    read JSON -> gates (version, empty/swapped) -> shape check -> semantic rules
              -> SpecError(all issues) or Catalog
"""

from __future__ import annotations

from typing import Any

from .._dataclass import dataclass
from .._suggest import received
from ..errors import ConfigurationError, SpecError, SpecIssue, sort_issues
from ._build import build_catalog
from ._context import Context
from ._gate import SPEC_VERSION_SUPPORTED, gate_issues
from ._read import read_document
from ._shape import conforms, schema_issues
from .plans import Catalog
from .rules import RULE_IDS, RULES, SCHEMA_RULES

__all__ = [
    "RULE_IDS",
    "SCHEMA_RULES",
    "SPEC_VERSION_SUPPORTED",
    "UNKNOWN_FIELDS",
    "LoadedSpec",
    "check_spec",
    "check_unknown_fields",
    "load_spec",
]

#: The values of ``unknown_fields=``: an unknown field (LD003) is an error, or an advisory.
UNKNOWN_FIELDS = ("error", "warn")


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    catalog: Catalog
    issues: tuple[SpecIssue, ...]  # advisories only (errors raise)


def check_unknown_fields(value: object) -> str:
    """``unknown_fields=`` as given, or ConfigurationError."""
    if not (isinstance(value, str) and value in UNKNOWN_FIELDS):
        raise ConfigurationError(f"unknown_fields must be 'error' or 'warn', {received(value)}")
    return value


def _too_deep(file: str) -> tuple[SpecIssue, ...]:
    message = "the documents nest too deeply to be processed"
    return (SpecIssue(file, "", message, "LD001", "error"),)


def check_spec(
    manifest: Any,
    operations: Any,
    *,
    strict: bool = False,
    full_schema: bool = False,
    unknown_fields: str = "error",
    manifest_only: bool = False,
) -> tuple[tuple[SpecIssue, ...], Context | None]:
    """Every issue of the two documents, and the context when both could be read.

    With ``strict=True`` (or ``full_schema=True``) the jsonschema validator always runs;
    otherwise it runs only when the fast shape check finds a problem, which gives the same
    issues (tests prove the two checks reject the same specs). The context is ``None`` when a
    document could not be read or a gate (version, empty or swapped documents) failed: then
    the issues are those of the read or the gate only. ``manifest_only`` accepts an
    operations document without operations (a manifest loaded on its own).
    """
    check_unknown_fields(unknown_fields)
    m = read_document(manifest, "manifest.json", "manifest_path")
    o = read_document(operations, "operations.json", "operations_path")
    if m.data is None or o.data is None:
        return sort_issues((*m.issues, *o.issues), m.file), None
    gated = gate_issues(m.data, o.data, (m.file, o.file), manifest_only=manifest_only)
    if gated:
        return sort_issues(gated, m.file), None
    try:
        shape: list[SpecIssue] = []
        for name, doc in (("manifest", m), ("operations", o)):
            if strict or full_schema or not conforms(name, doc.data):
                shape.extend(schema_issues(name, doc.data, doc.file))
        ctx = Context(m.data, o.data, m.file, o.file, shape, unknown_fields=unknown_fields)
        issues = list(shape)
        for rule in RULES:
            issues.extend(rule.check(ctx))
    except RecursionError:  # free-form values (relations, x- fields) nested ~1000 levels deep
        return _too_deep(m.file), None
    return sort_issues(issues, m.file), ctx


def load_spec(
    manifest: Any,
    operations: Any,
    *,
    strict: bool = False,
    unknown_fields: str = "error",
    manifest_only: bool = False,
) -> LoadedSpec:
    """Validate both documents and build the catalog, or raise one :class:`SpecError`."""
    issues, ctx = check_spec(
        manifest,
        operations,
        strict=strict,
        unknown_fields=unknown_fields,
        manifest_only=manifest_only,
    )
    if ctx is None or any(strict or i.severity == "error" for i in issues):
        raise SpecError(issues)
    try:
        catalog = build_catalog(ctx)
    except RecursionError:
        raise SpecError(_too_deep(ctx.manifest_file)) from None
    return LoadedSpec(catalog, issues)
