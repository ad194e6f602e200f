"""Spec values as generated code: the base of the transaction item compiler
(``transactions.compile``).

:class:`ValueCompiler` emits, into one ``source.Source``, the code
that resolves a spec value for one ``forEach`` element exactly as ``_bind.getters`` does
(docs/format.md
section 5): the lookup (``{item.f}`` in the element, anything else in the params, hoisted out
of the loop), the None check with its error, the text conversion, and the AttributeValue of
section 1.4 with the request size of section 28.1. Each method returns what is known about the
result statically (:class:`Val`, :class:`Slot`), so the code that follows can skip the checks
and conversions that cannot apply.

With ``fast``, every looked-up value is assumed to be a ``str`` (the assembled function only
runs that body after checking it), which removes every None check, type test and conversion.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..._bind.getters import param_unbound
from ..._bind.keys import underivable
from ..._values.codec import serialize
from ..._values.templates import Template, text, unbound
from ...spec.plans import ConditionPlan, Literal, ParamRef, Value, thaw
from ..batch import canonical
from .derive import key_av
from .source import Source

__all__ = ["HELPERS", "Slot", "Val", "ValueCompiler"]

#: Up to this many parts, a rendered text is built with ``+`` (faster than ``str.join``).
_CONCATENATED = 8

#: The functions generated code calls, by the names it uses.
HELPERS: dict[str, Any] = {
    "_key_av": key_av,
    "_key_id": lambda av: ("S", av["S"]) if type(av.get("S")) is str else canonical(av),
    "_param_unbound": param_unbound,
    "_serialize": serialize,
    "_text": text,
    "_unbound": unbound,
    "_underivable": underivable,
}


class Val:
    """A value in generated code: an expression (a local or a constant's name) and what is
    known about it when the code is generated."""

    __slots__ = ("const", "expr", "is_str", "nonempty", "nullable", "value")

    def __init__(  # noqa: PLR0917 - a record; a dataclass would cost import time
        self,
        expr: str,
        is_str: bool = False,  # always a str
        nonempty: bool = False,  # a str that is never empty
        nullable: bool = False,  # may still be None
        const: bool = False,  # a constant; ``value`` holds it
        value: Any = None,
    ) -> None:
        self.expr = expr
        self.is_str = is_str
        self.nonempty = nonempty
        self.nullable = nullable
        self.const = const
        self.value = value


class Slot:
    """An AttributeValue in generated code: its expression and, for the size and the target,
    the expression of its ``S`` text (``always_s``: the AV is ``{"S": text}`` whenever the
    code gets past it) or its size when it is a constant."""

    __slots__ = ("always_s", "av", "size", "text")

    def __init__(self, av: str, text: str | None, always_s: bool, size: int | None = None):
        self.av = av
        self.text = text
        self.always_s = always_s
        self.size = size


class ValueCompiler:
    """Emits value resolution into ``src``; one instance generates one item function."""

    def __init__(self, src: Source, *, loop: bool) -> None:
        self.src = src
        self.loop = loop
        self.hoisted: dict[str, str] = {}  # param name -> local, looked up once per call
        self.fetched: dict[str, str] = {}  # element field -> local, fetched once per element
        self.reset(fast=False)

    def reset(self, *, fast: bool) -> None:
        """Start the body of one element (depth 0 here, indented when assembled)."""
        self.src.lines, self.src.depth = [], 0
        self.fast = fast
        self.assumed: set[str] = set()  # the locals the fast body assumes are str
        self.exact = True  # the request size can be computed while building
        self.dynamic = False  # a value's type is only known at run time: ``exact`` local
        # Facts established at the top level of the body, so true for the rest of it: locals
        # already checked not None, and the text of a local or a concatenation (``text`` does
        # not depend on the template, which only names the culprit when it raises).
        self.checked: set[str] = set()
        self.texts: dict[str, str] = {}

    # --- lookups ------------------------------------------------------------------------------

    def param(self, name: str) -> str:
        local = self.hoisted.get(name)
        if local is None:
            local = self.hoisted[name] = f"p{len(self.hoisted)}"
        return local

    def element(self, field: str) -> str:
        """``element.get(field)``, fetched once at the top of each iteration."""
        local = self.fetched.get(field)
        if local is None:
            local = self.fetched[field] = f"e{len(self.fetched)}"
        return local

    def lookup(self, name: str) -> Val:
        """``_bind.getters.lookup``: ``{item.f}`` reads the element, anything else the params."""
        if self.loop and name.startswith("item."):
            local = self.element(name[5:])
        else:
            local = self.param(name)
        if self.fast:
            self.assumed.add(local)
            return Val(local, is_str=True)
        return Val(local, nullable=True)

    # --- typed and text resolution (``_bind.getters.getter`` / ``text_getter``) ------------

    def typed(self, value: Value | ParamRef) -> Val:
        src = self.src
        if type(value) is ParamRef:
            val = self.lookup(value.name)
            self.not_none(val, f"_param_unbound(_op, {src.const(value.name)})")
            return Val(val.expr, val.is_str)
        if type(value) is Literal:
            constant = thaw(value.value)
            is_str = type(constant) is str
            return Val(src.const(constant), is_str, bool(constant), False, True, constant)
        assert type(value) is Template
        if not value.names:
            return Val(src.const(value.text), True, bool(value.text), False, True, value.text)
        if value.whole:
            val = self.lookup(value.names[0])
            t, name = src.const(value, "_t"), src.const(value.names[0])
            self.not_none(val, f"_unbound(_op, {t}, {name})")
            return Val(val.expr, val.is_str)
        return self.render(value, self.lookup)

    def text_of(self, template: Template) -> Val:
        """Text resolution: a whole placeholder is rendered too (``when``, section 25.2)."""
        typed = self.typed(template)
        if typed.is_str:
            return typed
        return Val(self.as_text(typed.expr, template), True)

    def not_none(self, val: Val, error: str) -> None:
        """``if val is None: raise error``, unless it cannot be or is already known not."""
        if not val.nullable or val.expr in self.checked:
            return
        with self.src.block(f"if {val.expr} is None:"):
            self.src.emit(f"raise {error}")
        if self.src.depth == 0:
            self.checked.add(val.expr)

    def as_text(self, expr: str, template: Template) -> str:
        """``text(expr)`` for a value that may not be a str."""
        src = self.src
        known = self.texts.get(expr)
        if known is not None:
            return known
        local = src.local("s")
        t = src.const(template, "_t")
        src.emit(
            f"{local} = {expr} if type({expr}) is str else _text({expr}, op_id=_op, template={t})"
        )
        if src.depth == 0:
            self.texts[expr] = local
        return local

    def render(self, template: Template, find: Callable[[str], Val]) -> Val:
        """A mixed template's text: each part looked up, checked (``UnboundParameterError``),
        converted, in order."""
        src = self.src
        t = src.const(template, "_t")
        pieces = [src.const(template.literals[0])] if template.literals[0] else []
        for name, tail in zip(template.names, template.literals[1:], strict=True):
            val = find(name)
            if val.nullable:
                self.not_none(val, f"_unbound(_op, {t}, {src.const(name)})")
            pieces.append(val.expr if val.is_str else self.as_text(val.expr, template))
            if tail:
                pieces.append(src.const(tail))
        # One flat expression whatever the template's length: a long ``a + b + ...`` chain is
        # a deeply nested tree that CPython's compiler cannot handle.
        if len(pieces) <= _CONCATENATED:
            expression = " + ".join(pieces)
        else:
            expression = '"".join((' + ", ".join(pieces) + "))"
        local = self.texts.get(expression)
        if local is None:
            local = src.local("r")
            src.emit(f"{local} = {expression}")
            if src.depth == 0:
                self.texts[expression] = local
        return Val(local, True, any(template.literals))

    # --- AttributeValues (section 1.4) --------------------------------------------------------

    def av(self, val: Val) -> Slot:
        """``serialize``: ``S`` for a str, else the general encoding."""
        if val.is_str:
            return Slot(f'{{"S": {val.expr}}}', val.expr, True)
        return self._encoded(val, f"type({val.expr}) is str", f"_serialize({val.expr}, op_id=_op)")

    def key_av(self, attr: str, val: Val) -> Slot:
        """``key_av``: ``S`` for a non-empty str, else ``serialize_key`` (which may raise)."""
        src = self.src
        x = val.expr
        if val.is_str and val.nonempty:
            return Slot(f'{{"S": {x}}}', x, True)
        slow = f"_key_av({x}, _op, {src.const(attr)})"
        if val.is_str and not val.const:
            a = src.local("a")
            src.emit(f'{a} = {{"S": {x}}} if {x} else {slow}')
            return Slot(a, x, True)
        return self._encoded(val, f"type({x}) is str and {x}", slow)

    def _encoded(self, val: Val, fast: str, slow: str) -> Slot:
        """``{"S": val}`` when ``fast`` holds, else ``slow`` (which may raise; the request size is
        then left to the pre-flight); a constant always takes ``slow`` (once)."""
        src = self.src
        a = src.local("a")
        if val.const:  # an empty text or a non-text literal
            src.emit(f"{a} = {slow}")
            return Slot(a, None, False)
        with src.block(f"if {fast}:"):
            src.emit(f'{a} = {{"S": {val.expr}}}')
        with src.block("else:"):
            src.emit(f"{a} = {slow}")
            src.emit("exact = False")
        self.dynamic = True
        return Slot(a, val.expr, False)

    def literal(self, slots: dict[str, Slot]) -> str:
        """A dict display of attribute -> AV, in order."""
        return "{" + ", ".join(f"{self.src.const(a)}: {s.av}" for a, s in slots.items()) + "}"

    # --- condition, target and size -----------------------------------------------------------

    def condition_values(self, condition: ConditionPlan | None) -> dict[str, Slot]:
        """The condition's values, resolved and serialized alias by alias (section 11)."""
        if condition is None:
            return {}
        return {alias: self.av(self.typed(value)) for alias, value in condition.values}

    def key_id(self, slot: Slot | None, container: str, attr: str) -> str:
        """One canonical key of the collapse target, flattened: ``kind, value``."""
        if slot is not None and slot.always_s:
            return f'"S", {slot.text}'
        if slot is not None and slot.av.isidentifier():
            return f"*_key_id({slot.av})"
        return f"*_key_id({container}[{self.src.const(attr)}])"

    def size(self, attributes: list[tuple[str, Slot]]) -> str:
        """Section 28.1 size of ``attributes`` (Item or Key, then the values), or ``-1``:
        counted by the pre-flight instead (also for any non-ASCII text, so encoding errors
        surface where they always did)."""
        if not self.exact:
            return "-1"
        total = sum(len(name.encode()) for name, _ in attributes)
        texts = []
        for _, slot in attributes:
            if slot.size is not None:
                total += slot.size
            elif slot.text is None:
                return "-1"
            else:
                texts.append(slot.text)
        if not texts:
            return f"{total:d}"
        src = self.src
        parts = ", ".join(texts) + ("," if len(texts) == 1 else "")
        if not self.dynamic:
            src.emit(f'j = "".join(({parts}))')
            src.emit(f"size = {total:d} + len(j) if j.isascii() else -1")
            return "size"
        with src.block("if exact:"):
            src.emit(f'j = "".join(({parts}))')
            src.emit(f"size = {total:d} + len(j) if j.isascii() else -1")
        with src.block("else:"):
            src.emit("size = -1")
        return "size"
