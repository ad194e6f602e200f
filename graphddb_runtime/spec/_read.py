"""Reading the two spec documents: the only place that opens spec files (section 2.1 step 2)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from .._dataclass import dataclass
from ..errors import ConfigurationError, SpecIssue

__all__ = ["Document", "read_document"]


@dataclass(frozen=True, slots=True)
class Document:
    file: str  # basename used in issues
    data: dict[str, Any] | None  # None when unreadable or not an object
    issues: tuple[SpecIssue, ...]


def _copy(value: Any) -> Any:
    # A JSON-shaped deep copy; much faster than copy.deepcopy for parsed documents.
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value


def _type_name(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def read_document(source: Any, default_name: str, argument: str) -> Document:
    """Parse ``source`` (a path or an already parsed mapping) into a :class:`Document`."""
    if isinstance(source, Mapping):
        return Document(default_name, _copy(source), ())
    if not isinstance(source, (str, os.PathLike)):
        raise ConfigurationError(
            f"{argument} must be a path (str or os.PathLike) or a parsed mapping, "
            f"got {type(source).__name__}"
        )
    file = os.path.basename(os.fspath(source)) or default_name
    try:
        with open(source, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        return _fail(file, f"cannot read file: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        return _fail(file, f"file is not valid UTF-8: {exc.reason} at byte {exc.start}")
    except json.JSONDecodeError as exc:
        return _fail(file, f"invalid JSON: {exc}")
    if not isinstance(data, dict):
        issue = SpecIssue(
            file, "", f"top-level value must be an object, got {_type_name(data)}", "LD002", "error"
        )
        return Document(file, None, (issue,))
    return Document(file, data, ())


def _fail(file: str, message: str) -> Document:
    return Document(file, None, (SpecIssue(file, "", message, "LD001", "error"),))
