"""Reading the two spec documents: the only place that opens spec files (section 2.1 step 2)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from .._dataclass import dataclass
from ..errors import ConfigurationError, SpecIssue
from ._shape import pointer

__all__ = ["Document", "read_document"]


@dataclass(frozen=True, slots=True)
class Document:
    file: str  # basename used in issues
    data: dict[str, Any] | None  # None when unreadable or not an object
    issues: tuple[SpecIssue, ...]


#: Deeper documents are refused at read time (a JSON file this deep does not parse either).
MAX_DEPTH = 900
_HUGE = 10**4000  # beyond this, str(int) raises (sys.get_int_max_str_digits)


def _copy(source: Mapping[Any, Any]) -> tuple[dict[str, Any], str | None]:
    """A JSON-shaped deep copy of a parsed mapping, and what makes it not JSON, if anything.

    Iterative, so no nesting depth raises ``RecursionError``; much faster than ``copy.deepcopy``.
    """
    root: dict[str, Any] = {}
    stack: list[tuple[Any, Any, tuple[Any, ...]]] = [(source, root, ())]
    while stack:
        original, copy, path = stack.pop()
        if len(path) >= MAX_DEPTH:
            return root, f"the document nests deeper than {MAX_DEPTH} levels"
        items = original.items() if isinstance(copy, dict) else enumerate(original)
        for key, value in items:
            if isinstance(value, Mapping):
                child: Any = {}
                stack.append((value, child, (*path, key)))
            elif isinstance(value, (list, tuple)):
                child = []
                stack.append((value, child, (*path, key)))
            elif type(value) is int and not -_HUGE < value < _HUGE:
                return root, f"integer at {pointer((*path, key))} has too many digits"
            else:
                child = value
            if isinstance(copy, dict):
                if not isinstance(key, str):
                    where = pointer(path) or "the top level"
                    return root, f"not a JSON document: key {key!r} at {where} is not a string"
                copy[key] = child
            else:
                copy.append(child)
    return root, None


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
        data, problem = _copy(source)
        if problem is not None:
            return _fail(default_name, problem)
        return Document(default_name, data, ())
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
    except RecursionError:
        return _fail(file, "invalid JSON: the document nests too deeply to be parsed")
    except ValueError as exc:  # e.g. an integer literal beyond sys.get_int_max_str_digits()
        return _fail(file, f"invalid JSON: {exc}")
    if not isinstance(data, dict):
        issue = SpecIssue(
            file, "", f"top-level value must be an object, got {_type_name(data)}", "LD002", "error"
        )
        return Document(file, None, (issue,))
    return Document(file, data, ())


def _fail(file: str, message: str) -> Document:
    return Document(file, None, (SpecIssue(file, "", message, "LD001", "error"),))
