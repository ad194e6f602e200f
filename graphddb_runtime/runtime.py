"""``GraphDDBRuntime``: the facade over the catalog (load once) and the executors (per call)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from .errors import ConfigurationError, SpecIssue
from .limits import RuntimeLimits
from .spec import load_spec
from .spec.plans import Catalog

__all__ = ["GraphDDBRuntime"]

logger = logging.getLogger("graphddb_runtime")


class GraphDDBRuntime:
    """Executes the access patterns of a graphddb spec on a low-level boto3 DynamoDB client.

    Construction reads and validates both spec files once and compiles immutable plans; every
    spec problem is reported at once in a :class:`~graphddb_runtime.errors.SpecError`. The
    instance is immutable afterwards and may be shared across threads.
    """

    __slots__ = (
        "_catalog",
        "_client",
        "_cursor_secret",
        "_issues",
        "_limits",
        "_sleep",
        "_table_mapping",
    )

    def __init__(
        self,
        dynamodb_client: Any,
        manifest_path: Any,
        operations_path: Any,
        table_mapping: Mapping[str, str] | None = None,
        limits: RuntimeLimits | None = None,
        *,
        strict: bool = False,
        cursor_secret: str | bytes | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        _check_arguments(table_mapping, limits, cursor_secret, sleep)
        loaded = load_spec(manifest_path, operations_path, strict=strict)
        self._client = dynamodb_client
        self._catalog: Catalog = loaded.catalog
        self._issues: tuple[SpecIssue, ...] = loaded.issues
        self._limits = limits if limits is not None else RuntimeLimits()
        self._table_mapping: Mapping[str, str] = MappingProxyType(dict(table_mapping or {}))
        self._cursor_secret = (
            cursor_secret.encode("utf-8") if isinstance(cursor_secret, str) else cursor_secret
        )
        self._sleep = sleep
        for issue in self._issues:
            logger.warning("graphddb spec advisory: %s", issue)

    @property
    def limits(self) -> RuntimeLimits:
        return self._limits

    @property
    def table_mapping(self) -> dict[str, str]:
        """A copy of the logical -> physical table mapping."""
        return dict(self._table_mapping)

    @property
    def spec_issues(self) -> tuple[SpecIssue, ...]:
        """Advisories found at load time (errors raise ``SpecError`` instead)."""
        return self._issues


def _check_arguments(
    table_mapping: object, limits: object, cursor_secret: object, sleep: object
) -> None:
    if table_mapping is not None and not (
        isinstance(table_mapping, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in table_mapping.items())
    ):
        raise ConfigurationError("table_mapping must be None or a mapping of str to str")
    if limits is not None and not isinstance(limits, RuntimeLimits):
        raise ConfigurationError(
            f"limits must be None or a RuntimeLimits, got {type(limits).__name__}"
        )
    if cursor_secret is not None and not (
        isinstance(cursor_secret, (str, bytes)) and cursor_secret
    ):
        raise ConfigurationError("cursor_secret must be None, a non-empty str or non-empty bytes")
    if sleep is not None and not callable(sleep):
        raise ConfigurationError("sleep must be None or a callable")
