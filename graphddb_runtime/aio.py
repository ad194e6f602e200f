"""``AsyncGraphDDBRuntime``: coroutine twins of every I/O method (docs/format.md section 29).

Each twin runs the synchronous method in :func:`asyncio.to_thread`, so it returns exactly what
the sync method returns and raises exactly what it raises; hooks run in the worker thread.
Concurrency is bounded by the event loop's default executor (``min(32, os.cpu_count() + 4)``
threads unless the host sets its own with ``loop.set_default_executor``); size it together with
botocore's ``max_pool_connections`` (see the README section "Async").

Cancelling an awaiting task does not stop a call that has started: the worker thread finishes
and its result is discarded. DynamoDB writes are therefore never half-sent by a cancellation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from .runtime import GraphDDBRuntime

__all__ = ["AsyncGraphDDBRuntime"]


class AsyncGraphDDBRuntime:
    """The asyncio face of a :class:`GraphDDBRuntime` (which it wraps, and shares)."""

    __slots__ = ("_sync",)

    def __init__(self, runtime: GraphDDBRuntime) -> None:
        if not isinstance(runtime, GraphDDBRuntime):
            from .errors import ConfigurationError  # noqa: PLC0415

            raise ConfigurationError(
                f"AsyncGraphDDBRuntime wraps a GraphDDBRuntime, got {type(runtime).__name__}"
            )
        self._sync = runtime

    @property
    def sync(self) -> GraphDDBRuntime:
        """The wrapped synchronous runtime."""
        return self._sync

    # --- middleware: synchronous pass-throughs (section 35) -----------------------------------

    def use(self, middleware: Any) -> None:
        self._sync.use(middleware)

    def clear_middleware(self) -> None:
        self._sync.clear_middleware()

    def get_middleware(self) -> tuple[Any, ...]:
        return self._sync.get_middleware()

    # --- coroutine twins ------------------------------------------------------------------------

    async def execute_query(
        self, query_id: str, params: Mapping[str, Any], options: Mapping[str, Any] | None = None
    ) -> Any:
        return await asyncio.to_thread(self._sync.execute_query, query_id, params, options)

    async def explain(
        self, query_id: str, params: Mapping[str, Any], options: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return await asyncio.to_thread(self._sync.explain, query_id, params, options)

    async def execute_command(
        self, command_id: str, params: Mapping[str, Any], options: Mapping[str, Any] | None = None
    ) -> Any:
        return await asyncio.to_thread(self._sync.execute_command, command_id, params, options)

    async def execute_transaction(
        self,
        transaction_id: str,
        params: Mapping[str, Any],
        options: Mapping[str, Any] | None = None,
        *,
        client_request_token: str | None = None,
    ) -> None:
        await asyncio.to_thread(
            self._sync.execute_transaction,
            transaction_id,
            params,
            options,
            client_request_token=client_request_token,
        )

    async def execute_query_method(
        self,
        contract_name: str,
        method_name: str,
        key_or_keys: Any,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        return await asyncio.to_thread(
            self._sync.execute_query_method, contract_name, method_name, key_or_keys, params
        )

    async def execute_command_method(
        self,
        contract_name: str,
        method_name: str,
        key_or_keys: Any,
        params: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Any:
        return await asyncio.to_thread(
            self._sync.execute_command_method,
            contract_name,
            method_name,
            key_or_keys,
            params,
            options,
        )
