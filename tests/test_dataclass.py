"""The fast ``@dataclass`` (``_dataclass.py``) behaves as the standard one for every class it makes.

Each dataclass of the package is rebuilt with :func:`dataclasses.dataclass` from the same
declaration and compared: signature, slots, match args, repr, equality, hash, frozen guards,
pickling, ``fields``/``replace``/``asdict``, and the ``TypeError`` of a bad call. No class may fall
back to the standard decorator.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pickle
import pkgutil
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest

import graphddb_runtime
from graphddb_runtime import _dataclass

pytestmark = pytest.mark.filterwarnings("error")


def _package_classes() -> list[type]:
    """Every dataclass declared in a module of the package (each module imported)."""
    found: dict[str, type] = {}
    prefix = f"{graphddb_runtime.__name__}."
    for info in pkgutil.walk_packages(graphddb_runtime.__path__, prefix):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == module.__name__
                and "__dataclass_fields__" in value.__dict__
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


CLASSES = _package_classes()


@pytest.fixture(autouse=True)
def _registries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classes declared by a test stay out of the package's registry."""
    monkeypatch.setattr(_dataclass, "FALLBACKS", list(_dataclass.FALLBACKS))


def _reference(cls: type) -> type:
    """The same declaration through the standard decorator."""
    fields = dataclasses.fields(cls)
    body: dict[str, Any] = {
        "__annotations__": dict(inspect.get_annotations(cls)),
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
    }
    for f in fields:
        if f.default_factory is not dataclasses.MISSING:
            body[f.name] = dataclasses.field(default_factory=f.default_factory)
        elif f.default is not dataclasses.MISSING:
            body[f.name] = f.default
    if "__post_init__" in cls.__dict__:
        body["__post_init__"] = cls.__dict__["__post_init__"]
    params = cls.__dict__["__dataclass_params__"]
    kw_only = all(f.kw_only for f in fields) and bool(fields)
    return dataclasses.dataclass(frozen=params.frozen, slots=True, kw_only=kw_only)(
        type(cls.__name__, (), body)
    )


def _required(cls: type, salt: str, *, factories: bool = True) -> dict[str, Any]:
    """A distinct value for every field without a default (and, by default, each factory one)."""
    return {
        f.name: f"{salt}-{f.name}"
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING
        and (factories or f.default_factory is dataclasses.MISSING)
    }


def test_package_classes_are_all_fast() -> None:
    assert len(CLASSES) >= 50
    assert _dataclass.FALLBACKS == []
    for cls in CLASSES:
        assert cls.__init__.__code__ is CLASSES[0].__init__.__code__  # type: ignore[misc]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_matches_the_standard_dataclass(cls: type) -> None:
    ref = _reference(cls)
    assert dataclasses.is_dataclass(cls)
    assert str(inspect.signature(cls)) == str(inspect.signature(ref))
    assert inspect.signature(cls) == inspect.signature(ref)
    assert inspect.signature(cls.__init__) == inspect.signature(ref.__init__)  # type: ignore[misc]
    assert cls.__init__.__annotations__ == ref.__init__.__annotations__  # type: ignore[misc]
    assert cls.__init__.__qualname__ == ref.__init__.__qualname__  # type: ignore[misc]
    assert cls.__slots__ == ref.__slots__  # type: ignore[attr-defined]
    assert cls.__match_args__ == ref.__match_args__  # type: ignore[attr-defined]
    assert (cls.__hash__ is None) == (ref.__hash__ is None)
    assert "__dict__" not in dir(cls)

    args, other = _required(cls, "a"), _required(cls, "b")
    fast, fast_again, standard = cls(**args), cls(**args), ref(**args)
    assert repr(fast) == repr(standard)
    assert fast == fast_again
    assert (fast == cls(**other)) == (standard == ref(**other))
    assert fast != standard  # another class, as between two standard dataclasses
    assert dataclasses.asdict(fast) == dataclasses.asdict(standard)
    assert dataclasses.replace(fast, **other) == cls(**other)
    made = [cls(**_required(cls, "c", factories=False)) for _ in range(2)]
    for f in dataclasses.fields(cls):
        if f.default_factory is not dataclasses.MISSING:
            assert getattr(made[0], f.name) is not getattr(made[1], f.name)

    name = dataclasses.fields(cls)[0].name
    if cls.__dict__["__dataclass_params__"].frozen:
        assert hash(fast) == hash(standard)
        for obj in (fast, standard):
            with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
                setattr(obj, name, "x")
            with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete"):
                delattr(obj, name)
        with pytest.raises(AttributeError):  # (3.11's standard one raises a TypeError here)
            fast.not_a_field = 1  # type: ignore[attr-defined]
    else:
        setattr(fast, name, "changed")
        assert getattr(fast, name) == "changed"
    if (
        cls.__module__ != "graphddb_runtime._execute.hooks.transactions"
    ):  # fields hold only picklable samples
        assert pickle.loads(pickle.dumps(fast_again)) == fast_again

    for call_args, call_kwargs in _bad_calls(cls):
        _assert_same_error(cls, ref, call_args, call_kwargs)


