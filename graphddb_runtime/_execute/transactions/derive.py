"""Key derivation inside transaction items (docs/format.md sections 10.2, 10.3 and 25.3).

The derivation environment is the record (or the resolved changes), then the ``forEach``
element by bare name, then the caller params. :class:`Keys` derives a Put's base and GSI keys,
:class:`Regsi` re-derives the GSI keys an Update's changes affect. Both are compiled once per
spec item; ``_txcompile`` generates the same derivation as straight-line code for Puts, with
the same errors (:func:`underivable`, :func:`key_av`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..._bind.getters import Element, Params
from ..._values.codec import serialize_key
from ..._values.templates import Template, text
from ...errors import ParameterValidationError
from ...spec.plans import EntityPlan, TableSchema

__all__ = ["AV", "Keys", "Missing", "Regsi", "Resolver", "key_av", "key_names", "underivable"]

AV = dict[str, Any]

#: ``(record, params, element) -> value or None``: record, then element by bare name, then params.
Derived = Callable[[Mapping[str, Any], Params, Element], Any]


def _derived(name: str) -> Derived:
    if name.startswith("item."):
        field = name[5:]

        def find_item(record: Mapping[str, Any], params: Params, element: Element) -> Any:
            value = record.get(name)
            if value is None and element is not None:
                value = element.get(name)
            if value is None:
                value = params.get(name) if element is None else element.get(field)
            return value

        return find_item

    def find(record: Mapping[str, Any], params: Params, element: Element) -> Any:
        value = record.get(name)
        if value is None:
            if element is not None:
                value = element.get(name)
                if value is not None:
                    return value
            return params.get(name)
        return value

    return find


class Resolver:
    """One entity template resolved in the derivation environment."""

    __slots__ = ("head", "op_id", "parts", "template", "whole")

    def __init__(self, template: Template, op_id: str) -> None:
        self.template = template
        self.op_id = op_id
        self.head = template.literals[0]
        self.parts = tuple(
            (_derived(n), n, tail)
            for n, tail in zip(template.names, template.literals[1:], strict=True)
        )
        self.whole = template.whole

    def resolve(self, record: Mapping[str, Any], params: Params, element: Element) -> Any:
        """The value, or ``Missing(name)`` for the first unbound name."""
        if self.whole:
            find, name, _ = self.parts[0]
            value = find(record, params, element)
            return value if value is not None else Missing(name)
        out = self.head
        for find, name, tail in self.parts:
            v = find(record, params, element)
            if v is None:
                return Missing(name)
            if type(v) is not str:
                v = text(v, op_id=self.op_id, template=self.template)
            out += v + tail
        return out


class Missing:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def key_av(value: Any, op_id: str, attribute: str) -> AV:
    """A key attribute's AttributeValue (a non-empty string, a number or bytes)."""
    if type(value) is str and value:
        return {"S": value}
    return serialize_key(value, op_id=op_id, attribute=attribute)


def key_names(tables: Iterable[TableSchema | None]) -> frozenset[str]:
    """Every table and index key attribute of ``tables`` (the key-size pre-flight, 22.3)."""
    return frozenset(
        attr
        for table in tables
        if table is not None
        for attrs in (table.key_attributes, *table.indexes.values())
        for attr in attrs
    )


def underivable(
    op_id: str, attribute: str, entity: str, template: str, name: str
) -> ParameterValidationError:
    """A base key whose template references an unbound field (section 10.2)."""
    return ParameterValidationError(
        f"{op_id}: cannot derive key attribute '{attribute}' of entity '{entity}': template "
        f"'{template}' references unbound field '{name}'"
    )


class Keys:
    """Compiled section 10.2 steps 3 and 4: the base key, then every fully bound GSI key."""

    __slots__ = ("base", "entity", "gsis", "op_id")

    def __init__(self, entity: EntityPlan, op_id: str) -> None:
        self.entity = entity
        self.op_id = op_id
        pairs = (("PK", entity.pk), ("SK", entity.sk))
        self.base = [(attr, Resolver(t, op_id)) for attr, t in pairs if t is not None]
        self.gsis = []
        for gsi in entity.gsis:
            templates = (("PK", gsi.pk), ("SK", gsi.sk))
            present = [(f"{gsi.index_name}{s}", Resolver(t, op_id)) for s, t in templates if t]
            if present:
                self.gsis.append(present)

    def derive(self, record: Mapping[str, Any], params: Params, element: Element) -> dict[str, AV]:
        op_id = self.op_id
        out: dict[str, AV] = {}
        for attr, template in self.base:
            value = template.resolve(record, params, element)
            if type(value) is Missing:
                raise underivable(op_id, attr, self.entity.name, template.template.text, value.name)
            out[attr] = key_av(value, op_id, attr)
        for present in self.gsis:
            values = []
            for attr, template in present:
                value = template.resolve(record, params, element)
                if type(value) is Missing:
                    break
                values.append((attr, value))
            else:
                for attr, value in values:
                    out[attr] = key_av(value, op_id, attr)
        return out


class Regsi:
    """Compiled section 10.3 GSI re-derivation for a static set of changed fields."""

    __slots__ = ("affected", "op_id")

    def __init__(self, entity: EntityPlan | None, changed: tuple[str, ...], op_id: str) -> None:
        self.op_id = op_id
        self.affected = []
        for gsi in entity.gsis if entity is not None else ():
            hit = [d for d in gsi.dependencies if d in changed]
            if not hit:
                continue
            finds = [(_derived(d), d) for d in gsi.dependencies]
            templates = [
                (f"{gsi.index_name}{s.upper()}", s, Resolver(t, op_id))
                for s, t in (("pk", gsi.pk), ("sk", gsi.sk))
                if t is not None
            ]
            self.affected.append((gsi.index_name, hit, finds, templates))

    def sets(
        self, changes: Mapping[str, Any], params: Params, element: Element
    ) -> list[tuple[str, str, AV]]:
        """``(alias suffix, attribute, AV)`` per re-derived key, in alias order."""
        out = []
        for n, (index_name, hit, finds, templates) in enumerate(self.affected):
            missing = [d for find, d in finds if find(changes, params, element) is None]
            if missing:
                pronoun = "them" if len(missing) > 1 else "it"
                raise ParameterValidationError(
                    f"{self.op_id}: updating {_quoted(hit)} affects index '{index_name}' "
                    f"(also depends on {_quoted(missing)}); provide {pronoun}, or use "
                    "read-modify-write."
                )
            for attr, suffix, template in templates:
                value = template.resolve(changes, params, element)
                out.append((f"{n}{suffix}", attr, key_av(value, self.op_id, attr)))
        return out


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)
