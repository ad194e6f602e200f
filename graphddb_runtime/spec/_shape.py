"""Shape validation against the shipped JSON Schemas (FORMAT.md section 2.2).

Two checkers share one source of truth, the schema files in ``graphddb_runtime/schemas``:

* :func:`conforms` runs a checker compiled from the schema into plain Python closures. It answers
  yes or no and is fast enough for a Lambda cold start.
* :func:`schema_issues` runs ``jsonschema``'s ``Draft202012Validator`` and turns every error into a
  :class:`SpecIssue` (rule id from the innermost ``x-rule``, pointer from the instance path).

The loader calls :func:`schema_issues` only when :func:`conforms` says no, or under
``strict=True``; the test suite proves both reject exactly the same corpus of specs.
The compiler supports the keywords our schemas use and refuses any other, so a schema edit
cannot silently weaken the fast path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

from ..errors import SpecIssue

__all__ = ["conforms", "escape", "load_schema", "pointer", "schema_issues"]

Check = Callable[[Any], bool]
JSON = Any

# Keywords that carry no constraint.
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "x-rule", "$defs"})


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


def _is_type(value: Any, name: str) -> bool:
    # Mirrors jsonschema's Draft 2020-12 type semantics (bool is not a number; 1.0 is an integer).
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float))
    raise ValueError(f"unsupported type {name!r} in schema")


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self._root = root
        self._refs: dict[str, Check] = {}

    def ref(self, target: str) -> Check:
        if target not in self._refs:
            if not target.startswith("#/$defs/"):
                raise ValueError(f"unsupported $ref {target!r}")
            slot: list[Check] = []

            def deferred(value: Any) -> bool:  # resolved after compiling: allows recursion
                return slot[0](value)

            self._refs[target] = deferred
            slot.append(self.compile(self._root["$defs"][target[len("#/$defs/") :]]))
        return self._refs[target]

    def compile(self, schema: Mapping[str, Any]) -> Check:
        kind = schema.get("type")
        if kind == "object":
            return self._object(schema)
        if kind == "array":
            return self._array(schema)
        return self._generic(schema)

    def _object(self, schema: Mapping[str, Any]) -> Check:
        """One closure for a ``type: object`` schema: the shape most nodes of a spec have."""
        required = tuple(schema.get("required", ()))
        props = tuple((k, self.compile(s)) for k, s in schema.get("properties", {}).items())
        known = frozenset(schema.get("properties", {}))
        extra = (
            self.compile(schema["additionalProperties"])
            if ("additionalProperties" in schema)
            else None
        )
        rest = self._generic(
            {k: v for k, v in schema.items() if k in ("allOf", "if", "then", "$ref")}
        )
        unsupported = (
            set(schema)
            - _ANNOTATIONS
            - {
                "type",
                "required",
                "properties",
                "additionalProperties",
                "allOf",
                "if",
                "then",
                "$ref",
            }
        )
        if unsupported:
            raise ValueError(f"schema keywords {sorted(unsupported)} are not supported")

        def check(value: Any) -> bool:
            if type(value) is not dict:
                return False
            for key in required:
                if key not in value:
                    return False
            for key, sub in props:
                if key in value and not sub(value[key]):
                    return False
            if extra is not None:
                for key, item in value.items():
                    if key not in known and not extra(item):
                        return False
            return rest(value)

        return check

    def _array(self, schema: Mapping[str, Any]) -> Check:
        items = self.compile(schema["items"]) if "items" in schema else None
        minimum = schema.get("minItems", 0)
        unsupported = set(schema) - _ANNOTATIONS - {"type", "items", "minItems"}
        if unsupported:
            raise ValueError(f"schema keywords {sorted(unsupported)} are not supported")

        def check(value: Any) -> bool:
            if type(value) is not list or len(value) < minimum:
                return False
            if items is not None:
                for item in value:
                    if not items(item):
                        return False
            return True

        return check

    def _generic(self, schema: Mapping[str, Any]) -> Check:
        checks: list[Check] = []
        for keyword, arg in schema.items():
            if keyword in _ANNOTATIONS or keyword == "then":  # "then" is compiled with "if"
                continue
            if keyword == "$ref":
                checks.append(self.ref(arg))
            elif keyword in ("properties", "additionalProperties", "items", "allOf", "if"):
                checks.append(self._nested(keyword, arg, schema))
            elif keyword in _LEAF:
                checks.append(_LEAF[keyword](arg))
            else:
                raise ValueError(f"schema keyword {keyword!r} is not supported by the fast checker")
        return _all(checks)

    def _nested(self, keyword: str, arg: Any, schema: Mapping[str, Any]) -> Check:
        if keyword == "properties":
            return _properties(tuple((key, self.compile(sub)) for key, sub in arg.items()))
        if keyword == "additionalProperties":
            return _additional(self.compile(arg), frozenset(schema.get("properties", {})))
        if keyword == "items":
            return _items(self.compile(arg))
        if keyword == "allOf":
            return _all([self.compile(sub) for sub in arg])
        return _if_then(self.compile(arg), self.compile(schema.get("then", {})))


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _accept
    if len(checks) == 1:
        return checks[0]
    frozen = tuple(checks)

    def check(value: Any) -> bool:
        return all(c(value) for c in frozen)

    return check


def _accept(value: Any) -> bool:
    return True


def _type(arg: Any) -> Check:
    names = (arg,) if isinstance(arg, str) else tuple(arg)
    for name in names:
        _is_type(None, name)  # rejects an unsupported type name now, not on first use
    if names == ("string",):
        return _is_str
    if names == ("boolean",):
        return _is_bool

    def check(value: Any) -> bool:
        return any(_is_type(value, n) for n in names)

    return check


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _enum(arg: Any) -> Check:
    options = tuple(arg)
    if all(isinstance(o, str) for o in options):
        strings = frozenset(options)

        def check_strings(value: Any) -> bool:
            return isinstance(value, str) and value in strings

        return check_strings

    def check(value: Any) -> bool:
        return any(_json_equal(value, o) for o in options)

    return check


def _const(arg: Any) -> Check:
    return _enum([arg])


def _min_length(arg: Any) -> Check:
    def check(value: Any) -> bool:
        return not isinstance(value, str) or len(value) >= arg

    return check


def _min_items(arg: Any) -> Check:
    def check(value: Any) -> bool:
        return not isinstance(value, list) or len(value) >= arg

    return check


def _required(arg: Any) -> Check:
    keys = tuple(arg)

    def check(value: Any) -> bool:
        return not isinstance(value, dict) or all(k in value for k in keys)

    return check


def _properties(props: tuple[tuple[str, Check], ...]) -> Check:
    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        return all(c(value[k]) for k, c in props if k in value)

    return check


def _additional(sub: Check, known: frozenset[str]) -> Check:
    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        return all(sub(v) for k, v in value.items() if k not in known)

    return check


def _items(sub: Check) -> Check:
    def check(value: Any) -> bool:
        return not isinstance(value, list) or all(sub(v) for v in value)

    return check


def _if_then(condition: Check, then: Check) -> Check:
    def check(value: Any) -> bool:
        return not condition(value) or then(value)

    return check


_LEAF: dict[str, Callable[[Any], Check]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "minLength": _min_length,
    "minItems": _min_items,
    "required": _required,
}


def _json_equal(a: Any, b: Any) -> bool:
    # JSON equality: booleans never equal numbers.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


@cache
def _compiled(name: str) -> Check:
    schema = load_schema(name)
    return _Compiler(schema).compile(schema)


def conforms(name: str, document: JSON) -> bool:
    """True when ``document`` satisfies schema ``name``; the cold-start fast path."""
    return _compiled(name)(document)


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
