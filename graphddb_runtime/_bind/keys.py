"""Base and GSI key derivation (docs/format.md sections 10.2, 10.3 and 25.3), the one
implementation: commands (``requests``), transaction items (``_execute/transactions``),
contracts and the middleware rebuilds all derive through :func:`entity_keys`.

The derivation environment is the record (or the resolved changes), then the ``forEach``
element by bare name (transactions only), then the caller params; a name bound to ``None`` is
unbound. :class:`EntityKeys` is compiled once per entity: it knows every name its key templates
read and how to look each up, so one derivation looks every name up once, checks what must be
bound, and only then renders (an unbound name is reported before any text conversion).

Derived values are plain values; each caller serializes them with its own key rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._values.templates import Env, Template, resolve
from ..errors import ParameterValidationError
from ..spec.plans import EntityPlan, GsiPlan
from .getters import Element

__all__ = [
    "EntityKeys",
    "Find",
    "Key",
    "derived_lookup",
    "entity_keys",
    "underivable",
]

Record = Mapping[str, Any]
#: ``(record, params, element) -> value or None``: where one name is looked up.
Find = Callable[[Record, Env, Element], Any]


def derived_lookup(name: str) -> Find:
    """The record, then the element by bare name, then the params (an ``item.f`` name falls
    back to the element's ``f`` instead of the params when there is an element)."""
    if name.startswith("item."):
        field = name[5:]

        def find_item(record: Record, params: Env, element: Element) -> Any:
            value = record.get(name)
            if value is None and element is not None:
                value = element.get(name)
            if value is None:
                value = params.get(name) if element is None else element.get(field)
            return value

        return find_item

    def find(record: Record, params: Env, element: Element) -> Any:
        value = record.get(name)
        if value is None:
            if element is not None:
                value = element.get(name)
                if value is not None:
                    return value
            return params.get(name)
        return value

    return find


def underivable(
    op_id: str, attribute: str, entity: str, template: str, name: str
) -> ParameterValidationError:
    """A base key whose template references an unbound field (section 10.2 step 3)."""
    return ParameterValidationError(
        f"{op_id}: cannot derive key attribute '{attribute}' of entity '{entity}': template "
        f"'{template}' references unbound field '{name}'"
    )


def _affects(op_id: str, changed: list[str], index: str, missing: list[str]) -> str:
    """Section 10.3: an affected GSI with an unbound dependency."""
    pronoun = "them" if len(missing) > 1 else "it"
    return (
        f"{op_id}: updating {_quoted(changed)} affects index '{index}' "
        f"(also depends on {_quoted(missing)}); provide {pronoun}, or use read-modify-write."
    )


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


class Key:
    """One key attribute and its template."""

    __slots__ = ("attr", "names", "template")

    def __init__(self, attr: str, template: Template) -> None:
        self.attr = attr
        self.template = template
        self.names = template.names

    def render(self, bound: Mapping[str, Any], op_id: str) -> Any:
        """The value from names known to be bound (section 5.3)."""
        return resolve(self.template, bound, op_id)


def _gsi_keys(gsi: GsiPlan) -> list[Key]:
    pairs = (("PK", gsi.pk), ("SK", gsi.sk))
    return [Key(f"{gsi.index_name}{s}", t) for s, t in pairs if t is not None]


class EntityKeys:
    """An entity's key templates, compiled for derivation."""

    __slots__ = ("base", "entity", "finds", "gsis")

    def __init__(self, entity: EntityPlan) -> None:
        self.entity = entity
        pairs = (("PK", entity.pk), ("SK", entity.sk))
        self.base = [Key(attr, t) for attr, t in pairs if t is not None]
        #: Per GSI, in manifest order: the index, its keys and its dependency lookups.
        self.gsis = [
            (gsi, _gsi_keys(gsi), [(d, derived_lookup(d)) for d in gsi.dependencies])
            for gsi in entity.gsis
        ]
        names: dict[str, Find] = {}
        for key in self.keys():
            for name in key.names:
                if name not in names:
                    names[name] = derived_lookup(name)
        self.finds = tuple(names.items())

    def keys(self) -> list[Key]:
        """Every key attribute: the base key, then the GSI keys in manifest order."""
        return [*self.base, *(key for _, keys, _ in self.gsis for key in keys)]

    def template(self, attr: str) -> Template | None:
        """The template of a derived attribute (for messages)."""
        return next((key.template for key in self.keys() if key.attr == attr), None)

    def lookup(self, record: Record, params: Env, element: Element) -> dict[str, Any]:
        """Every name the key templates read, looked up once."""
        return {name: find(record, params, element) for name, find in self.finds}

    def derive(
        self, record: Record, params: Env, element: Element, op_id: str
    ) -> list[tuple[str, Any]]:
        """Section 10.2 steps 3 and 4: the base key, then every fully bound GSI key."""
        bound = self.lookup(record, params, element)
        derived: list[tuple[str, Any]] = []
        for key in self.base:
            for name in key.names:
                if bound[name] is None:
                    raise underivable(op_id, key.attr, self.entity.name, key.template.text, name)
            derived.append((key.attr, key.render(bound, op_id)))
        for _, keys, _ in self.gsis:
            if all(bound[name] is not None for key in keys for name in key.names):
                derived.extend((key.attr, key.render(bound, op_id)) for key in keys)
        return derived

    def affected(self, changed: tuple[str, ...]) -> bool:
        """Whether changing these fields affects a GSI (section 10.3)."""
        return any(d in changed for _, _, dependencies in self.gsis for d, _ in dependencies)

    def rederive(
        self,
        changes: Record,
        params: Env,
        element: Element,
        op_id: str,
    ) -> list[tuple[str, str, Any]]:
        """Section 10.3: ``(alias, attribute, value)`` per re-derived key, in alias order; the
        alias is ``{n}pk`` / ``{n}sk`` for the n-th affected GSI.

        Every affected GSI is checked before any is resolved.
        """
        affected = []
        for gsi, keys, dependencies in self.gsis:
            changed = [d for d, _ in dependencies if d in changes]
            if not changed:
                continue
            missing = [d for d, find in dependencies if find(changes, params, element) is None]
            if missing:
                raise ParameterValidationError(_affects(op_id, changed, gsi.index_name, missing))
            affected.append(keys)
        if not affected:
            return []
        bound = self.lookup(changes, params, element)
        return [
            (f"{n}{key.attr[-2:].lower()}", key.attr, key.render(bound, op_id))
            for n, keys in enumerate(affected)
            for key in keys
        ]


_COMPILED: dict[int, EntityKeys] = {}


def entity_keys(entity: EntityPlan) -> EntityKeys:
    """The entity's compiled keys (compiled on first use; keeps the plan alive)."""
    found = _COMPILED.get(id(entity))
    if found is None or found.entity is not entity:
        if len(_COMPILED) > 4096:
            _COMPILED.clear()
        found = _COMPILED[id(entity)] = EntityKeys(entity)
    return found
