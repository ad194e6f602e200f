"""The public surface is pinned: a change to graphddb_runtime.__all__ is a deliberate decision."""

from __future__ import annotations

import graphddb_runtime

# Section 15.1 lists the final surface; every name of it is exported.
PUBLIC = {
    "GraphDDBRuntime",
    "RuntimeLimits",
    "RELATION_TRAVERSAL_CONCURRENCY",
    "SPEC_VERSION_SUPPORTED",
    # errors (section 13.1), SpecIssue and CancellationReason
    "GraphDDBError",
    "SpecError",
    "SpecIssue",
    "ConfigurationError",
    "QueryNotFoundError",
    "CommandNotFoundError",
    "TransactionNotFoundError",
    "ContractNotFoundError",
    "ContractArityError",
    "ParameterValidationError",
    "UnboundParameterError",
    "CursorError",
    "LimitExceededError",
    "TransactionCollapseError",
    "OperationExecutionError",
    "ConditionFailedError",
    "TransactionCanceledError",
    "ThrottledError",
    "BatchIncompleteError",
    "HydrationError",
    "MultiOperationNotSupportedError",
    "CancellationReason",
    # helpers (section 15.5)
    "to_jsonable",
    "encode_cursor",
    "decode_cursor",
    "serialize_contract_key",
    "encode_per_key_cursor",
    "decode_per_key_cursor",
    "map_with_concurrency",
}

SECTION_15_1 = PUBLIC | {
    "AsyncGraphDDBRuntime",
    "to_jsonable",
    "encode_cursor",
    "decode_cursor",
    "serialize_contract_key",
    "encode_per_key_cursor",
    "decode_per_key_cursor",
    "map_with_concurrency",
    "MiddlewareRegistry",
    "MiddlewareRuntime",
    "WriteRuntime",
    "ReadRequestCtx",
    "ReadOpCtx",
    "WriteCtx",
    "PersistCtx",
    "RECOVER_NONE",
}


def test_all_is_pinned() -> None:
    assert set(graphddb_runtime.__all__) == SECTION_15_1
    assert len(graphddb_runtime.__all__) == len(set(graphddb_runtime.__all__))


def test_every_exported_name_exists_and_belongs_to_section_15_1() -> None:
    for name in graphddb_runtime.__all__:
        assert hasattr(graphddb_runtime, name), name
    assert set(graphddb_runtime.__all__) <= SECTION_15_1


def test_relation_traversal_concurrency() -> None:
    assert graphddb_runtime.RELATION_TRAVERSAL_CONCURRENCY == 16


def test_spec_version_supported() -> None:
    assert graphddb_runtime.SPEC_VERSION_SUPPORTED == "1.2"
