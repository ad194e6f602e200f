"""Value rules VL001 and VL002 (section 42.8): literals written to attributes.

Values written by commands and transaction items (``item``, ``changes``) are checked against
the manifest: a placeholder-free literal for a field typed ``number`` or ``boolean`` must parse
as that type (it is then sent as ``N`` / ``BOOL``, see ``_literals.typed_literal``), and a whole
placeholder whose param is declared with another type is flagged. Every literal of those maps and
of ``equals`` / ``raw`` conditions must be one DynamoDB can store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..._values.templates import parse_template
from ...errors import SpecIssue
from .._context import Context, Params, as_dict
from .._literals import literal_problem, typed_literal
from .._shape import pointer
from ._registry import rule

_SCALARS = ("string", "number", "boolean")


def _sites(ctx: Context) -> Iterator[tuple[str, dict[str, Any], Params, Params | None]]:
    """(pointer, command or item, params, forEach element fields) of every write."""
    for _, spec, ptr in ctx.section("commands"):
        yield ptr, spec, ctx.params(ptr, spec), None
    for _, spec, tptr in ctx.section("transactions"):
        params = ctx.params(tptr, spec)
        for index, item in enumerate(spec["items"]):
            element = None
            if "forEach" in item:
                source = as_dict(item["forEach"]).get("source")
                param = params.get(source) if isinstance(source, str) else None
                element = param.element if param is not None else None
            yield f"{tptr}/items/{index}", item, params, element


def _param_type(name: str, params: Params, element: Params | None) -> str | None:
    """The scalar type a whole placeholder's value is declared with, if it is known."""
    plan = None
    if name.startswith("item.") and element is not None:
        plan = element.get(name[5:])
    if plan is None:
        plan = params.get(name)
    if plan is None:
        return None
    if plan.type != "literal":
        return plan.type
    kinds = {_json_kind(v) for v in plan.literals}
    return kinds.pop() if len(kinds) == 1 else None


def _json_kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else None


def _scalar_types(ctx: Context, entity: Any, table: Any) -> dict[str, str]:
    """Field -> ``string`` | ``number`` | ``boolean`` of an entity that lives on ``table``."""
    info = ctx.entities.get(entity) if isinstance(entity, str) else None
    if info is None or info.table != table:
        return {}
    found: dict[str, str] = ctx.memo(
        f"#scalars/{entity}",
        lambda: {
            name: kind
            for name, meta in info.fields.items()
            if (kind := as_dict(meta).get("type")) in _SCALARS
        },
    )
    return found


@rule("VL001", "VL002")
def written_values(ctx: Context) -> Iterator[SpecIssue]:
    for ptr, spec, params, element in _sites(ctx):
        entity, table = spec.get("entity"), spec.get("tableName")
        declared = _scalar_types(ctx, entity, table)
        typed = ctx.field_types(entity, table)
        for section in ("item", "changes"):
            values = spec.get(section)
            if type(values) is not dict:
                continue
            for field, value in values.items():
                if type(value) is str:
                    wanted = declared.get(field)
                    if wanted is None:
                        continue  # no scalar type to check a whole placeholder or type a literal
                    kind = typed.get(field)
                    template = parse_template(value)
                    if template.whole:
                        bound = _param_type(template.names[0], params, element)
                        if bound is not None and bound != wanted:
                            yield ctx.issue(
                                f"{ptr}{pointer((section, field))}",
                                f"{value!r} is a {bound} parameter, but the manifest types "
                                f"{field!r} of {entity!r} as {wanted}",
                                "VL002",
                                advisory=True,
                            )
                        continue
                    if kind is None or template.names:
                        continue  # a string is always storable; a template is typed per call
                else:
                    kind = typed.get(field)
                problem = _literal_issue(field, value, kind, entity)
                if problem is not None:
                    yield ctx.issue(f"{ptr}{pointer((section, field))}", problem, "VL001")
        yield from _condition_literals(ctx, ptr, spec)


def _literal_issue(field: str, value: Any, kind: str | None, entity: Any) -> str | None:
    typed, problem = typed_literal(value, kind)
    if problem is not None:
        return (
            f"literal for {field!r}: {problem}, but the manifest types it as {kind} (on {entity!r})"
        )
    problem = literal_problem(typed)
    return None if problem is None else f"literal for {field!r} cannot be written: {problem}"


def _condition_literals(ctx: Context, ptr: str, spec: dict[str, Any]) -> Iterator[SpecIssue]:
    condition = as_dict(spec.get("condition"))
    kind = condition.get("kind")
    section = {"equals": "fields", "raw": "values"}.get(kind) if isinstance(kind, str) else None
    if section is None:
        return
    for name, value in as_dict(condition.get(section)).items():
        if isinstance(value, str) or (isinstance(value, dict) and "$param" in value):
            continue
        problem = literal_problem(value)
        if problem is not None:
            yield ctx.issue(
                f"{ptr}{pointer(('condition', section, name))}",
                f"literal for {name!r} cannot be sent: {problem}",
                "VL001",
            )
