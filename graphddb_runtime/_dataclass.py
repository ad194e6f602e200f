"""``@dataclass`` without the import-time cost, for the runtime's own flat, slotted classes.

The standard decorator generates and compiles five or six methods per class (``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, frozen ``__setattr__``/``__delattr__``): about 0.4 ms a
class, so ~22 ms for this package at import, which Lambda pays on every cold start. Here nothing
is generated or compiled: every class shares one implementation of the methods other than
``__init__`` (a class's fields are its ``__slots__``), and gets an ``__init__`` closure built from
its field specs (:func:`_make_init`), which binds the arguments with C-level dict operations and
stores the values with C-level calls. Measured in one run against the standard decorator
(``benchmarks/README.md``): the package's import half as long, so the cold-start goal is met (21 %
against 37 %), while constructing instances costs about 1.7 times the standard ``__init__``, some
8 % of a 500-operation construct.

Type checkers see the standard :func:`dataclasses.dataclass` (the ``TYPE_CHECKING`` branch), so the
static contract is the standard one. At run time a class gets the fast path only when it uses the
subset below; anything else (a base class, ``ClassVar``/``InitVar`` fields, ``field()`` options
other than ``default``/``default_factory``, a field named ``self``, its own ``__setattr__`` or
``__delattr__``, a required field after a default one, flags other than these three) goes to the
standard decorator unchanged and is recorded in :data:`FALLBACKS` (a test keeps it empty for this
package).

The fast path is the standard behaviour for that subset: the same ``__init__`` signature
(``inspect.signature`` gives the standard decorator's, through ``__signature__``; keyword-only or
not, defaults, ``<factory>`` defaults, ``__post_init__``), the standard ``TypeError`` messages for
missing, unexpected, duplicate or surplus arguments, ``__repr__``, ``__eq__``, ``__hash__``
(``None`` unless frozen), ``FrozenInstanceError`` on assignment, ``__slots__``,
``__match_args__`` and pickling. ``__dataclass_fields__`` is built on first access by running the
standard decorator on a copy of the declaration, so :func:`dataclasses.fields`,
:func:`dataclasses.replace` and :func:`dataclasses.asdict` work. ``tests/test_dataclass.py`` checks
each of these against the standard decorator for every class of the package. Differences, all
outside what the package relies on: a class without a docstring keeps ``__doc__`` empty (the
standard decorator writes the signature there); ``__init__.__code__``/``__defaults__`` are the
generic closure's (``(self, /, *args, **kwargs)``), only ``__signature__`` and
``__annotations__`` are the standard ones; and assigning an attribute that is not a field of a
frozen instance raises ``AttributeError`` (CPython 3.11's decorator raises a ``TypeError``).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, field
from itertools import repeat
from operator import itemgetter
from reprlib import recursive_repr
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any

__all__ = ["FALLBACKS", "dataclass", "fast_dataclass", "field"]

#: Qualified names of classes that took the standard decorator (outside the fast subset).
FALLBACKS: list[str] = []

#: A field's parts: name, annotation (a string: every module uses postponed annotations),
#: default and default factory (``MISSING`` when absent).
_Spec = tuple[str, str, Any, Any]

#: The default of a ``default_factory`` parameter: the standard decorator's own marker (shown as
#: ``<factory>``), so signatures compare equal to the standard ones.
_FACTORY: Any = getattr(dataclasses, "_HAS_DEFAULT_FACTORY", None)
if _FACTORY is None:  # pragma: no cover - every supported CPython has it

    class _Factory:
        def __repr__(self) -> str:
            return "<factory>"

    _FACTORY = _Factory()

_SET = MemberDescriptorType.__set__
_OWN_METHODS = ("__setattr__", "__delattr__")


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


def _fields(klass: type, kw_only: bool) -> list[_Spec] | None:
    """``(name, annotation, default, factory)`` per field, or None outside the fast subset."""
    if klass.__bases__ != (object,) or "__slots__" in klass.__dict__:
        return None
    if any(name in klass.__dict__ for name in _OWN_METHODS):
        return None  # the standard decorator calls it (mutable) or raises (frozen)
    found: list[_Spec] = []
    for name, annotation in inspect.get_annotations(klass).items():
        if not isinstance(annotation, str) or annotation.startswith(
            ("ClassVar", "InitVar", "typing.", "dataclasses.")
        ):
            return None
        if name == "self":
            return None  # the standard __init__ renames its own first parameter
        default: Any = klass.__dict__.get(name, MISSING)
        factory: Any = MISSING
        if isinstance(default, Field):
            options = (default.init, default.repr, default.hash, default.compare, default.kw_only)
            if options != (True, True, None, True, MISSING) or default.metadata:
                return None  # field(init=False, repr=False, ...): the standard decorator
            default, factory = default.default, default.default_factory
        required = default is MISSING and factory is MISSING
        if required and found and not kw_only and found[-1][2:] != (MISSING, MISSING):
            return None  # the standard decorator raises the TypeError
        found.append((name, annotation, default, factory))
    return found


def _build(klass: type, frozen: bool, kw_only: bool) -> type | None:
    fields = _fields(klass, kw_only)
    if fields is None:
        return None
    names = tuple(f[0] for f in fields)
    namespace = dict(klass.__dict__)
    for name in (*names, "__dict__", "__weakref__"):
        namespace.pop(name, None)
    namespace.update(
        __slots__=names,
        __match_args__=() if kw_only else names,
        __dataclass_fields__=_LazyFields(klass, fields, frozen, kw_only),
    )
    for name, method in (_FROZEN if frozen else _MUTABLE).items():
        namespace.setdefault(name, method)
    made = type(klass)(klass.__name__, klass.__bases__, namespace)
    made.__qualname__ = klass.__qualname__
    post_init = "__post_init__" in klass.__dict__
    made.__init__ = _make_init(made, fields, frozen, kw_only, post_init)  # type: ignore[misc]
    return made


# --- __init__ --------------------------------------------------------------------------------


def _make_init(made: type, fields: list[_Spec], frozen: bool, kw_only: bool, post: bool) -> Any:
    """The class's ``__init__``: one closure over its field specs, no generated code.

    Keywords only: the keyword dict, merged over the defaults when some are missing, read in field
    order by one ``itemgetter``. Positional only (not ``kw_only``): the arguments, extended by the
    trailing defaults. Both (rare): :func:`_mixed`. A default factory is called where its marker
    was taken as the value. Anything the standard ``__init__`` would reject is re-examined by
    :func:`_bind_error` for the standard message. Values are stored with C-level calls: the slot
    descriptors' ``__set__`` for a frozen class (bypassing its ``__setattr__``, as the standard
    ``object.__setattr__`` calls do), the builtin ``setattr`` otherwise (``self.name = value``).
    """
    names = tuple(f[0] for f in fields)
    count = len(names)
    positional = 0 if kw_only else count
    slots = tuple(made.__dict__[name] for name in names)
    defaults = {
        name: _FACTORY if factory is not MISSING else default
        for name, _, default, factory in fields
        if default is not MISSING or factory is not MISSING
    }
    required = count - len(defaults)  # the first ``required`` fields (a positional class)
    tail = tuple(defaults.values())
    factories = tuple((index, f[3]) for index, f in enumerate(fields) if f[3] is not MISSING)
    getter = _getter(names)
    qualname = f"{made.__qualname__}.__init__"
    error = _bind_error
    set_slot = _SET

    def fill(values: tuple[Any, ...]) -> list[Any]:
        """``values`` with every factory marker replaced by a call of its factory."""
        made = list(values)
        for index, factory in factories:
            if made[index] is _FACTORY:
                made[index] = factory()
        return made

    def __init__(self: Any, /, *args: Any, **kwargs: Any) -> None:
        values: Any
        if kwargs or not args:
            bound = _mixed(names, positional, args, kwargs) if args else kwargs
            if len(bound) != count:
                bound = {**defaults, **bound}
                if len(bound) > count:
                    raise error(qualname, fields, positional, args, kwargs)
            try:
                values = getter(bound)
            except KeyError:
                raise error(qualname, fields, positional, args, kwargs) from None
            if factories and bound is not kwargs:
                values = fill(values)
        elif len(args) == positional:
            values = args
        elif required <= len(args) < positional:
            values = args + tail[len(args) - required :]
            if factories:
                values = fill(values)
        else:
            raise error(qualname, fields, positional, args, kwargs)
        if frozen:
            any(map(set_slot, slots, repeat(self), values))
        else:
            any(map(setattr, repeat(self), names, values))
        if post:
            self.__post_init__()

    __init__.__qualname__ = qualname
    __init__.__module__ = made.__module__
    __init__.__annotations__ = {name: annotation for name, annotation, *_ in fields}
    __init__.__annotations__["return"] = None
    __init__.__signature__ = _signature(fields, kw_only)  # type: ignore[attr-defined]
    return __init__


def _mixed(
    names: tuple[str, ...], positional: int, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Positional and keyword arguments in one dict (``kwargs`` itself when they collide)."""
    if len(args) > positional:
        return {"self": None, **kwargs}  # too many: no valid binding, _bind_error explains
    bound = dict(zip(names, args, strict=False))
    if not bound.keys().isdisjoint(kwargs):
        return {"self": None, **kwargs}
    bound.update(kwargs)
    return bound


