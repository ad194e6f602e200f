"""``GraphDDBRuntime``: the facade over the catalog (load once) and the executors (per call)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from ._execute import reads as _reads
from ._execute import writes as _writes
from ._execute.client import DynamoDBClient, Sender
from ._execute.contracts import reads as _contract_reads
from ._execute.contracts import writes as _contract_writes
from ._execute.engine import Engine
from ._execute.transactions import execute as _transactions
from ._suggest import received
from .errors import ConfigurationError, SpecIssue
from .limits import RuntimeLimits
from .middleware import MiddlewareRegistry, MiddlewareRuntime, WriteRuntime
from .spec import check_unknown_fields, load_spec
from .spec.catalog import check_table_mapping, physical_tables

__all__ = ["GraphDDBRuntime"]

logger = logging.getLogger("graphddb_runtime")


class GraphDDBRuntime:
    """Executes the access patterns of a graphddb spec on a low-level boto3 DynamoDB client.

    Construction reads and validates both spec files once and compiles immutable plans; every
    spec problem is reported at once in a :class:`~graphddb_runtime.errors.SpecError`. A field
    the runtime does not recognise is an error (``LD003``); ``unknown_fields="warn"`` makes it an
    advisory instead (fields of later format versions that change what a call reads or writes
    stay errors). The instance is immutable afterwards and may be shared across threads.
    """

    __slots__ = ("_engine", "_issues", "_middleware", "_table_mapping")

    def __init__(
        self,
        dynamodb_client: DynamoDBClient,
        manifest_path: Any,
        operations_path: Any,
        table_mapping: Mapping[str, str] | None = None,
        limits: RuntimeLimits | None = None,
        *,
        strict: bool = False,
        cursor_secret: str | bytes | None = None,
        sleep: Callable[[float], None] | None = None,
        unknown_fields: str = "error",
    ) -> None:
        mapping = _check_arguments(
            dynamodb_client,
            table_mapping=table_mapping,
            limits=limits,
            strict=strict,
            cursor_secret=cursor_secret,
            sleep=sleep,
        )
        check_unknown_fields(unknown_fields)
        loaded = load_spec(
            manifest_path, operations_path, strict=strict, unknown_fields=unknown_fields
        )
        self._issues: tuple[SpecIssue, ...] = loaded.issues
        self._table_mapping = MappingProxyType(mapping)
        self._engine = Engine(
            catalog=loaded.catalog,
            sender=Sender(dynamodb_client),
            limits=limits if limits is not None else RuntimeLimits(),
            # logical -> physical for every logical table, resolved once (section 15.6)
            tables=MappingProxyType(physical_tables(loaded.catalog, mapping)),
            cursor_secret=(
                cursor_secret.encode("utf-8") if isinstance(cursor_secret, str) else cursor_secret
            ),
            sleep=sleep if sleep is not None else time.sleep,
        )
        self._middleware = MiddlewareRegistry()
        for issue in self._issues:
            logger.warning("graphddb spec advisory: %s", issue)

    @property
    def limits(self) -> RuntimeLimits:
        return self._engine.limits

    @property
    def table_mapping(self) -> dict[str, str]:
        """A copy of the ``table_mapping`` argument (logical -> physical)."""
        return dict(self._table_mapping)

    @property
    def spec_issues(self) -> tuple[SpecIssue, ...]:
        """Advisories found at load time (errors raise ``SpecError`` instead)."""
        return self._issues

    # --- middleware (section 35) ---------------------------------------------------------------

    def use(self, middleware: Any) -> None:
        """Register a middleware (a dict, or an object with the same attribute tree)."""
        self._middleware.use(middleware)

    def clear_middleware(self) -> None:
        """Remove every registered middleware."""
        self._middleware.clear()

    def get_middleware(self) -> tuple[Any, ...]:
        """The registered middleware, in registration order (a snapshot)."""
        return self._middleware.snapshot()

    # --- core (sections 15, 25) ------------------------------------------------------------------

    def execute_query(
        self, query_id: str, params: Mapping[str, Any], options: Mapping[str, Any] | None = None
    ) -> Any:
        """Run a named query (section 15.3): a hydrated dict, ``None``, or
        ``{"items": [...], "cursor": str | None}`` for a ``many`` Query root."""
        hooks = MiddlewareRuntime.of(self._middleware.snapshot())
        return _reads.execute_query(self._engine, query_id, params, options, hooks)

    def explain(
        self, query_id: str, params: Mapping[str, Any], options: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The exact requests ``execute_query`` would send, without any I/O (section 14)."""
        return _reads.explain(self._engine, query_id, params, options)

    def execute_command(
        self, command_id: str, params: Mapping[str, Any], options: Mapping[str, Any] | None = None
    ) -> Any:
        """Run one PutItem/UpdateItem/DeleteItem (section 15.4); the returned ``Attributes``
        when ``options["returnValues"]`` is given, else ``None``."""
        hooks = WriteRuntime.of(self._middleware.snapshot())
        return _writes.execute_command(self._engine, command_id, params, options, hooks)

    def execute_transaction(
        self,
        transaction_id: str,
        params: Mapping[str, Any],
        options: Mapping[str, Any] | None = None,
        *,
        client_request_token: str | None = None,
    ) -> None:
        """Run a declarative transaction as one atomic ``TransactWriteItems`` (section 25).

        Items are expanded (``forEach`` / ``when``), same-row items collapsed, and the cap and
        size checked before anything is sent; zero items send nothing. The idempotency token is
        ``options["idempotencyToken"]`` or ``client_request_token``.
        """
        hooks = WriteRuntime.of(self._middleware.snapshot())
        _transactions.execute_transaction(
            self._engine, transaction_id, params, options, client_request_token, hooks=hooks
        )

    # --- contracts (sections 30 to 34) -----------------------------------------------------------

    def execute_query_method(
        self,
        contract_name: str,
        method_name: str,
        key_or_keys: Any,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run a contract query method (section 31.2).

        A single key (a mapping) gives the item or ``None`` (point) or ``{"items", "cursor"}``
        (range); a list or tuple of keys gives ``{serialize_contract_key(key): item | None}``
        from one deduplicated BatchGetItem. ``params`` holds the retrieval options
        (``consistentRead``, ``limit``, ``after``, ``order``, ``context``, ``numbers``).
        """
        hooks = MiddlewareRuntime.of(self._middleware.snapshot())
        return _contract_reads.execute_query_method(
            self._engine, contract_name, method_name, key_or_keys, params, hooks=hooks
        )

    def execute_command_method(
        self,
        contract_name: str,
        method_name: str,
        key_or_keys: Any,
        params: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run a contract command method (section 34.2).

        A single key runs the method's command or transaction with ``{**key, **params}`` and
        returns the consistent read-back when the method has a ``returnSelection``, else
        ``None``. A list or tuple of keys runs the ``batch`` form: one transaction (``None``),
        or ``parallel`` (``{"results": [{"ok": True} | {"ok": False, "error": str}, ...]}``).
        """
        engine = self._engine
        hooks = WriteRuntime.of(self._middleware.snapshot())

        def run_command(command_id: str, merged: Mapping[str, Any], opts: Any) -> Any:
            return _writes.execute_command(engine, command_id, merged, opts, hooks)

        def run_transaction(transaction_id: str, merged: Mapping[str, Any], opts: Any) -> Any:
            _transactions.execute_transaction(
                engine, transaction_id, merged, opts, None, hooks=hooks
            )

        return _contract_writes.execute_command_method(
            engine,
            contract_name,
            method_name,
            key_or_keys,
            params,
            options=options,
            run_command=run_command,
            run_transaction=run_transaction,
        )


def _check_arguments(
    client: object,
    *,
    table_mapping: object,
    limits: object,
    strict: object,
    cursor_secret: object,
    sleep: object,
) -> dict[str, str]:
    """Section 2.1 step 1: every argument's type; the ``table_mapping`` as a plain dict."""
    if client is None:
        raise ConfigurationError("dynamodb_client must be a boto3 DynamoDB client, got None")
    if hasattr(client, "Table") and not hasattr(client, "get_item"):
        raise ConfigurationError(
            "dynamodb_client must be a low-level client (boto3.client('dynamodb')), not a "
            "boto3 resource; pass resource.meta.client"
        )
    mapping = check_table_mapping(table_mapping)
    if limits is not None and not isinstance(limits, RuntimeLimits):
        raise ConfigurationError(f"limits must be None or a RuntimeLimits, {received(limits)}")
    if not isinstance(strict, bool):
        raise ConfigurationError(f"strict must be a bool, {received(strict)}")
    if cursor_secret is not None and not (
        isinstance(cursor_secret, (str, bytes)) and cursor_secret
    ):
        raise ConfigurationError(  # the value is a secret: name its type only
            "cursor_secret must be None, a non-empty str or non-empty bytes, got "
            + type(cursor_secret).__name__
        )
    if sleep is not None and not callable(sleep):
        raise ConfigurationError(f"sleep must be None or a callable, {received(sleep)}")
    return mapping
