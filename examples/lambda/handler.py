"""AWS Lambda entry point (``handler.handler``) running the worked example's access patterns.

Init phase (module scope: once per execution environment, and what SnapStart snapshots): the
DynamoDB client is created and ``GraphDDBRuntime`` reads, validates and compiles both spec files.
Neither makes a network call. Each invocation is then one ``execute_*`` call::

    {"query": "getUser", "params": {"userId": "alice"}, "options": {"limit": 25}}
    {"command": "createUser", "params": {...}, "options": {"returnValues": "ALL_NEW"}}
    {"transaction": "addMembers", "params": {...}, "options": {"idempotencyToken": "req-7f3a"}}

The response is ``{"result": <JSON-safe value>}``, or ``{"error": {"type": ..., "message": ...}}``
when the request is rejected (bad event, unknown id, invalid params or options, a limit, a refused
conditional write). Any other exception propagates, so Lambda records the invocation as failed.

Environment:

* ``GRAPHDDB_TABLE_MAPPING``: JSON object ``{"<logical table>": "<physical table>"}``, e.g.
  ``{"AppTable": "app-prod"}``. Unset: tables are addressed by their logical names.
* ``DYNAMODB_ENDPOINT_URL``: optional endpoint (DynamoDB Local, moto); leave unset on AWS.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from graphddb_runtime import (
    RELATION_TRAVERSAL_CONCURRENCY,
    CommandNotFoundError,
    ConditionFailedError,
    GraphDDBError,
    GraphDDBRuntime,
    LimitExceededError,
    ParameterValidationError,
    QueryNotFoundError,
    TransactionCanceledError,
    TransactionNotFoundError,
    to_jsonable,
)

GENERATED = Path(__file__).resolve().parent / "generated"

#: Errors that describe the request, not the function: returned to the caller, not raised.
REJECTIONS: tuple[type[GraphDDBError], ...] = (
    ParameterValidationError,  # also UnboundParameterError and CursorError
    QueryNotFoundError,
    CommandNotFoundError,
    TransactionNotFoundError,
    LimitExceededError,
    ConditionFailedError,
    TransactionCanceledError,
)


def _table_mapping() -> dict[str, str] | None:
    raw = os.environ.get("GRAPHDDB_TABLE_MAPPING")
    if not raw:
        return None
    try:
        mapping: dict[str, str] = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"GRAPHDDB_TABLE_MAPPING is not valid JSON: {exc}") from None
    return mapping  # the runtime rejects anything but {str: str} with ConfigurationError


CLIENT = boto3.client(
    "dynamodb",
    endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
    config=Config(
        connect_timeout=2,
        read_timeout=5,
        retries={"mode": "standard", "total_max_attempts": 3},
        max_pool_connections=RELATION_TRAVERSAL_CONCURRENCY,  # relation legs run concurrently
        tcp_keepalive=True,
    ),
)
RUNTIME = GraphDDBRuntime(
    CLIENT,
    GENERATED / "manifest.json",
    GENERATED / "operations.json",
    table_mapping=_table_mapping(),
)

EXECUTORS: dict[str, Callable[[str, Mapping[str, Any], Mapping[str, Any] | None], Any]] = {
    "query": RUNTIME.execute_query,
    "command": RUNTIME.execute_command,
    "transaction": RUNTIME.execute_transaction,
}

try:  # SnapStart runtime hooks; the library ships with the Lambda Python managed runtimes
    from snapshot_restore_py import register_after_restore
except ImportError:  # anywhere else (local runs, tests)
    pass
else:
    # Every environment restored from one snapshot starts with the same PRNG state; reseed so
    # the jitter of batch retries (and of botocore's retries) differs between environments.
    register_after_restore(random.seed)


def _rejected(kind: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **details}}


def handler(event: Any, context: object) -> dict[str, Any]:
    """Run the one query, command or transaction that ``event`` names."""
    kinds = [k for k in EXECUTORS if isinstance(event, Mapping) and k in event]
    if len(kinds) != 1 or not isinstance(event[kinds[0]], str):
        return _rejected(
            "BadEvent",
            'the event needs exactly one of "query", "command" or "transaction" (an operation id)',
        )
    kind = kinds[0]
    try:
        result = EXECUTORS[kind](event[kind], event.get("params", {}), event.get("options"))
    except REJECTIONS as exc:
        details: dict[str, Any] = {}
        if isinstance(exc, TransactionCanceledError):
            details["reasons"] = [dataclasses.asdict(r) for r in exc.reasons]
        return _rejected(type(exc).__name__, str(exc), **details)
    return {"result": to_jsonable(result)}
