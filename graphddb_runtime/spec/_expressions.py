"""Filter, condition and key-condition text with deterministic placeholders (sections 7.6, 8, 11).

Everything here runs once, at load time: the expression text and the names map are static, and
only the operand values are bound per call. Aliases are allocated per expression, never from
shared state, so two compilations of one tree always give byte-identical output.
"""

from __future__ import annotations

from typing import Any

from .._values.templates import parse_template
from .plans import ConditionPlan, ExpressionPlan, Literal, Operand, ParamRef, freeze

__all__ = ["compile_condition", "compile_tree", "key_condition_text", "wrap"]

_COMPARISONS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_FUNCTIONS = {
    "beginsWith": "begins_with({f}, {v})",
    "contains": "contains({f}, {v})",
    "notContains": "NOT contains({f}, {v})",
    "attributeType": "attribute_type({f}, {v})",
    "size": "size({f}) = {v}",
}
_OPERATORS = frozenset({*_COMPARISONS, *_FUNCTIONS, "between", "in", "attributeExists"})


def _fully_parenthesized(text: str) -> bool:
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
    return True


def wrap(text: str) -> str:
    if _fully_parenthesized(text):
        return text
    if " AND " in text or " OR " in text:
        return f"({text})"
    return text


def _join_and(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return " AND ".join(wrap(p) for p in parts)


def _operand(value: Any) -> Operand:
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("$param"), str):
        return ParamRef(name=value["$param"])
    return Literal(value=freeze(value))


def _is_operator_object(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(k in _OPERATORS for k in value)


class _TreeCompiler:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # field -> alias
        self.values: list[tuple[str, Operand]] = []

    def value(self, operand: Any) -> str:
        alias = f":vf{len(self.values)}"
        self.values.append((alias, _operand(operand)))
        return alias

    def node(self, node: dict[str, Any]) -> str:
        clauses: list[str] = []
        for key, value in node.items():
            if value is None:
                continue
            if key in ("and", "or"):
                parts = [p for p in (self.node(child) for child in value) if p]
                if len(parts) == 1:
                    clauses.append(parts[0])
                elif parts:
                    sep = " AND " if key == "and" else " OR "
                    clauses.append("(" + sep.join(wrap(p) for p in parts) + ")")
            elif key == "not":
                inner = self.node(value)
                if inner:
                    clauses.append("NOT " + wrap(inner))
            else:
                clauses.append(self.field(key, value))
        return _join_and(clauses) if clauses else ""

    def field(self, name: str, value: Any) -> str:
        alias = self.names.setdefault(name, f"#f{len(self.names)}")
        if not _is_operator_object(value):
            return f"{alias} = {self.value(value)}"
        return _join_and([self.operator(alias, op, operand) for op, operand in value.items()])

    def operator(self, alias: str, op: str, operand: Any) -> str:
        if op in _COMPARISONS:
            return f"{alias} {_COMPARISONS[op]} {self.value(operand)}"
        if op == "between":
            lo, hi = operand
            return f"{alias} BETWEEN {self.value(lo)} AND {self.value(hi)}"
        if op == "in":
            return f"{alias} IN (" + ", ".join(self.value(v) for v in operand) + ")"
        if op == "attributeExists":
            return (
                f"attribute_not_exists({alias})"
                if operand is False
                else (f"attribute_exists({alias})")
            )
        return _FUNCTIONS[op].format(f=alias, v=self.value(operand))


def compile_tree(tree: dict[str, Any]) -> ExpressionPlan | None:
    """Compile a declarative tree; ``None`` when it compiles to nothing (section 8.4 rule 3)."""
    compiler = _TreeCompiler()
    text = compiler.node(tree)
    if not text:
        return None
    names = tuple((alias, field) for field, alias in compiler.names.items())
    return ExpressionPlan(text=text, names=names, values=tuple(compiler.values))


def compile_condition(spec: dict[str, Any]) -> ConditionPlan | None:
    """Render a write condition once (section 11); ``None`` for an ``expr`` that is empty."""
    kind = spec["kind"]
    if kind == "notExists":
        return ConditionPlan(
            kind=kind, expression="attribute_not_exists(#pk)", names=(("#pk", "PK"),), values=()
        )
    if kind in ("attributeExists", "attributeNotExists"):
        function = "attribute_exists" if kind == "attributeExists" else "attribute_not_exists"
        return ConditionPlan(
            kind=kind, expression=f"{function}(#ce)", names=(("#ce", spec["field"]),), values=()
        )
    if kind == "equals":
        entries = list(spec["fields"].items())
        return ConditionPlan(
            kind=kind,
            expression=" AND ".join(f"#e{i} = :e{i}" for i in range(len(entries))),
            names=tuple((f"#e{i}", field) for i, (field, _) in enumerate(entries)),
            values=tuple(
                (f":e{i}", parse_template(v) if isinstance(v, str) else Literal(value=freeze(v)))
                for i, (_, v) in enumerate(entries)
            ),
        )
    if kind == "expr":
        plan = compile_tree(spec["declarative"])
        if plan is None:
            return None
        return ConditionPlan(kind=kind, expression=plan.text, names=plan.names, values=plan.values)
    # raw: the expression verbatim, spec aliases as given
    return ConditionPlan(
        kind=kind,
        expression=spec["expression"],
        names=tuple(spec.get("names", {}).items()),
        values=tuple((alias, _operand(v)) for alias, v in spec.get("values", {}).items()),
    )


_RANGE_CLAUSES = {
    "begins_with": "begins_with(#kr, :kr)",
    "=": "#kr = :kr",
    "<": "#kr < :kr",
    "<=": "#kr <= :kr",
    ">": "#kr > :kr",
    ">=": "#kr >= :kr",
    "between": "#kr BETWEEN :kr0 AND :kr1",
}


def range_clause(operator: str) -> tuple[str, tuple[str, ...]]:
    """The sort-key clause and its value aliases for a range operator."""
    aliases = (":kr0", ":kr1") if operator == "between" else (":kr",)
    return _RANGE_CLAUSES[operator], aliases


def key_condition_text(attributes: list[str], range_operator: str | None) -> str:
    """``#k0 = :k0 AND ...`` then the range clause (section 7.6)."""
    clauses = [f"#k{i} = :k{i}" for i in range(len(attributes))]
    if range_operator is not None:
        clauses.append(_RANGE_CLAUSES[range_operator])
    return " AND ".join(clauses)
