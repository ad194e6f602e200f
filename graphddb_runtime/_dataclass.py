"""``@dataclass`` without the import-time cost, for the runtime's own flat, slotted classes.

The standard decorator compiles five or six generated methods per class (``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, frozen ``__setattr__``/``__delattr__``): about 0.4 ms each
class, so ~22 ms for this package at import, which Lambda pays on every cold start. Here every
class shares one implementation of the methods other than ``__init__`` (a class's fields are its
``__slots__``), and ``__init__``, the method whose speed matters (plans are built by the thousand),
is the standard source compiled ahead of time: ``_inits.py``, written by ``_initsgen.py``, holds it
for every class of the package, and is used only when it was generated from the very source this
module would compile (else that source is compiled here and the class is listed in
:data:`STALE`). About 0.02 ms a class.

Type checkers see the standard :func:`dataclasses.dataclass` (the ``TYPE_CHECKING`` branch), so the
static contract is the standard one. At run time a class gets the fast path only when it uses the
subset below; anything else (a base class, ``ClassVar``/``InitVar`` fields, ``field()`` options
other than ``default``/``default_factory``, flags other than these three) goes to the standard
decorator unchanged and is recorded in :data:`FALLBACKS` (a test keeps it empty for this package).

The fast path is the standard behaviour for that subset: the same ``__init__`` signature (keyword-
only or not, defaults, ``<factory>`` defaults, ``__post_init__``), ``__repr__``, ``__eq__``,
``__hash__`` (``None`` unless frozen), ``FrozenInstanceError`` on assignment, ``__slots__``,
``__match_args__`` and pickling. ``__dataclass_fields__`` is built on first access by running the
standard decorator on a copy of the declaration, so :func:`dataclasses.fields`,
:func:`dataclasses.replace` and :func:`dataclasses.asdict` work. ``tests/test_dataclass.py`` checks
each of these against the standard decorator for every class of the package. Two differences, both
outside what the package relies on: a class without a docstring keeps ``__doc__`` empty (the
standard decorator writes the signature there), and assigning an attribute that is not a field of
a frozen instance raises ``AttributeError`` (CPython 3.11's decorator raises a ``TypeError``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
from dataclasses import MISSING, Field, FrozenInstanceError, field
from reprlib import recursive_repr
from types import CodeType, FunctionType
from typing import TYPE_CHECKING, Any

from . import _inits

__all__ = ["FALLBACKS", "dataclass", "fast_dataclass", "field"]

#: Qualified names of classes that took the standard decorator (outside the fast subset).
FALLBACKS: list[str] = []
#: Qualified name -> ``__init__`` source of every fast class (what ``_inits.py`` is made from).
SOURCES: dict[str, str] = {}
#: Fast classes whose ``__init__`` was compiled at import because ``_inits.py`` is stale.
STALE: list[str] = []

#: A field's parts: name, annotation (a string: every module uses postponed annotations),
#: default and default factory (``MISSING`` when absent).
_Spec = tuple[str, str, Any, Any]


class _Factory:
    """The default of a ``default_factory`` parameter (shown as ``<factory>``, as stdlib)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def fast_dataclass(
    cls: type | None = None,
    /,
    *,
    frozen: bool = False,
    slots: bool = False,
    kw_only: bool = False,
) -> Any:
    """``dataclasses.dataclass`` for ``slots=True`` classes; see the module docstring."""

    def wrap(klass: type) -> type:
        fast = _build(klass, frozen, kw_only) if slots else None
        if fast is not None:
            return fast
        FALLBACKS.append(f"{klass.__module__}.{klass.__qualname__}")
        return dataclasses.dataclass(frozen=frozen, slots=slots, kw_only=kw_only)(klass)

    return wrap if cls is None else wrap(cls)


def _fields(klass: type) -> list[_Spec] | None:
    """``(name, annotation, default, factory)`` per field, or None outside the fast subset."""
    if klass.__bases__ != (object,) or "__slots__" in klass.__dict__:
        return None
    found: list[_Spec] = []
    for name, annotation in inspect.get_annotations(klass).items():
        if not isinstance(annotation, str) or annotation.startswith(
            ("ClassVar", "InitVar", "typing.", "dataclasses.")
        ):
            return None
        if name in ("self", "_setattr", "_FACTORY") or name.startswith("_f_"):
            return None  # would shadow a name the generated __init__ uses
        default: Any = klass.__dict__.get(name, MISSING)
        factory: Any = MISSING
        if isinstance(default, Field):
            options = (default.init, default.repr, default.hash, default.compare, default.kw_only)
            if options != (True, True, None, True, MISSING) or default.metadata:
                return None  # field(init=False, repr=False, ...): the standard decorator
            default, factory = default.default, default.default_factory
        found.append((name, annotation, default, factory))
    return found


