"""Generate the cold-start shape check from the JSON Schemas (``_schema_checks.py``).

The shipped schema files stay the single source of truth: this generator turns each into Python
source (one function per ``$defs`` entry, leaf checks inlined). The output is committed as
``_schema_checks.py`` so a cold start only imports it; a test regenerates it and fails if the
committed file is stale. Regenerate after editing a schema::

    python -m graphddb_runtime.spec._fastcheck

The predicates answer only "conforms or not"; ``_shape.schema_issues`` (jsonschema) produces the
report. Supported keywords are exactly those our schemas use, mirroring Draft 2020-12 semantics
(a bool is not a number, 1.0 is an integer, booleans never equal numbers); anything else raises,
so a schema edit cannot silently weaken the check. Tests prove both checkers agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["compile_schema", "generate_module"]

_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "x-rule", "$defs", "then"})
_TYPE_TESTS = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
    "integer": "(isinstance({v}, int) and not isinstance({v}, bool) or "
    "isinstance({v}, float) and {v}.is_integer())",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
}


def _fail_if(out: list[str], pad: str, condition: str) -> None:
    out.append(f"{pad}if {condition}:")
    out.append(f"{pad}    return False")


def _only_objects(v: str, out: list[str], depth: int, known: str | None) -> int:
    """Guard what follows with an object test unless ``v`` is already known to be one."""
    if known == "object":
        return depth
    out.append(f"{'    ' * depth}if isinstance({v}, dict):")
    return depth + 1


def _type_test(name: str, v: str) -> str:
    if name not in _TYPE_TESTS:
        raise ValueError(f"unsupported type {name!r} in schema")
    return _TYPE_TESTS[name].format(v=v)


_PRELUDE = '''
_MISSING = object()


def _json_in(value: Any, options: tuple[Any, ...]) -> bool:
    """JSON equality membership: booleans never equal numbers."""
    for option in options:
        if isinstance(value, bool) or isinstance(option, bool):
            if isinstance(value, bool) and isinstance(option, bool) and value == option:
                return True
        elif value == option:
            return True
    return False
'''


class _Generator:
    def __init__(self, root: Mapping[str, Any], prefix: str = "") -> None:
        self.root = root
        self.prefix = prefix
        self.consts: dict[str, Any] = {}
        self.functions: list[list[str]] = []
        self.defined: dict[str, str] = {}
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self, value: Any) -> str:
        name = f"_{self.prefix.upper()}C{len(self.consts)}"
        self.consts[name] = value
        return name

    def function(self, schema: Mapping[str, Any], name: str | None = None) -> str:
        """A named predicate for ``schema``; its body returns False on the first violation."""
        name = name or f"_{self.prefix}f{len(self.functions)}"
        body: list[str] = []
        self.functions.append(body)  # reserve the slot: nested definitions follow their user
        self.emit(schema, "v", body, 1, None)
        body[:0] = [f"def {name}(v: Any) -> bool:"]
        body.append("    return True")
        return name

    def ref(self, target: str) -> str:
        if not target.startswith("#/$defs/"):
            raise ValueError(f"unsupported $ref {target!r}")
        key = target[len("#/$defs/") :]
        if key not in self.defined:
            self.defined[key] = f"_{self.prefix}{key}"
            self.function(self.root["$defs"][key], self.defined[key])
        return self.defined[key]

    def emit(
        self, schema: Mapping[str, Any], v: str, out: list[str], depth: int, known: str | None
    ) -> None:
        pad = "    " * depth
        kind = schema.get("type")
        if isinstance(kind, str):
            _fail_if(out, pad, f"not {_type_test(kind, v)}")
            known = kind
        elif kind is not None:
            tests = " or ".join(_type_test(k, v) for k in kind)
            _fail_if(out, pad, f"not ({tests})")
        for keyword, arg in schema.items():
            if keyword in _ANNOTATIONS or keyword == "type":
                continue
            if keyword == "$ref":
                _fail_if(out, pad, f"not {self.ref(arg)}({v})")
            elif keyword in ("enum", "const"):
                options = tuple(arg) if keyword == "enum" else (arg,)
                if all(isinstance(o, str) for o in options):
                    test = f"isinstance({v}, str) and {v} in {self.const(frozenset(options))}"
                else:
                    test = f"_json_in({v}, {self.const(options)})"
                _fail_if(out, pad, f"not ({test})")
            elif keyword in ("minLength", "minItems"):
                expected = "string" if keyword == "minLength" else "array"
                python = "str" if keyword == "minLength" else "list"
                guard = "" if known == expected else f"isinstance({v}, {python}) and "
                _fail_if(out, pad, f"{guard}len({v}) < {int(arg)}")
            elif keyword == "required":
                tests = " and ".join(f"{k!r} in {v}" for k in arg) or "True"
                guard = "" if known == "object" else f"isinstance({v}, dict) and "
                _fail_if(out, pad, f"{guard}not ({tests})")
            elif keyword == "properties":
                self.properties(arg, v, out, depth, known)
            elif keyword == "additionalProperties":
                self.additional(schema=schema, sub=arg, v=v, out=out, depth=depth, known=known)
            elif keyword == "items":
                item = self.fresh("i")
                inner = depth + (1 if known == "array" else 2)
                if known != "array":
                    out.append(f"{pad}if isinstance({v}, list):")
                out.append(f"{'    ' * (inner - 1)}for {item} in {v}:")
                self.emit(arg, item, out, inner, None)
            elif keyword == "allOf":
                for sub in arg:
                    self.emit(sub, v, out, depth, known)
            elif keyword == "if":
                condition = self.function(arg)
                out.append(f"{pad}if {condition}({v}):")
                self.emit(schema.get("then", {}), v, out, depth + 1, known)
            else:
                raise ValueError(f"schema keyword {keyword!r} is not supported by the fast check")

    def properties(
        self, props: Mapping[str, Any], v: str, out: list[str], depth: int, known: str | None
    ) -> None:
        depth = _only_objects(v, out, depth, known)
        pad = "    " * depth
        for key, sub in props.items():
            child = self.fresh("p")
            out.append(f"{pad}{child} = {v}.get({key!r}, _MISSING)")
            out.append(f"{pad}if {child} is not _MISSING:")
            self.emit(sub, child, out, depth + 1, None)

    def additional(
        self,
        *,
        schema: Mapping[str, Any],
        sub: Mapping[str, Any],
        v: str,
        out: list[str],
        depth: int,
        known: str | None,
    ) -> None:
        depth = _only_objects(v, out, depth, known)
        pad = "    " * depth
        key, child = self.fresh("k"), self.fresh("a")
        names = frozenset(schema.get("properties", {}))
        out.append(f"{pad}for {key}, {child} in {v}.items():")
        if names:
            out.append(f"{pad}    if {key} in {self.const(names)}: continue")
        self.emit(sub, child, out, depth + 1, None)


def _literal(value: Any) -> str:
    if isinstance(value, frozenset):
        return "frozenset({" + ", ".join(repr(v) for v in sorted(value)) + "})"
    return repr(value)


def _source(generators: list[tuple[str, _Generator, str]]) -> str:
    parts = [_PRELUDE]
    for _, generator, _ in generators:
        parts.extend(f"{name} = {_literal(value)}" for name, value in generator.consts.items())
    for _, generator, _ in generators:
        parts.extend("\n".join(lines) for lines in generator.functions)
    return "\n\n\n".join(p.strip("\n") for p in parts) + "\n"


def generate_module(schemas: Mapping[str, Mapping[str, Any]]) -> str:
    """Source of ``_schema_checks.py``: one public predicate per schema name."""
    generators = []
    for name, schema in schemas.items():
        generator = _Generator(schema, prefix=f"{name}_")
        entry = generator.function(schema, name)
        generators.append((name, generator, entry))
    header = (
        '"""Shape predicates generated from graphddb_runtime/schemas/*.schema.json.\n\n'
        "Do not edit: run ``python -m graphddb_runtime.spec._fastcheck`` after changing a schema.\n"
        'A test fails when this file is stale.\n"""\n\n'
        "# ruff: noqa\n"
        "from __future__ import annotations\n\n"
        "from typing import Any\n\n"
        f"__all__ = {sorted(n for n, _, _ in generators)!r}\n"
    )
    return header + "\n" + _source(generators)


def compile_schema(schema: Mapping[str, Any]) -> Callable[[Any], bool]:
    """A predicate for one schema, compiled in process (tests and tooling)."""
    namespace: dict[str, Any] = {}
    exec(compile(generate_module({"check": schema}), "<graphddb schema check>", "exec"), namespace)
    check: Callable[[Any], bool] = namespace["check"]
    return check


def _main() -> None:  # pragma: no cover - developer tool, exercised through generate_module
    from pathlib import Path  # noqa: PLC0415

    from ._shape import load_schema  # noqa: PLC0415

    target = Path(__file__).with_name("_schema_checks.py")
    source = generate_module({n: load_schema(n) for n in ("manifest", "operations")})
    target.write_text(source, encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    _main()