def _bad_calls(cls: type) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Calls the standard ``__init__`` rejects: missing, unexpected, repeated, surplus arguments."""
    fields = dataclasses.fields(cls)
    required = _required(cls, "a", factories=False)
    every = {f.name: f.name for f in fields}
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((), {**required, "zzz": 1}),
        ((), {"zzz": 1}),
        ((), {"self": 1}),
        (tuple(range(len(fields) + 1)), {}),
        ((0,), required),
        ((), {**every, "zzz": 1}),
    ]
    if required:
        calls.append(((), {}))
        calls.append(((), dict(list(required.items())[1:])))
    return calls


def _assert_same_error(
    fast: type, standard: type, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """Both classes reject the call with the same error and message (or both accept it)."""
    outcomes = []
    for cls in (standard, fast):
        try:
            cls(*args, **kwargs)
        except Exception as error:  # compared below
            outcomes.append((type(error), str(error)))
        else:
            outcomes.append((None, ""))
    assert outcomes[1] == outcomes[0], (args, kwargs)


# --- the decorator on declarations of its own -------------------------------------------------


def test_init_source_matches_the_standard_shape() -> None:
    @_dataclass.dataclass(frozen=True, slots=True, kw_only=True)
    class Point:
        x: int
        y: int = 2
        tags: list[str] = dataclasses.field(default_factory=list)

    assert (
        str(inspect.signature(Point))
        == "(*, x: 'int', y: 'int' = 2, tags: 'list[str]' = <factory>) -> None"
    )
    assert Point(x=1) == Point(x=1, y=2, tags=[])
    assert (
        repr(Point(x=1))
        == "test_init_source_matches_the_standard_shape.<locals>.Point(x=1, y=2, tags=[])"
    )
    with pytest.raises(TypeError):
        Point(1)  # type: ignore[misc]


def test_positional_fields_and_post_init() -> None:
    seen = []

    @_dataclass.dataclass(slots=True)
    class Pair:
        left: int
        right: int = 0

        def __post_init__(self) -> None:
            seen.append((self.left, self.right))

    assert Pair(1, 2).__match_args__ == ("left", "right")
    assert Pair(3) == Pair(left=3)
    assert seen == [(1, 2), (3, 0), (3, 0)]
    assert Pair.__hash__ is None  # mutable with __eq__, as the standard decorator


def test_declarations_outside_the_subset_take_the_standard_decorator() -> None:
    _dataclass.FALLBACKS.clear()

    @_dataclass.dataclass(slots=True)
    class WithClassVar:
        x: int
        registry: ClassVar[dict[str, int]] = {}

    @_dataclass.dataclass(slots=True)
    class WithFieldOption:
        x: int = dataclasses.field(default=0, repr=False)

    @_dataclass.dataclass(frozen=True)
    class WithoutSlots:
        x: int

    class Base:
        pass

    @_dataclass.dataclass(slots=True)
    class Derived(Base):
        x: int

    @_dataclass.dataclass(slots=True)
    class Shadowing:
        self: int

    assert [q.rsplit(".", 1)[-1] for q in _dataclass.FALLBACKS] == [
        "WithClassVar",
        "WithFieldOption",
        "WithoutSlots",
        "Derived",
        "Shadowing",
    ]
    assert repr(WithFieldOption(3)).endswith("WithFieldOption()")
    assert WithClassVar.registry == {}
    assert WithoutSlots(1).__dict__ == {"x": 1}


def test_a_required_field_after_a_default_is_the_standard_type_error() -> None:
    with pytest.raises(TypeError, match="non-default argument 'y' follows default argument"):

        @_dataclass.dataclass(slots=True)
        class Bad:
            x: int = 0
            y: int  # type: ignore[misc]


def test_the_package_declares_its_dataclasses_through_the_fast_decorator() -> None:
    """A new ``from dataclasses import dataclass`` would put code generation back on import."""
    package = Path(_dataclass.__file__).parent
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "_dataclass.py"
        and re.search(
            r"^from dataclasses import .*\bdataclass\b|@dataclasses\.dataclass",
            path.read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    ]
    assert offenders == []


def _declare(decorator: Any, kw_only: bool, frozen: bool, spec: str) -> type:
    """``spec``: field names, ``name=`` for a default, ``name*`` for a list factory."""
    body: dict[str, Any] = {"__annotations__": {}, "__module__": __name__}
    for token in spec.split():
        name = token.rstrip("=*")
        body["__annotations__"][name] = "int"
        if token.endswith("="):
            body[name] = 0
        elif token.endswith("*"):
            body[name] = dataclasses.field(default_factory=list)
    return decorator(frozen=frozen, slots=True, kw_only=kw_only)(type("Decl", (), body))  # type: ignore[no-any-return]


BAD_CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((), {}),
    ((1,), {}),
    ((1, 2), {}),
    ((1, 2, 3, 4, 5), {}),
    ((1, 2, 3, 4, 5), {"a": 1}),
    ((1,), {"b": 2}),
    ((1,), {"a": 2}),
    ((1,), {"zzz": 2}),
    ((), {"a": 1}),
    ((), {"b": 1, "c": 1}),
    ((), {"a": 1, "zzz": 2}),
    ((), {"zzz": 2, "a": 1, "b": 1}),
    ((), {"self": 1}),
    ((), {"a": 1, "b": 2, "c": 3, "d": 4}),
]


@pytest.mark.parametrize("spec", ["a", "a b", "a b c", "a b= c*", "a= b*", "", "a b c d="])
@pytest.mark.parametrize("kw_only", [False, True])
@pytest.mark.parametrize("frozen", [False, True])
def test_calls_bind_and_fail_as_the_standard_init(spec: str, kw_only: bool, frozen: bool) -> None:
    fast = _declare(_dataclass.dataclass, kw_only, frozen, spec)
    standard = _declare(dataclasses.dataclass, kw_only, frozen, spec)
    assert inspect.signature(fast) == inspect.signature(standard)
    for args, kwargs in BAD_CALLS:
        _assert_same_error(fast, standard, args, kwargs)
        try:
            made = standard(*args, **kwargs)
        except TypeError:
            continue
        assert repr(fast(*args, **kwargs)) == repr(made)


def test_the_error_messages_are_the_standard_wording() -> None:
    point = _declare(_dataclass.dataclass, True, True, "x y z=")
    pair = _declare(_dataclass.dataclass, False, False, "a b c=")
    cases: list[tuple[Any, str]] = [
        (point, "missing 2 required keyword-only arguments: 'x' and 'y'"),
        (lambda: point(y=1), "missing 1 required keyword-only argument: 'x'"),
        (lambda: point(1), "takes 1 positional argument but 2 were given"),
        (lambda: point(1, x=1), "but 2 positional arguments (and 1 keyword-only argument) were"),
        (lambda: point(x=1, y=1, w=1), "got an unexpected keyword argument 'w'"),
        (pair, "missing 2 required positional arguments: 'a' and 'b'"),
        (lambda: pair(1, 2, 3, 4), "takes from 3 to 4 positional arguments but 5 were given"),
        (lambda: pair(1, a=1), "got multiple values for argument 'a'"),
    ]
    for call, message in cases:
        with pytest.raises(TypeError, match=re.escape(message)):
            call()