def _init(klass: type, fields: list[_Spec], frozen: bool, kw_only: bool) -> Any:
    """``__init__``: the code precompiled in ``_inits.py`` when its source matches, else compiled.

    The source has no default values (a code object never holds them): they are set on the
    function, so the same code serves any defaults and the precompiled copy stays valid.
    """
    params, body, defaults = [], [], {}
    names: dict[str, Any] = {"_setattr": object.__setattr__, "_FACTORY": _FACTORY}
    for name, _annotation, default, factory in fields:
        value = name
        if factory is not MISSING:
            names[f"_f_{name}"] = factory
            value = f"_f_{name}() if {name} is _FACTORY else {name}"
            defaults[name] = _FACTORY
        elif default is not MISSING:
            defaults[name] = default
        elif defaults and not kw_only:
            return None  # the standard decorator raises the TypeError
        params.append(name)
        body.append(f"_setattr(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")
    if "__post_init__" in klass.__dict__:
        body.append("self.__post_init__()")
    star = "*, " if kw_only and params else ""
    source = f"def __init__(self, {star}{', '.join(params)}):\n    " + (
        "\n    ".join(body) or "pass"
    )
    qualname = f"{klass.__module__}.{klass.__qualname__}"
    SOURCES[qualname] = source
    code = _precompiled(qualname, source)
    if code is None:
        namespace: dict[str, Any] = {}
        exec(source, names, namespace)  # source built from field names only
        code = namespace["__init__"].__code__
    init = FunctionType(code, names, "__init__")
    if kw_only:
        init.__kwdefaults__ = defaults or None
    else:
        init.__defaults__ = tuple(defaults.values()) or None
    init.__qualname__ = f"{klass.__qualname__}.__init__"
    init.__annotations__ = {name: annotation for name, annotation, *_ in fields}
    init.__annotations__["return"] = None
    return init


def _precompiled(qualname: str, source: str) -> CodeType | None:
    """The code of ``_inits.py`` for this class if generated from this very source."""
    found = _inits.INITS.get(qualname)
    if found is None or found[0] != digest(source):
        STALE.append(qualname)
        return None
    code: CodeType = found[1].__code__
    return code.replace(co_name="__init__")


def digest(source: str) -> str:
    """A short fingerprint of an ``__init__`` source (the key of ``_inits.INITS``)."""
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()


def _build(klass: type, frozen: bool, kw_only: bool) -> type | None:
    fields = _fields(klass)
    if fields is None:
        return None
    init = _init(klass, fields, frozen, kw_only)
    if init is None:
        return None
    names = tuple(f[0] for f in fields)
    namespace = dict(klass.__dict__)
    for name in (*names, "__dict__", "__weakref__"):
        namespace.pop(name, None)
    namespace.update(
        __slots__=names,
        __match_args__=() if kw_only else names,
        __init__=init,
        __dataclass_fields__=_LazyFields(klass, fields, frozen, kw_only),
    )
    for name, method in (_FROZEN if frozen else _MUTABLE).items():
        namespace.setdefault(name, method)
    made = type(klass)(klass.__name__, klass.__bases__, namespace)
    made.__qualname__ = klass.__qualname__
    return made


# The methods every fast class shares: a class's fields are exactly its ``__slots__``.


def _values(self: Any) -> tuple[Any, ...]:
    return tuple([getattr(self, name) for name in self.__slots__])


@recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join([f"{name}={getattr(self, name)!r}" for name in self.__slots__])
    return f"{self.__class__.__qualname__}({shown})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return _values(self) == _values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_values(self))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    if name in self.__slots__:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _frozen_delattr(self: Any, name: str) -> None:
    if name in self.__slots__:
        raise FrozenInstanceError(f"cannot delete field {name!r}")
    object.__delattr__(self, name)


def _getstate(self: Any) -> list[Any]:
    return list(_values(self))


def _setstate(self: Any, state: list[Any]) -> None:
    for name, value in zip(self.__slots__, state, strict=True):
        object.__setattr__(self, name, value)


_MUTABLE: dict[str, Any] = {"__repr__": _repr, "__eq__": _eq, "__hash__": None}
_FROZEN: dict[str, Any] = {
    "__repr__": _repr,
    "__eq__": _eq,
    "__hash__": _hash,
    "__setattr__": _frozen_setattr,
    "__delattr__": _frozen_delattr,
    "__getstate__": _getstate,
    "__setstate__": _setstate,
}


class _LazyFields:
    """``__dataclass_fields__``, made on first access by the standard decorator on a copy."""

    def __init__(self, klass: type, fields: list[_Spec], frozen: bool, kw_only: bool) -> None:
        self._declaration = (klass.__name__, klass.__qualname__, klass.__module__, fields)
        self._flags = {"frozen": frozen, "kw_only": kw_only}

    def __get__(self, instance: Any, owner: type) -> Any:
        name, qualname, module, fields = self._declaration
        body: dict[str, Any] = {"__module__": module, "__annotations__": {}}
        for field_name, annotation, default, factory in fields:
            body["__annotations__"][field_name] = annotation
            if factory is not MISSING:  # a fresh Field: the standard decorator mutates its input
                body[field_name] = field(default_factory=factory)
            elif default is not MISSING:
                body[field_name] = default
        shadow: type = dataclasses.dataclass(**self._flags)(type(name, (), body))
        shadow.__qualname__ = qualname
        made = shadow.__dict__["__dataclass_fields__"]
        type.__setattr__(owner, "__dataclass_fields__", made)
        type.__setattr__(owner, "__dataclass_params__", shadow.__dict__["__dataclass_params__"])
        return made


if TYPE_CHECKING:
    from dataclasses import dataclass
else:
    dataclass = fast_dataclass
