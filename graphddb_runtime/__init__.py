"""graphddb-runtime: run graphddb access patterns (manifest.json + operations.json) on DynamoDB.

Public API only; everything else lives in private modules. ``__all__`` is pinned by a test.
"""

import typing as _typing

from . import errors
from ._execute.client import DynamoDBClient
from ._values.codec import to_jsonable
from .concurrency import map_with_concurrency
from .cursor import (
    decode_cursor,
    decode_per_key_cursor,
    encode_cursor,
    encode_per_key_cursor,
    serialize_contract_key,
)
from .errors import *  # noqa: F403 - the exception tree (errors.__all__) is public
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
    "DynamoDBClient",
    "GraphDDBRuntime",
    "MiddlewareRegistry",
    "MiddlewareRuntime",
    "PersistCtx",
    "ReadOpCtx",
    "ReadRequestCtx",
    "RuntimeLimits",
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
__all__ += errors.__all__
