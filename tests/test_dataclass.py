"""The fast ``@dataclass`` (``_dataclass.py``) behaves as the standard one for every class it makes.

Each dataclass of the package is rebuilt with :func:`dataclasses.dataclass` from the same
declaration and compared: signature, slots, match args, repr, equality, hash, frozen guards,
pickling, ``fields``/``replace``/``asdict``. ``_inits.py`` must be fresh and no class may fall back.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pickle
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest

from graphddb_runtime import _dataclass, _initsgen

pytestmark = pytest.mark.filterwarnings("error")


def _package_classes() -> list[type]:
    _initsgen.render()  # imports every module of the package
    found = []
    for qualname in sorted(_dataclass.SOURCES):
        module, _, name = qualname.rpartition(".")
        found.append(getattr(importlib.import_module(module), name))
    return found


CLASSES = _package_classes()


@pytest.fixture(autouse=True)
def _registries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classes declared by a test stay out of the package's registries."""
    for name in ("FALLBACKS", "STALE"):
        monkeypatch.setattr(_dataclass, name, list(getattr(_dataclass, name)))
    monkeypatch.setattr(_dataclass, "SOURCES", dict(_dataclass.SOURCES))


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


def test_package_classes_are_all_fast_and_inits_py_is_fresh() -> None:
    assert len(CLASSES) >= 50
    assert _dataclass.FALLBACKS == []
    assert _dataclass.STALE == [], "stale: run `python -m graphddb_runtime._initsgen`"
    path = Path(_initsgen.__file__).with_name("_inits.py")
    assert path.read_text(encoding="utf-8") == _initsgen.render(), (
        "stale: run `python -m graphddb_runtime._initsgen`"
    )


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_matches_the_standard_dataclass(cls: type) -> None:
    ref = _reference(cls)
    assert dataclasses.is_dataclass(cls)
    assert str(inspect.signature(cls)) == str(inspect.signature(ref))
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


def test_a_stale_precompiled_init_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A class edited without regenerating ``_inits.py`` compiles its own ``__init__``."""
    qualname = f"{__name__}.test_a_stale_precompiled_init_is_not_used.<locals>.Edited"
    monkeypatch.setitem(_dataclass._inits.INITS, qualname, ("0" * 16, lambda self, a: None))

    @_dataclass.dataclass(frozen=True, slots=True)
    class Edited:
        a: int
        b: int

    assert Edited(1, 2).b == 2
    assert _dataclass.STALE[-1:] == [qualname]


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
