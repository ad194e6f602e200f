"""The error taxonomy of section 13.1 and RuntimeLimits of section 22.1."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from graphddb_runtime import (
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
    RuntimeLimits,
    SpecError,
    ThrottledError,
    TransactionCanceledError,
    TransactionCollapseError,
    TransactionNotFoundError,
    UnboundParameterError,
)

TAXONOMY: list[tuple[type[BaseException], tuple[type[BaseException], ...]]] = [
    (SpecError, (GraphDDBError, ValueError)),
    (ConfigurationError, (GraphDDBError, ValueError)),
    (QueryNotFoundError, (GraphDDBError,)),
    (CommandNotFoundError, (GraphDDBError,)),
    (TransactionNotFoundError, (GraphDDBError,)),
    (ContractNotFoundError, (GraphDDBError,)),
    (ContractArityError, (GraphDDBError,)),
    (ParameterValidationError, (GraphDDBError, ValueError)),
    (UnboundParameterError, (ParameterValidationError, KeyError)),
    (CursorError, (ParameterValidationError, ValueError)),
    (LimitExceededError, (GraphDDBError,)),
    (TransactionCollapseError, (GraphDDBError, ValueError)),
    (OperationExecutionError, (GraphDDBError,)),
    (ConditionFailedError, (OperationExecutionError,)),
    (TransactionCanceledError, (OperationExecutionError,)),
    (ThrottledError, (OperationExecutionError,)),
    (BatchIncompleteError, (OperationExecutionError,)),
    (HydrationError, (GraphDDBError,)),
    (MultiOperationNotSupportedError, (GraphDDBError,)),
]


@pytest.mark.parametrize(("cls", "bases"), TAXONOMY)
def test_taxonomy(cls: type[BaseException], bases: tuple[type[BaseException], ...]) -> None:
    for base in bases:
        assert issubclass(cls, base)
    assert issubclass(cls, GraphDDBError)


def test_unbound_parameter_error_prints_its_plain_message() -> None:
    err = UnboundParameterError("q: template 'A#{x}' references unbound parameter 'x'")
    assert str(err) == "q: template 'A#{x}' references unbound parameter 'x'"
    with pytest.raises(KeyError):
        raise err


def test_operation_errors_carry_data_fields() -> None:
    original = RuntimeError("boom")
    err = ConditionFailedError(
        "createUser: DynamoDB operation failed: boom",
        original=original,
        code="ConditionalCheckFailedException",
        operation_id="createUser",
        request_id="r-1",
    )
    assert (err.original, err.code, err.operation_id, err.request_id) == (
        original,
        "ConditionalCheckFailedException",
        "createUser",
        "r-1",
    )
    reason = CancellationReason(index=0, spec_item=0, element=None, code="None", message=None)
    cancelled = TransactionCanceledError("t: failed", reasons=[reason], code="X")
    assert cancelled.reasons == (reason,)
    incomplete = BatchIncompleteError("b", unprocessed=[{"table": "t", "key": {}}])
    assert incomplete.unprocessed == ({"table": "t", "key": {}},)
    with pytest.raises(dataclasses.FrozenInstanceError):
        reason.code = "x"  # type: ignore[misc]


def test_limits_defaults() -> None:
    limits = RuntimeLimits()
    assert dataclasses.asdict(limits) == {
        "max_operations": 20,
        "max_items": 100,
        "max_depth": 5,
        "max_batch_get_items": 100,
        "max_batch_write_items": 25,
        "max_transaction_items": 100,
        "max_transaction_bytes": 4194304,
        "batch_max_retries": 10,
        "batch_backoff_base_ms": 50,
        "batch_backoff_cap_ms": 1000,
        "batch_backoff_jitter": True,
        "batch_concurrency": 4,
        "numbers": "decimal",
        "datetimes": "datetime",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        limits.max_items = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_operations": 0},
        {"max_items": 0},
        {"max_items": True},
        {"max_items": 1.5},
        {"max_depth": -1},
        {"max_batch_get_items": 101},
        {"max_batch_get_items": 0},
        {"max_batch_write_items": 26},
        {"max_transaction_items": 101},
        {"max_transaction_bytes": 0},
        {"batch_max_retries": -1},
        {"batch_backoff_base_ms": 0},
        {"batch_backoff_base_ms": 100, "batch_backoff_cap_ms": 50},
        {"batch_backoff_jitter": "yes"},
        {"batch_concurrency": 0},
        {"numbers": "float"},
    ],
)
def test_invalid_limits_raise_configuration_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(kwargs))):
        RuntimeLimits(**kwargs)


def test_limits_accept_their_bounds() -> None:
    bounds: dict[str, Any] = {
        "max_depth": 0,
        "max_batch_get_items": 100,
        "max_batch_write_items": 25,
        "max_transaction_items": 1,
        "batch_max_retries": 0,
        "batch_backoff_base_ms": 1,
        "batch_backoff_cap_ms": 1,
        "batch_backoff_jitter": False,
        "numbers": "native",
    }
    limits = RuntimeLimits(**bounds)
    assert {name: getattr(limits, name) for name in bounds} == bounds


def test_limits_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        RuntimeLimits(20)  # type: ignore[misc]
