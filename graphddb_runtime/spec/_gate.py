"""Document-level gates that run before every other rule (docs/format.md sections 2.1 and 4.1).

* **Version** (VR001). Each document is checked on its own. An absent ``version`` is a 0.5.x
  document; exactly ``"1.0"``, ``"1.1"`` and ``"1.2"`` are read; anything else fails.
* **Empty or swapped documents** (LD005, LD006). A manifest without entities, or an
  operations document without queries, commands, transactions or contracts, cannot be what
  the caller meant; when each file holds the other's sections, the two were passed swapped.

When a gate fails, the ``SpecError`` carries only the gate's issues: every other rule would
only report noise about vocabulary it does not know, or about a document that is not there.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import SpecIssue

__all__ = ["OPERATION_SECTIONS", "SPEC_VERSION_SUPPORTED", "declared_version", "gate_issues"]

#: The highest format version this runtime reads.
SPEC_VERSION_SUPPORTED = "1.2"

#: The top-level sections of operations.json (section 4).
OPERATION_SECTIONS = ("queries", "commands", "transactions", "contracts")

_SUPPORTED = {"1.0": (1, 0), "1.1": (1, 1), "1.2": (1, 2)}
_WELL_FORMED = re.compile(r"[0-9]+\.[0-9]+")


def declared_version(document: dict[str, Any]) -> tuple[int, int] | None:
    """The (major, minor) a document that passed VR001 declares; None when unversioned."""
    value = document.get("version")
    return _SUPPORTED.get(value) if isinstance(value, str) else None


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _version_issue(document: dict[str, Any], file: str) -> SpecIssue | None:
    if "version" not in document:
        return None
    value = document["version"]
    if isinstance(value, str) and value in _SUPPORTED:
        return None
    if isinstance(value, str) and _WELL_FORMED.fullmatch(value):
        message = (
            f"spec version {value!r} is not supported: this runtime reads versions '1.0' to "
            f"{SPEC_VERSION_SUPPORTED!r} and unversioned (0.5.x) documents"
        )
    else:
        message = f"malformed spec version {_shown(value)}: expected a string '<major>.<minor>'"
    return SpecIssue(file, "/version", message, "VR001", "error")


def _empty(value: Any) -> bool:
    """An absent or ``{}`` section (anything else is content, or a shape error)."""
    return value is None or value == {}


def _sections(document: dict[str, Any]) -> list[str]:
    return [s for s in OPERATION_SECTIONS if not _empty(document.get(s))]


def _emptiness(
    manifest: dict[str, Any],
    operations: dict[str, Any],
    files: tuple[str, str],
    manifest_only: bool,
) -> list[SpecIssue]:
    m_file, o_file = files
    no_entities = _empty(manifest.get("entities"))
    no_operations = not manifest_only and not _sections(operations)
    if not (no_entities or no_operations):
        return []
    m_looks_like_operations = no_entities and bool(_sections(manifest))
    o_looks_like_manifest = no_operations and not _empty(operations.get("entities"))
    swapped = (
        " (the two files look swapped)" if m_looks_like_operations and o_looks_like_manifest else ""
    )
    issues = []
    if no_entities:
        message = f"{m_file} (the manifest) has no entities"
        if m_looks_like_operations:
            held = ", ".join(repr(s) for s in _sections(manifest))
            message += f"; it holds {held}: is it an operations.json?{swapped}"
        issues.append(SpecIssue(m_file, "", message, "LD005", "error"))
    if no_operations:
        message = f"{o_file} (the operations) has no queries, commands, transactions or contracts"
        if o_looks_like_manifest:
            message += f"; it holds 'entities': is it a manifest.json?{swapped}"
        issues.append(SpecIssue(o_file, "", message, "LD006", "error"))
    return issues


def gate_issues(
    manifest: dict[str, Any],
    operations: dict[str, Any],
    files: tuple[str, str],
    *,
    manifest_only: bool = False,
) -> list[SpecIssue]:
    """The issues of the first gate that fails (version, then emptiness), or ``[]``.

    ``manifest_only``: the caller loads a manifest alone (``local.create_tables``), so an
    operations document without operations is expected.
    """
    versions = [
        issue
        for issue in (_version_issue(manifest, files[0]), _version_issue(operations, files[1]))
        if issue is not None
    ]
    return versions or _emptiness(manifest, operations, files, manifest_only)
