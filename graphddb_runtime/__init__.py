"""graphddb-runtime: run graphddb access patterns (manifest.json + operations.json) on DynamoDB.

Public API only; everything else lives in private modules. ``__all__`` is pinned by a test.
"""

import typing as _typing

from ._values.codec import to_jsonable
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
from .middleware import (
    RECOVER_NONE,
    MiddlewareRegistry,
    MiddlewareRuntime,
    PersistCtx,
    ReadOpCtx,
    ReadRequestCtx,
    WriteCtx,
    WriteRuntime,
)
from .runtime import GraphDDBRuntime
from .spec import SPEC_VERSION_SUPPORTED

if _typing.TYPE_CHECKING:
    from .aio import AsyncGraphDDBRuntime

__version__ = "0.1.0"


def __getattr__(name: str) -> _typing.Any:
    # AsyncGraphDDBRuntime pulls in asyncio (about 7 ms); a synchronous Lambda handler never
    # needs it, so it is imported on first use instead of on ``import graphddb_runtime``.
    if name == "AsyncGraphDDBRuntime":
        from .aio import AsyncGraphDDBRuntime  # noqa: PLC0415

        return AsyncGraphDDBRuntime
    raise AttributeError(f"module 'graphddb_runtime' has no attribute {name!r}")


__all__ = [
    "RECOVER_NONE",
    "RELATION_TRAVERSAL_CONCURRENCY",
    "SPEC_VERSION_SUPPORTED",
    "AsyncGraphDDBRuntime",
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
    "MiddlewareRegistry",
    "MiddlewareRuntime",
    "MultiOperationNotSupportedError",
    "OperationExecutionError",
    "ParameterValidationError",
    "PersistCtx",
    "QueryNotFoundError",
    "ReadOpCtx",
    "ReadRequestCtx",
    "RuntimeLimits",
    "SpecError",
    "SpecIssue",
    "ThrottledError",
    "TransactionCanceledError",
    "TransactionCollapseError",
    "TransactionNotFoundError",
    "UnboundParameterError",
    "WriteCtx",
    "WriteRuntime",
    "decode_cursor",
    "decode_per_key_cursor",
    "encode_cursor",
    "encode_per_key_cursor",
    "map_with_concurrency",
    "serialize_contract_key",
    "to_jsonable",
]
