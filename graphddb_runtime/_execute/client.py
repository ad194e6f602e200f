"""The only module that calls the DynamoDB client, and the one place errors are translated.

Every call's errors go through :func:`translated` (docs/format.md section 13.2): botocore's
``ClientError`` and ``BotoCoreError`` become :class:`OperationExecutionError` subclasses raised
``from`` the original; anything else the client raises propagates unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import (
    CancellationReason,
    ConditionFailedError,
    OperationExecutionError,
    ThrottledError,
    TransactionCanceledError,
)

__all__ = [
    "METHODS",
    "DynamoDBClient",
    "Sender",
    "cancellation_reasons",
    "outcome_unknown",
    "translated",
]

_THROTTLING = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
_BRACKETED = re.compile(r"\[([^\[\]]*)\]\s*$")
#: Error codes of a failure on DynamoDB's side, after which a write may have been applied.
_SERVER_FAULTS = frozenset({"InternalServerError", "InternalFailure", "ServiceUnavailable"})


class DynamoDBClient(Protocol):
    """The slice of a low-level boto3 DynamoDB client the runtime calls (docs/format.md 1.3).

    Exported as ``graphddb_runtime.DynamoDBClient`` to type the constructor's client. The
    methods are read-only members typed ``Callable[..., Any]`` so that a boto3 client (typed or not,
    e.g. with ``mypy-boto3-dynamodb``), a ``Stubber``-wrapped client and a duck-typed fake all
    conform; they are only ever called with keyword arguments.
    """

    @property
    def get_item(self) -> Callable[..., Any]: ...
    @property
    def query(self) -> Callable[..., Any]: ...
    @property
    def put_item(self) -> Callable[..., Any]: ...
    @property
    def update_item(self) -> Callable[..., Any]: ...
    @property
    def delete_item(self) -> Callable[..., Any]: ...
    @property
    def batch_get_item(self) -> Callable[..., Any]: ...
    @property
    def batch_write_item(self) -> Callable[..., Any]: ...
    @property
    def transact_write_items(self) -> Callable[..., Any]: ...


def cancellation_reasons(error: ClientError) -> list[tuple[str, str | None]]:
    """``(code, message)`` per transaction item: CancellationReasons, else the message's list."""
    response = error.response
    reasons = response.get("CancellationReasons")
    if isinstance(reasons, list):
        return [(str(r.get("Code", "None")), r.get("Message")) for r in reasons]
    message = str(response.get("Error", {}).get("Message", ""))
    found = _BRACKETED.search(message)
    if found is None:
        return []
    return [(code.strip(), None) for code in found.group(1).split(",") if code.strip()]


def translated(exc: ClientError | BotoCoreError, operation_id: str) -> OperationExecutionError:
    """The runtime's error for a botocore exception (section 13.2); raise it ``from exc``."""
    if isinstance(exc, BotoCoreError):
        return OperationExecutionError(
            f"{operation_id}: DynamoDB operation failed: {exc}",
            original=exc,
            operation_id=operation_id,
        )
    code = exc.response.get("Error", {}).get("Code")
    request_id = exc.response.get("ResponseMetadata", {}).get("RequestId")
    message = f"{operation_id}: DynamoDB operation failed: {exc}"
    fields: dict[str, Any] = {
        "original": exc,
        "code": code,
        "operation_id": operation_id,
        "request_id": request_id,
    }
    if code == "ConditionalCheckFailedException":
        return ConditionFailedError(message, **fields)
    if code == "TransactionCanceledException":
        reasons = [
            CancellationReason(index=i, spec_item=None, element=None, code=c, message=m)
            for i, (c, m) in enumerate(cancellation_reasons(exc))
        ]
        return TransactionCanceledError(message, reasons=reasons, **fields)
    if code in _THROTTLING:
        return ThrottledError(message, **fields)
    return OperationExecutionError(message, **fields)


def outcome_unknown(error: OperationExecutionError) -> bool:
    """Whether a failed write may have been applied (docs/format.md section 21.3).

    DynamoDB answered with a client-side error (HTTP 4xx: throttling, validation, ...): it
    applied nothing. No answer (a ``BotoCoreError``: connection error, timeout, ...) or a
    failure on DynamoDB's side (HTTP 5xx): unknown.
    """
    original = error.original
    if not isinstance(original, ClientError):
        return True
    status = original.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return (isinstance(status, int) and status >= 500) or error.code in _SERVER_FAULTS


#: DynamoDB operation name -> the low-level client's method (every operation the runtime sends).
METHODS: Mapping[str, str] = {
    "GetItem": "get_item",
    "Query": "query",
    "PutItem": "put_item",
    "UpdateItem": "update_item",
    "DeleteItem": "delete_item",
    "BatchGetItem": "batch_get_item",
    "BatchWriteItem": "batch_write_item",
    "TransactWriteItems": "transact_write_items",
}


class Sender:
    """Sends requests built elsewhere: one send-and-translate for every DynamoDB operation."""

    __slots__ = ("client",)

    def __init__(self, client: Any) -> None:
        self.client = client

    def send(self, operation_id: str, operation: str, request: dict[str, Any]) -> Mapping[str, Any]:
        """Call the client method of ``operation`` (a :data:`METHODS` key) with ``request``;
        botocore errors become the runtime's (section 13.2), raised ``from`` the original."""
        try:
            response: Mapping[str, Any] = getattr(self.client, METHODS[operation])(**request)
        except (ClientError, BotoCoreError) as exc:
            raise translated(exc, operation_id) from exc
        return response
