"""graphddb-runtime: run graphddb access patterns (manifest.json + operations.json) on DynamoDB.

Public API only; everything else lives in private modules. ``__all__`` is pinned by a test.
"""

from __future__ import annotations

from ._codec import to_jsonable
from .concurrency import map_with_concurrency
from .cursor import (
    decode_cursor,
    decode_per_key_cursor,
    encode_cursor,
    encode_per_key_cursor,
    serialize_contract_key,
)
from .errors import (
    BatchIncompleteError,
    CancellationReason,
    CommandNotFoundError,
    ConditionFailedError,
    ConfigurationError,
    ContractArityError,
    ContractNotFoundError,
    CursorError,
    GraphDDBError,
    HydrationError,
    LimitExceededError,
    MultiOperationNotSupportedError,
    OperationExecutionError,
    ParameterValidationError,
    QueryNotFoundError,
    SpecError,
    SpecIssue,
    ThrottledError,
    TransactionCanceledError,
    TransactionCollapseError,
    TransactionNotFoundError,
    UnboundParameterError,
)
from .limits import RELATION_TRAVERSAL_CONCURRENCY, RuntimeLimits
from .runtime import GraphDDBRuntime

__version__ = "0.1.0"

__all__ = [
    "RELATION_TRAVERSAL_CONCURRENCY",
    "BatchIncompleteError",
    "CancellationReason",
    "CommandNotFoundError",
    "ConditionFailedError",
    "ConfigurationError",
    "ContractArityError",
    "ContractNotFoundError",
    "CursorError",
    "GraphDDBError",
    "GraphDDBRuntime",
    "HydrationError",
    "LimitExceededError",
    "MultiOperationNotSupportedError",
    "OperationExecutionError",
    "ParameterValidationError",
    "QueryNotFoundError",
    "RuntimeLimits",
    "SpecError",
    "SpecIssue",
    "ThrottledError",
    "TransactionCanceledError",
    "TransactionCollapseError",
    "TransactionNotFoundError",
    "UnboundParameterError",
    "decode_cursor",
    "decode_per_key_cursor",
    "encode_cursor",
    "encode_per_key_cursor",
    "map_with_concurrency",
    "serialize_contract_key",
    "to_jsonable",
]
