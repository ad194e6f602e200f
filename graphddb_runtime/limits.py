"""Runtime limits (docs/format.md section 22.1)."""

from __future__ import annotations

from ._dataclass import dataclass
from .errors import ConfigurationError

__all__ = ["RELATION_TRAVERSAL_CONCURRENCY", "RuntimeLimits"]

#: Default in-flight bound of relation traversal (``executionPlan.concurrency``).
RELATION_TRAVERSAL_CONCURRENCY = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeLimits:
    """Bounds the runtime enforces before any DynamoDB call.

    The defaults reproduce DynamoDB's own quotas. Invalid values raise
    :class:`~graphddb_runtime.errors.ConfigurationError` when the object is built.
    """

    max_operations: int = 20
    max_items: int = 100
    max_depth: int = 5
    max_batch_get_items: int = 100
    max_batch_write_items: int = 25
    max_transaction_items: int = 100
    max_transaction_bytes: int = 4_194_304
    batch_max_retries: int = 10
    batch_backoff_base_ms: float = 50
    batch_backoff_cap_ms: float = 1000
    batch_backoff_jitter: bool = True
    batch_concurrency: int = 4
    numbers: str = "decimal"
    datetimes: str = "datetime"

    def __post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise ConfigurationError("invalid RuntimeLimits: " + "; ".join(problems))


# (field, lowest, highest); ``None`` means unbounded.
_INT_BOUNDS: tuple[tuple[str, int, int | None], ...] = (
    ("max_operations", 1, None),
    ("max_items", 1, None),
    ("max_depth", 0, None),
    ("max_batch_get_items", 1, 100),
    ("max_batch_write_items", 1, 25),
    ("max_transaction_items", 1, 100),
    ("max_transaction_bytes", 1, None),
    ("batch_max_retries", 0, None),
    ("batch_concurrency", 1, None),
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _problems(limits: RuntimeLimits) -> list[str]:
    out: list[str] = []
    for name, low, high in _INT_BOUNDS:
        value = getattr(limits, name)
        if not _is_int(value):
            out.append(f"{name} must be an integer, got {value!r}")
        elif value < low or (high is not None and value > high):
            bound = f">= {low}" if high is None else f"between {low} and {high}"
            out.append(f"{name} must be {bound}, got {value!r}")
    base, cap = limits.batch_backoff_base_ms, limits.batch_backoff_cap_ms
    if not _is_number(base) or not base > 0:
        out.append(f"batch_backoff_base_ms must be a number > 0, got {base!r}")
    elif not _is_number(cap) or not cap >= base:
        out.append(f"batch_backoff_cap_ms must be a number >= batch_backoff_base_ms, got {cap!r}")
    if not isinstance(limits.batch_backoff_jitter, bool):
        out.append(f"batch_backoff_jitter must be a bool, got {limits.batch_backoff_jitter!r}")
    if limits.numbers not in ("decimal", "native"):
        out.append(f"numbers must be 'decimal' or 'native', got {limits.numbers!r}")
    if limits.datetimes not in ("datetime", "text"):
        out.append(f"datetimes must be 'datetime' or 'text', got {limits.datetimes!r}")
    return out
