"""Transaction spec items compiled to Python functions, once per runtime (sections 25 to 28).

A ``forEach`` item builds the same shape for every element. :func:`compile_item` turns one spec
item into the source of one function, ``item(params, out, compact)``, that runs the item's
whole expansion and appends its ``items.Built`` items to ``out``:
the ``forEach`` loop, the ``when`` guard (section 25.2), and the item itself as straight-line
code: for a Put the record, the derived keys (section 10.2) and the condition; for a Delete,
a ConditionCheck or an Update without ``maintain`` or GSI re-derivation, the key, the
``changes`` and ``add`` actions and the condition (section 26.1); for every item its collapse
target and its request size (section 28.1). Params are looked up once per call. The other
Updates call their interpreted builder (``transactions.items._Builder.build``). An item that never
reads
the element is built once; with ``compact`` its copies are only counted (section 27 merges them).

Every lookup, conversion and check happens in the same order as in the interpreted builder,
with the same helpers, so the request is identical (key order included) and the first error is
the same; ``tests/test_transactions_compiled.py`` compares both on a matrix of item shapes and
params. See :mod:`._txsource` for how spec strings are kept out of the source text, and
:mod:`._txvalues` for value resolution and the fast body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any, Protocol

from ..._values.codec import serialize
from ..._values.templates import Template
from ...errors import ParameterValidationError
from ...spec.plans import EntityPlan, Literal, TransactionItemPlan, Value
from .source import Source
from .values import HELPERS, Slot, Val, ValueCompiler

__all__ = ["ItemBuilder", "ItemFn", "compile_item"]

#: ``(params, out, compact) -> None``: append the item's built items to ``out``.
ItemFn = Callable[[Any, list[Any], bool], None]

#: ``transactions.items._delta``: an ADD delta as a number (section 26.1 step 2).
Delta = Callable[[Value, Any, Any, Any, str, str], Any]


class ItemBuilder(Protocol):
    """What the compiler reads from an interpreted builder (``transactions.items._Builder``)."""

    op_id: str
    item: TransactionItemPlan
    table: str
    key_attributes: tuple[str, ...]
    constant: bool
    rederives: bool
    adds: list[tuple[str, Value, Any]]
    formats: Mapping[str, str]

    def build(self, params: Any, element: Any, index: int | None) -> Any: ...

    def check_format(self, field: str, value: Any, index: int | None) -> None: ...


def compile_item(
    builder: ItemBuilder, entity: EntityPlan | None, classes: dict[str, Any]
) -> Source:
    """The source of ``item`` for one spec item; ``Source.build("item")`` gives the function.

    ``classes`` are ``_Built``, ``_Actions`` and ``_delta`` from ``transactions.items``.
    """
    src = Source(
        {**HELPERS, **classes, "_build": builder.build, "_check_format": builder.check_format}
    )
    _ItemCompiler(src, builder, entity).run()
    return src


class _ItemCompiler(ValueCompiler):
    def __init__(self, src: Source, builder: ItemBuilder, entity: EntityPlan | None) -> None:
        super().__init__(src, loop=builder.item.for_each is not None)
        self.builder = builder
        self.item = builder.item
        self.entity = entity
        item = self.item
        #: Built by the interpreted builder: maintain writes and GSI re-derivation.
        self.interpreted = item.type == "Update" and (
            item.maintain is not None or builder.rederives
        )
        self.constant = builder.constant and self.loop
        #: field -> the local holding its last value that passed the format check: a value
        #: read from the params is the same object for every element, so it is checked once.
        self.format_checked: dict[str, str] = {}

    # --- assembly ----------------------------------------------------------------------------

    def run(self) -> None:
        """``item(params, out, compact)``: hoisted lookups, then the loop over elements.

        The body of one element is generated twice: in general, and assuming every looked-up
        value is a str. An element runs the fast body when its values are indeed of type
        ``str``, else the general one.
        """
        src = self.src
        src.namespace["_op"] = self.builder.op_id
        src.namespace["_table"] = self.builder.table
        general = self._element_body(fast=False)
        fast = self._element_body(fast=True)
        assumed = self.assumed
        strs = [p for p in self.hoisted.values() if p in assumed]
        elements = [e for e in self.fetched.values() if e in assumed]
        src.lines, src.depth = [], 0
        with src.block("def item(params, out, compact):"):
            if self.loop:
                src.emit(f"elements = params.get({src.const(self.item.for_each)})")
                with src.block("if not elements:"):
                    src.emit("return")
            for name, local in self.hoisted.items():
                src.emit(f"{local} = params.get({src.const(name)})")
            for local in self.format_checked.values():
                src.emit(f"{local} = None")
            if strs:
                src.emit(f"strs = {' and '.join(f'type({p}) is str' for p in strs)}")
            if self.constant:
                src.emit("first = None")
                src.emit("copies = 0")
            loop = "for index, element in enumerate(elements):"
            with src.block(loop) if self.loop else nullcontext():
                for field, local in self.fetched.items():
                    src.emit(f"{local} = element.get({src.const(field)})")
                if assumed:
                    tests = (["strs"] if strs else []) + [f"type({e}) is str" for e in elements]
                    with src.block(f"if {' and '.join(tests)}:"):
                        self._extend(fast)
                    with src.block("else:"):
                        self._extend(general)
                else:
                    self._extend(general)
            if self.constant:
                with src.block("if copies:"):
                    src.emit("first.copies = copies + 1")

    def _element_body(self, *, fast: bool) -> list[str]:
        self.reset(fast=fast)
        self._guard()
        if not self.constant:
            self.src.emit(f"out.append({self._build()})")
            return self.src.lines
        src = self.src
        with src.block("if first is None:"):
            src.emit(f"first = {self._build()}")
            src.emit("out.append(first)")
        with src.block("elif compact:"):
            src.emit("copies += 1")
        with src.block("else:"):
            src.emit(
                "out.append(_Built(first.type, first.body, first.target, "
                f"({self.item.index:d}, index), first.actions))"
            )
        return src.lines

    def _extend(self, lines: list[str]) -> None:
        indent = "    " * self.src.depth
        self.src.lines.extend(indent + line for line in lines)

    def _build(self) -> str:
        """Emit the item's code; return the expression of its ``Built``."""
        src = self.src
        start, depth = len(src.lines), src.depth
        if self.interpreted:
            where = "element, index" if self.loop else "None, None"
            return f"_build(params, {where})"
        kind = self.item.type
        if kind == "Put":
            body, target, actions, sized = self._put()
        else:
            body, target, actions, sized = self._keyed()
        size = self.size(sized)
        if self.dynamic:
            src.lines.insert(start, "    " * depth + "exact = True")
        index = "index" if self.loop else "None"
        origin = f"({self.item.index:d}, {index})"
        return f"_Built({src.const(kind)}, {body}, {target}, {origin}, {actions}, 1, {size})"

    # --- when (section 25.2) ------------------------------------------------------------------

    def _guard(self) -> None:
        when = self.item.when
        if when is None:
            return
        left = self.text_of(when.left)
        right = self.text_of(when.right)
        skip = "!=" if when.op == "eq" else "=="
        with self.src.block(f"if {left.expr} {skip} {right.expr}:"):
            self.src.emit("continue" if self.loop else "return")

    # --- Put (section 25.3) -------------------------------------------------------------------

    def _put(self) -> tuple[str, str, str, list[tuple[str, Slot]]]:
        """Record fields, derived keys, Item, condition (``_Builder._put``)."""
        src, item = self.src, self.item
        keys = self.builder.key_attributes
        slots: dict[str, Slot] = {}  # the Item, in order
        record: dict[str, Val] = {}
        for name, value in item.item:
            val = self.typed(value)
            self._format(name, val)
            is_key = item.literal_key and name in keys
            slots[name] = self.key_av(name, val) if is_key else self.av(val)
            if not (val.const and val.value is None):
                record[name] = val  # ``record.get`` sees None as absent
        entity = self.entity
        if entity is not None and entity.pk and not item.literal_key:
            slots = self._derive(entity, record, slots)
        else:
            src.emit(f"item = {self.literal(slots)}")
        values = self.condition_values(item.condition)
        body = self._body("Item", "item", values)
        target = ", ".join(self.key_id(slots.get(a), "item", a) for a in keys[:2])
        return body, f"(_table, {target})", "None", [*slots.items(), *values.items()]

    def _derive(
        self, entity: EntityPlan, record: dict[str, Val], slots: dict[str, Slot]
    ) -> dict[str, Slot]:
        """The base keys, then every fully bound GSI key, after the record fields.

        While every derived attribute is new and every GSI so far is always bound, the keys go
        into the Item literal; from there on they are assigned in order, which is exactly what
        ``dict.update`` with the derived keys does. Returns the attributes of the Item literal
        (none when a derived key overwrites a record field); the size is only computed here
        when they are the whole Item.
        """
        src = self.src
        base = [(a, t) for a, t in (("PK", entity.pk), ("SK", entity.sk)) if t is not None]
        gsis = []
        for gsi in entity.gsis:
            pairs = (("PK", gsi.pk), ("SK", gsi.sk))
            present = [(f"{gsi.index_name}{s}", t) for s, t in pairs if t is not None]
            if present:
                gsis.append(present)
        attrs = [a for a, _ in base] + [a for present in gsis for a, _ in present]
        collide = len(set(attrs)) != len(attrs) or any(a in slots for a in attrs)
        lookups: dict[str, Val] = {}
        for _, t in base + [pair for present in gsis for pair in present]:
            for name in t.names:
                if name not in lookups:
                    lookups[name] = record.get(name) or self._environment(name)
        keys: dict[str, Slot] = {}
        for attr, template in base:
            for name in template.names:
                args = ", ".join(map(src.const, (attr, entity.name, template.text, name)))
                self.not_none(lookups[name], f"_underivable(_op, {args})")
                lookups[name] = _checked(lookups[name])
            keys[attr] = self.key_av(attr, self._resolve(template, lookups))
        done = 0
        while not collide and done < len(gsis) and self._bound(gsis[done], lookups):
            for attr, template in gsis[done]:
                keys[attr] = self.key_av(attr, self._resolve(template, lookups))
            done += 1
        src.emit(f"item = {self.literal(slots if collide else {**slots, **keys})}")
        if collide:
            for attr, slot in keys.items():
                src.emit(f"item[{src.const(attr)}] = {slot.av}")
        for present in gsis[done:]:
            self._late_gsi(present, lookups)
        if collide or done < len(gsis):
            self.exact = False
        return {} if collide else {**slots, **keys}

    def _late_gsi(self, present: list[tuple[str, Template]], lookups: dict[str, Val]) -> None:
        """A GSI that may be unbound: every placeholder checked, then, when all are bound, the
        keys resolved and assigned (``_bind.keys.EntityKeys.derive``)."""
        src = self.src
        names = dict.fromkeys(n for _, t in present for n in t.names)
        nullable = [lookups[n].expr for n in names if lookups[n].nullable]
        bound = {**lookups, **{n: _checked(lookups[n]) for n in names}}
        condition = " and ".join(f"{x} is not None" for x in nullable)
        with src.block(f"if {condition}:") if nullable else nullcontext():
            values = [(attr, self._resolve(t, bound)) for attr, t in present]
            avs = [(attr, self.key_av(attr, val).av) for attr, val in values]
            for attr, av in avs:
                src.emit(f"item[{src.const(attr)}] = {av}")

    def _bound(self, present: list[tuple[str, Template]], lookups: dict[str, Val]) -> bool:
        return all(not lookups[n].nullable for _, t in present for n in t.names)

    def _environment(self, name: str) -> Val:
        """A name the record does not bind: the element by bare name, then the params."""
        if not self.loop:
            return Val(self.param(name), nullable=True)
        if name.startswith("item."):
            first, then = self.element(name), self.element(name[5:])
        else:
            first, then = self.element(name), self.param(name)
        local = self.src.local("d")
        self.src.emit(f"{local} = {first} if {first} is not None else {then}")
        return Val(local, nullable=True)

    def _resolve(self, template: Template, lookups: dict[str, Val]) -> Val:
        """``_bind.keys.Key.render`` of names known to be bound: typed for a whole
        placeholder, else text."""
        assert not any(lookups[n].nullable for n in template.names)
        if not template.names:
            return Val(self.src.const(template.text), True, bool(template.text), const=True)
        if template.whole:
            val = lookups[template.names[0]]
            return Val(val.expr, val.is_str, val.nonempty)
        return self.render(template, lookups.__getitem__)

    def _body(self, what: str, local: str, values: dict[str, Slot]) -> str:
        """``{TableName, Item|Key, [names], [values], [ConditionExpression]}``."""
        src = self.src
        parts = ['"TableName": _table', f'"{what}": {local}']
        condition = self.item.condition
        if condition is not None:
            if condition.names:
                names = src.const(dict(condition.names))
                parts.append(f'"ExpressionAttributeNames": {names}.copy()')
            if values:
                src.emit(f"values = {self.literal(values)}")
                parts.append('"ExpressionAttributeValues": values')
            parts.append(f'"ConditionExpression": {src.const(condition.expression)}')
        src.emit(f"body = {{{', '.join(parts)}}}")
        return "body"

    def _format(self, field: str, val: Val) -> None:
        """``_Builder.check_format`` of a written field with a format (section 9.3)."""
        if field not in self.builder.formats or (val.const and val.value is None):
            return
        src = self.src
        checked = self.format_checked.setdefault(field, f"ok{len(self.format_checked)}")
        with src.block(f"if {val.expr} is not {checked}:"):
            index = "index" if self.loop else "None"
            src.emit(f"_check_format({src.const(field)}, {val.expr}, {index})")
            src.emit(f"{checked} = {val.expr}")

    # --- Delete, ConditionCheck, Update (sections 25.4 and 26.1) ------------------------------

    def _keyed(self) -> tuple[str, str, str, list[tuple[str, Slot]]]:
        """The key, then the actions (Update) and the condition."""
        keys = {attr: self.key_av(attr, self.typed(value)) for attr, value in self.item.key}
        self.src.emit(f"key = {self.literal(keys)}")
        if self.item.type == "Update":
            body, actions, values = self._update()
        else:
            values = self.condition_values(self.item.condition)
            body, actions = self._body("Key", "key", values), "None"
        attrs = self.builder.key_attributes[:2]
        target = ", ".join(self.key_id(keys.get(a), "key", a) for a in attrs)
        return body, f"(_table, {target})", actions, [*keys.items(), *values.items()]

    def _update(self) -> tuple[str, str, dict[str, Slot]]:
        """``_Builder._update`` without maintain or GSI re-derivation: body and actions."""
        src, item = self.src, self.item
        changes = [(name, self.typed(value)) for name, value in item.changes]
        values: dict[str, Slot] = {}
        names: dict[str, str] = {}
        sets = []
        for i, (name, val) in enumerate(changes):
            self._format(name, val)
            values[f":c{i}"] = slot = self.av(val)
            names[f"#c{i}"] = name
            shared = slot.av if slot.av.isidentifier() else _bind(src, slot)
            sets.append(f"({src.const(name)}, {shared})")
        adds = []
        for j, (name, value, get) in enumerate(self.builder.adds):
            number, values[f":a{j}"] = self._delta(name, value, get)
            names[f"#a{j}"] = name
            adds.append(f"({src.const(name)}, {number})")
        clauses = []
        if changes:
            clauses.append("SET " + ", ".join(f"#c{i} = :c{i}" for i in range(len(changes))))
        if adds:
            clauses.append("ADD " + ", ".join(f"#a{j} :a{j}" for j in range(len(adds))))
        condition = item.condition
        resolved = self.condition_values(condition)
        if resolved:
            src.emit(f"resolved = {self.literal(resolved)}")
        parts = ['"TableName": _table', '"Key": key']
        if clauses:
            parts.append(f'"UpdateExpression": {src.const(" ".join(clauses))}')
        if condition is not None:
            names = {**names, **dict(condition.names)}
        if names:
            parts.append(f'"ExpressionAttributeNames": {src.const(names)}.copy()')
        entries = [f"{src.const(alias)}: {slot.av}" for alias, slot in values.items()]
        if resolved:
            entries.append("**resolved")  # ``{**values, **condition values}``
        if entries:
            parts.append(f'"ExpressionAttributeValues": {{{", ".join(entries)}}}')
        if condition is not None:
            parts.append(f'"ConditionExpression": {src.const(condition.expression)}')
        src.emit(f"body = {{{', '.join(parts)}}}")
        kept = "None"
        if condition is not None:
            kept = (
                f"({src.const(dict(condition.names))}.copy(), {'resolved' if resolved else '{}'}, "
                f"{src.const(condition.expression)})"
            )
        actions = f"_Actions([{', '.join(sets)}], [{', '.join(adds)}], {kept}, False)"
        return "body", actions, {**values, **resolved}

    def _delta(self, name: str, value: Value, get: Any) -> tuple[str, Slot]:
        """The ADD number and its AV: a constant when the spec value is one."""
        src = self.src
        delta: Delta = src.namespace["_delta"]
        op_id = self.builder.op_id
        if type(value) is Literal or (type(value) is Template and not value.names):
            try:  # the same call, made once: a constant gives a constant (or the same error)
                number = delta(value, get, {}, None, op_id, name)
                av = serialize(number, op_id=op_id)
            except ParameterValidationError:
                pass
            else:
                if list(av) == ["N"] and type(av["N"]) is str:
                    n = src.const(av["N"])
                    return src.const(number), Slot(f'{{"N": {n}}}', None, False, len(av["N"]))
        element = "element" if self.loop else "None"
        number_local, a = src.local("n"), src.local("a")
        args = f"{src.const(value)}, {src.const(get)}, params, {element}, _op, {src.const(name)}"
        src.emit(f"{number_local} = _delta({args})")
        src.emit(f"{a} = _serialize({number_local}, op_id=_op)")
        return number_local, Slot(a, None, False)


def _checked(val: Val) -> Val:
    """``val`` once it is known not to be None."""
    return Val(val.expr, val.is_str, val.nonempty)


def _bind(src: Source, slot: Slot) -> str:
    """A slot's AV as a local, so that the body and the actions share one object."""
    local = src.local("v")
    src.emit(f"{local} = {slot.av}")
    slot.av = local
    return local
