"""The public surface is pinned: a change to graphddb_runtime.__all__ is a deliberate decision."""

from __future__ import annotations

import importlib
import inspect
import types

import graphddb_runtime
from graphddb_runtime._execute.client import METHODS

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
    "DynamoDBClient",
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


# Every public module's __all__, pinned: a module exports only the names a user may rely on.
PUBLIC_MODULES = {
    "graphddb_runtime.runtime": {"GraphDDBRuntime"},
    "graphddb_runtime.aio": {"AsyncGraphDDBRuntime"},
    "graphddb_runtime.limits": {"RELATION_TRAVERSAL_CONCURRENCY", "RuntimeLimits"},
    "graphddb_runtime.concurrency": {"map_with_concurrency"},
    "graphddb_runtime.cli": {"main"},
    "graphddb_runtime.local": {"create_tables", "moto_server", "table_definitions"},
    "graphddb_runtime.demo": {"SEED", "example_spec", "run_demo", "seed"},
    "graphddb_runtime.cursor": {
        "decode_cursor",
        "decode_per_key_cursor",
        "encode_cursor",
        "encode_per_key_cursor",
        "mint_cursor",
        "read_cursor",
        "serialize_contract_key",
        "sign_cursor",
        "verify_cursor",
    },
    "graphddb_runtime.middleware": {
        "RECOVER_NONE",
        "MiddlewareRegistry",
        "MiddlewareRuntime",
        "PersistCtx",
        "ReadOpCtx",
        "ReadRequestCtx",
        "WriteCtx",
        "WriteRuntime",
    },
    "graphddb_runtime.errors": {
        name
        for name in SECTION_15_1
        if name.endswith("Error") or name in {"SpecIssue", "CancellationReason"}
    },
}
#: The modules a user imports (the package's public submodules); the rest start with "_".
PUBLIC_SUBMODULES = {name.rsplit(".", 1)[1] for name in PUBLIC_MODULES} | {"spec"}


def test_every_public_module_pins_its_all() -> None:
    for module_name, names in PUBLIC_MODULES.items():
        module = importlib.import_module(module_name)
        assert set(module.__all__) == names, module_name
        assert len(module.__all__) == len(names), module_name
        for name in module.__all__:
            assert hasattr(module, name), (module_name, name)


def test_the_package_namespace_holds_only_public_names() -> None:
    """``vars(graphddb_runtime)``: the exports, dunders, public submodules and private ones."""
    importlib.import_module("graphddb_runtime.aio")
    for name, value in vars(graphddb_runtime).items():
        if name.startswith("_"):
            continue
        if isinstance(value, types.ModuleType):
            assert name in PUBLIC_SUBMODULES, name
        else:
            assert name in graphddb_runtime.__all__, name


def test_the_constructor_client_is_typed_by_the_dynamodb_client_protocol() -> None:
    hints = inspect.signature(graphddb_runtime.GraphDDBRuntime.__init__).parameters
    assert hints["dynamodb_client"].annotation in (
        "DynamoDBClient",
        graphddb_runtime.DynamoDBClient,
    )
    members = {
        name
        for name, value in vars(graphddb_runtime.DynamoDBClient).items()
        if isinstance(value, property)
    }
    # docs/format.md section 1.3: exactly the methods the one sender calls.
    assert members == set(METHODS.values())
