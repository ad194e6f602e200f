"""Property: any single-field mutation of a valid spec loads or raises ``SpecError``, never any
other exception (docs/format.md section 2.1).

The specs are the worked example (tests/specs/example, graphddb_runtime/example) and the other
test specs (tests/specs/contracts, tests/specs/middleware). One mutation per example: a value
anywhere replaced by a generated JSON value of any type, a key deleted, an unknown key added, or
a key renamed. Construction runs with every combination of ``strict`` and ``unknown_fields``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from graphddb_runtime import GraphDDBRuntime, SpecError

from ._cases import SPECS

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = [
    SPECS / "example",
    SPECS / "contracts",
    SPECS / "middleware",
    ROOT / "graphddb_runtime" / "example",
]


def _load(folder: Path) -> dict[str, Any]:
    return {
        "manifest": json.loads((folder / "manifest.json").read_text(encoding="utf-8")),
        "operations": json.loads((folder / "operations.json").read_text(encoding="utf-8")),
    }


BASES = [_load(folder) for folder in FOLDERS]


def _paths(node: Any, path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Every location in ``node``, containers before their children."""
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*path, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_paths(value, (*path, i)))
    return out


def _by_name(paths: list[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
    """Paths grouped by their last key (list elements by their list's key), so that a rare
    field such as ``literalKey`` is drawn as often as ``type``."""
    groups: dict[Any, list[tuple[Any, ...]]] = {}
    for path in paths:
        names = [t for t in path if isinstance(t, str)]
        name = names[-1] if isinstance(path[-1], str) else f"{names[-1]}[]"
        groups.setdefault(name, []).append(path)
    return list(groups.values())


# Inside one of the two documents (the documents themselves are the length-1 paths).
PATHS = [_by_name([p for p in _paths(base, ()) if p]) for base in BASES]

# Words of the format, so that mutations often hit a meaningful value of the wrong kind.
WORDS = st.sampled_from(
    [
        "",
        "PK",
        "SK",
        "GSI1",
        "GSI1PK",
        "AppTable",
        "UserModel",
        "Query",
        "GetItem",
        "BatchGetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Put",
        "Update",
        "Delete",
        "ConditionCheck",
        "string",
        "number",
        "boolean",
        "literal",
        "array",
        "map",
        "one",
        "many",
        "query",
        "command",
        "point",
        "range",
        "single",
        "either",
        "op",
        "transaction",
        "parallel",
        "batchWrite",
        "expr",
        "raw",
        "equals",
        "notExists",
        "attributeExists",
        "begins_with",
        "between",
        "eq",
        "ne",
        "in",
        "identity",
        "preview",
        "collection",
        "snapshot",
        "counter",
        "$",
        "$.items",
        "$.groups.items",
        "$.items.group",
        "{userId}",
        "{result.userId}",
        "{item.userId}",
        "USER#{userId}",
        "{",
        "}",
        "{}",
        "1.2",
        "1.0",
        "datetime",
        "date",
        "true",
        "0",
        "1e999",
        "#cr_x",
        ":cr0",
        "#c0",
        "x-extra",
        "$comment",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-3, max_value=130)
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.just(10**4100)  # beyond the 4000 digits a Mapping may hold (LD001)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | WORDS
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=6) | WORDS, children, max_size=3)
    ),
    max_leaves=6,
)


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for token in path:
        document = document[token]
    return document


@st.composite
def mutated(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    index = draw(st.integers(min_value=0, max_value=len(BASES) - 1))
    docs = copy.deepcopy(BASES[index])
    path = draw(st.sampled_from(draw(st.sampled_from(PATHS[index]))))
    kind = draw(st.sampled_from(["replace", "replace", "delete", "add", "rename"]))
    if len(path) == 1:
        kind = "add"  # a document itself: add a top-level key
    if kind == "replace":
        _at(docs, path[:-1])[path[-1]] = draw(JSON)
        return docs, f"replace {path}"
    if kind == "delete":
        parent = _at(docs, path[:-1])
        del parent[path[-1]]
        return docs, f"delete {path}"
    if kind == "add":
        target = _at(docs, path)
        if not isinstance(target, dict):
            target = _at(docs, path[:-1])
        if isinstance(target, dict):
            key = draw(st.text(max_size=6) | WORDS)
            target[key] = draw(JSON)
            return docs, f"add {key!r} under {path}"
        return docs, "no-op"
    parent = _at(docs, path[:-1])
    if not isinstance(parent, dict):
        return docs, "no-op"
    new = draw(st.text(max_size=6) | WORDS)
    renamed = {(new if k == path[-1] else k): v for k, v in parent.items()}
    parent.clear()
    parent.update(renamed)
    return docs, f"rename {path} to {new!r}"


@settings(max_examples=1000)
@given(mutated(), st.booleans(), st.sampled_from(["error", "warn"]))
def test_a_mutated_spec_loads_or_raises_spec_error(
    spec: tuple[dict[str, Any], str], strict: bool, unknown_fields: str
) -> None:
    docs, _ = spec
    try:
        GraphDDBRuntime(
            object(),
            docs["manifest"],
            docs["operations"],
            strict=strict,
            unknown_fields=unknown_fields,
        )
    except SpecError as exc:
        assert exc.issues
        # The net for documents too deep to process never catches a one-field mutation.
        assert all("nest too deeply" not in issue.message for issue in exc.issues)