def _getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The values of ``names`` in a dict, as a tuple (``itemgetter(name)`` gives a bare value)."""
    if len(names) > 1:
        return itemgetter(*names)
    if names:
        (only,) = names
        return lambda found: (found[only],)
    return lambda found: ()


def _signature(fields: list[_Spec], kw_only: bool) -> inspect.Signature:
    """The standard ``__init__``'s: ``(self, [*,] name: 'annotation' [= default], ...) -> None``."""
    kind = inspect.Parameter.KEYWORD_ONLY if kw_only else inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name, annotation, default, factory in fields:
        shown = _FACTORY if factory is not MISSING else inspect.Parameter.empty
        if default is not MISSING:
            shown = default
        params.append(inspect.Parameter(name, kind, default=shown, annotation=annotation))
    return inspect.Signature(params, return_annotation=None, __validate_parameters__=False)


def _bind_error(
    qualname: str,
    fields: list[_Spec],
    positional: int,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> TypeError:
    """The ``TypeError`` CPython raises for this call of the standard ``__init__``.

    Checked in CPython's order: each keyword (unknown, or already given by position), then surplus
    positional arguments, then missing positional ones, then missing keyword-only ones.
    """
    names = [f[0] for f in fields]
    given = set(names[: min(len(args), positional)])
    for key in kwargs:
        if key == "self" or key in given:
            return TypeError(f"{qualname}() got multiple values for argument '{key}'")
        if key not in names:
            return TypeError(f"{qualname}() got an unexpected keyword argument '{key}'")
    optional = {f[0] for f in fields if f[2] is not MISSING or f[3] is not MISSING}
    if len(args) > positional:
        return TypeError(_too_many(qualname, positional, len(optional), len(args), len(kwargs)))
    missing = [name for name in names if name not in given and name not in kwargs]
    missing = [name for name in missing if name not in optional]
    kind = "positional" if positional else "keyword-only"
    shown = [f"'{name}'" for name in missing]
    listed = " and ".join(shown) if len(shown) < 3 else ", ".join(shown[:-1]) + f", and {shown[-1]}"
    plural = "s" if len(shown) != 1 else ""
    return TypeError(
        f"{qualname}() missing {len(shown)} required {kind} argument{plural}: {listed}"
    )


def _too_many(qualname: str, positional: int, optional: int, given: int, keywords: int) -> str:
    """CPython's ``takes N positional arguments but M were given`` (``self`` counted)."""
    takes, given = positional + 1, given + 1
    if positional and optional:
        sig, plural = f"from {takes - optional} to {takes}", "s"
    else:
        sig, plural = str(takes), "s" if takes != 1 else ""
    extra = ""
    if keywords and not positional:  # keyword-only parameters given by keyword
        extra = (
            f" positional argument{'s' if given != 1 else ''}"
            f" (and {keywords} keyword-only argument{'s' if keywords != 1 else ''})"
        )
    verb = "was" if given == 1 and not extra else "were"
    return f"{qualname}() takes {sig} positional argument{plural} but {given}{extra} {verb} given"


# --- the methods every fast class shares: a class's fields are exactly its ``__slots__`` -------


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
