"""Plan values compiled to small closures, for paths that resolve the same templates many times.

A transaction with ``forEach`` resolves every template of an item once per element. Resolving
through :class:`~graphddb_runtime._values.templates.Bindings` costs a few Python calls per name; the
getters here decide once, at compile time, where each name is looked up, so a per-element
resolution is one closure call per value. They implement exactly the semantics of
``_values.templates.resolve`` / ``render`` and ``_bind.requests.value_of`` (docs/format.md section
5), with the
same error messages; ``tests/test_transactions.py`` pins them through the public API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._values.templates import Template, text, unbound
from ..errors import UnboundParameterError
from ..spec.plans import Literal, ParamRef, Value, thaw

__all__ = [
    "Getter",
    "Lookup",
    "getter",
    "lookup",
    "maintain_source",
    "param_unbound",
    "result_lookup",
    "text_getter",
]

Params = Mapping[str, Any]
Element = Mapping[str, Any] | None
#: ``(params, element) -> value``; raises ``UnboundParameterError`` when a name is unbound.
Getter = Callable[[Params, Element], Any]
#: ``(params, element) -> value or None``: where one name is looked up (section 5.2).
Lookup = Callable[[Params, Element], Any]


def lookup(name: str) -> Lookup:
    """``{item.f}`` reads the element (when there is one), anything else the params."""
    if name.startswith("item."):
        field = name[5:]

        def element_or_param(params: Params, element: Element) -> Any:
            return element.get(field) if element is not None else params.get(name)

        return element_or_param

    def param(params: Params, element: Element) -> Any:
        return params.get(name)

    return param


def result_lookup(name: str) -> Lookup:
    """Relation bindings (section 16.4): ``{result.f}`` reads the parent record (passed in the
    second position), anything else the caller params."""
    if name.startswith("result."):
        field = name[7:]
        return lambda params, parent: parent.get(field)  # type: ignore[union-attr]
    return lambda params, parent: params.get(name)


Finder = Callable[[str], Lookup]


def getter(value: Value | ParamRef, op_id: str, find: Finder = lookup) -> Getter:
    """Typed resolution of a spec value (``_bind.requests.value_of``); ``find`` says where each name
    is looked up (:func:`lookup` for transactions, :func:`result_lookup` for relations)."""
    if type(value) is ParamRef:
        return _param_ref(value.name, op_id, find)
    if type(value) is Literal:
        constant = thaw(value.value)
        return lambda params, element: constant
    assert type(value) is Template
    if not value.names:
        literal = value.text
        return lambda params, element: literal
    if value.whole:
        return _whole(value, op_id, find)
    return _mixed(value, op_id, find)


def text_getter(template: Template, op_id: str) -> Getter:
    """Text resolution: a whole placeholder is rendered as text too (``when`` guards)."""
    if template.whole:
        typed = _whole(template, op_id)

        def as_text(params: Params, element: Element) -> str:
            value = typed(params, element)
            return value if type(value) is str else text(value, op_id=op_id, template=template)

        return as_text
    if not template.names:
        literal = template.text
        return lambda params, element: literal
    return _mixed(template, op_id)


def param_unbound(op_id: str, name: str) -> UnboundParameterError:
    """The error of a ``{"$param": name}`` operand whose name is unbound."""
    return UnboundParameterError(f"{op_id}: '$param' references unbound parameter '{name}'")


def _param_ref(name: str, op_id: str, finder: Finder) -> Getter:
    find = finder(name)

    def get(params: Params, element: Element) -> Any:
        value = find(params, element)
        if value is None:
            raise param_unbound(op_id, name)
        return value

    return get


def _whole(template: Template, op_id: str, finder: Finder = lookup) -> Getter:
    name = template.names[0]
    find = finder(name)

    def get(params: Params, element: Element) -> Any:
        value = find(params, element)
        if value is None:
            raise unbound(op_id, template, name)
        return value

    return get


def _mixed(template: Template, op_id: str, finder: Finder = lookup) -> Getter:
    head = template.literals[0]
    parts = [
        (finder(name), name, tail)
        for name, tail in zip(template.names, template.literals[1:], strict=True)
    ]

    def get(params: Params, element: Element) -> str:
        out = head
        for find, name, tail in parts:
            value = find(params, element)
            if value is None:
                raise unbound(op_id, template, name)
            if type(value) is not str:
                value = text(value, op_id=op_id, template=template)
            out += value + tail
        return out

    return get


def maintain_source(input_field: str, params: Params, element: Element, op_id: str) -> Any:
    """The typed source value of a maintain projection (section 26.3): ``item.<f>`` reads the
    element, anything else the params; an absent source is an error."""
    if input_field.startswith("item.") and element is not None:
        container: Mapping[str, Any] = element
        name = input_field[5:]
    else:
        container, name = params, input_field
    if name not in container:
        raise UnboundParameterError(
            f"{op_id}: maintain inputField '{input_field}' references unbound parameter '{name}'"
        )
    return container[name]
