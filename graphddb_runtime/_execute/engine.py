"""The ``Engine``: what every executor needs, fixed at construction (a leaf module).

Every executor takes an :class:`Engine` as its first argument. It holds the immutable catalog,
the :class:`~graphddb_runtime._execute.client.Sender` (the only object that talks to DynamoDB),
the limits, the logical -> physical table names, the cursor secret and the backoff sleep, and
its :class:`Cache` of compiled forms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from .._dataclass import dataclass, field
from ..limits import RuntimeLimits
from ..spec.plans import Catalog
from .client import Sender

__all__ = ["Cache", "CacheKind", "Engine"]

S = TypeVar("S")
V = TypeVar("V")


class CacheKind(Generic[S, V]):
    """One kind of compiled form: what it is made from (``S``) and what it is (``V``).

    Declared (and typed) by the module that fills it, for example
    ``CacheKind[TransactionPlan, Compiled]``.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"CacheKind({self.name!r})"


class Cache:
    """Per-runtime compiled forms, one table per :class:`CacheKind`, filled lazily.

    An entry is keyed by the identity of its source object (a plan of the catalog, or a plan
    derived once from one) and holds that object, so the key can never be reused by another.
    A race compiles twice; both results are equal and one is kept.
    """

    __slots__ = ("_tables",)

    def __init__(self) -> None:
        self._tables: dict[CacheKind[Any, Any], dict[int, tuple[Any, Any]]] = {}

    def get(self, kind: CacheKind[S, V], source: S, make: Callable[[S], V]) -> V:
        """The ``kind`` form of ``source``: ``make(source)`` on first use, then the same one."""
        table = self._tables.get(kind)
        if table is None:
            table = self._tables.setdefault(kind, {})
        found = table.get(id(source))
        if found is None:
            found = table.setdefault(id(source), (source, make(source)))
        value: V = found[1]
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Engine:
    """What every call needs, fixed at construction: plans, the sender, limits, tables."""

    catalog: Catalog
    sender: Sender
    limits: RuntimeLimits
    tables: Mapping[str, str]
    cursor_secret: bytes | None
    sleep: Callable[[float], None]  # batch backoff (section 21)
    #: Per-runtime compiled forms (relation legs, transaction programs, ...), filled lazily.
    cache: Cache = field(default_factory=Cache)

    def physical(self, logical: str) -> str:
        return self.tables.get(logical, logical)
