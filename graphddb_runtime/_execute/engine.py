"""The ``Engine``: what every executor needs, fixed at construction (a leaf module).

Every executor takes an :class:`Engine` as its first argument. It holds the immutable catalog,
the :class:`~graphddb_runtime._execute.client.Sender` (the only object that talks to DynamoDB),
the limits, the logical -> physical table names, the cursor secret and the backoff sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._dataclass import dataclass, field
from ..limits import RuntimeLimits
from ..spec.plans import Catalog
from .client import Sender

__all__ = ["Engine"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Engine:
    """What every call needs, fixed at construction: plans, the sender, limits, tables."""

    catalog: Catalog
    sender: Sender
    limits: RuntimeLimits
    tables: Mapping[str, str]
    cursor_secret: bytes | None
    sleep: Callable[[float], None]  # batch backoff (section 21)
    #: Per-runtime compiled builders, filled lazily (for example transaction id -> item
    #: builders); keys are chosen by each executor so they cannot collide.
    compiled: dict[Any, Any] = field(default_factory=dict)

    def physical(self, logical: str) -> str:
        return self.tables.get(logical, logical)
