"""The exception tree of graphddb-runtime (docs/format.md section 13).

Everything the runtime raises derives from :class:`GraphDDBError`. Where an older runtime raised a
builtin, the new class also inherits that builtin so existing ``except`` clauses keep working::

    GraphDDBError(Exception)
    ├── SpecError(GraphDDBError, ValueError)            .issues; load time only
    ├── ConfigurationError(GraphDDBError, ValueError)   bad constructor arguments or limits
    ├── QueryNotFoundError                              unknown query id
    ├── CommandNotFoundError                            unknown command id
    ├── TransactionNotFoundError                        unknown transaction id
    ├── ContractNotFoundError                           unknown contract or method, wrong kind
    ├── ContractArityError                              key array into a single-key method
    ├── ParameterValidationError(GraphDDBError, ValueError)
    │   ├── UnboundParameterError(ParameterValidationError, KeyError)
    │   └── CursorError(ParameterValidationError)
    ├── LimitExceededError                              always raised before any call
    ├── TransactionCollapseError(GraphDDBError, ValueError)   .items, .target
    ├── OperationExecutionError                         a call failed; .unprocessed, .unknown
    │   ├── ConditionFailedError
    │   ├── TransactionCanceledError                    .reasons
    │   ├── ThrottledError
    │   └── BatchIncompleteError                        retries exhausted
    ├── HydrationError                                  invalid ISO-8601 datetime/date value
    └── MultiOperationNotSupportedError                 exported for compatibility; never raised
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._dataclass import dataclass

__all__ = [
    "BatchIncompleteError",
    "CancellationReason",
    "CommandNotFoundError",
    "ConditionFailedError",
    "ConfigurationError",
    "ContractArityError",
    "ContractNotFoundError",
    "CursorError",
    "GraphDDBError",
    "HydrationError",
    "LimitExceededError",
    "MultiOperationNotSupportedError",
    "OperationExecutionError",
    "ParameterValidationError",
    "QueryNotFoundError",
    "SpecError",
    "SpecIssue",
    "ThrottledError",
    "TransactionCanceledError",
    "TransactionCollapseError",
    "TransactionNotFoundError",
    "UnboundParameterError",
]


class GraphDDBError(Exception):
    """Root of every exception raised by graphddb-runtime."""


@dataclass(frozen=True, slots=True)
class SpecIssue:
    """One problem found in the spec files.

    ``pointer`` is an RFC 6901 JSON pointer into ``file`` (``""`` is the document root);
    ``rule`` is the rule id of docs/format.md section 42; ``severity`` is ``"error"`` or
    ``"advisory"``.
    """

    file: str
    pointer: str
    message: str
    rule: str
    severity: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.file}#{self.pointer}: {self.message}"


def sort_issues(
    issues: Iterable[SpecIssue], manifest_file: str = "manifest.json"
) -> tuple[SpecIssue, ...]:
    """Order issues by file (the manifest first), then pointer, then rule id."""
    return tuple(sorted(issues, key=lambda i: (i.file != manifest_file, i.file, i.pointer, i.rule)))


class SpecError(GraphDDBError, ValueError):
    """The spec files have problems; raised once by the constructor with every issue."""

    def __init__(self, issues: Iterable[SpecIssue]) -> None:
        self.issues: tuple[SpecIssue, ...] = tuple(issues)  # the loader passes them sorted
        lines = [f"{len(self.issues)} problem(s) in the graphddb spec:"]
        lines.extend(f"  {issue}" for issue in self.issues)
        super().__init__("\n".join(lines))


class ConfigurationError(GraphDDBError, ValueError):
    """A constructor argument or a RuntimeLimits value is invalid."""


class QueryNotFoundError(GraphDDBError):
    """No query with that id."""


class CommandNotFoundError(GraphDDBError):
    """No command with that id."""


class TransactionNotFoundError(GraphDDBError):
    """No transaction with that id."""


class ContractNotFoundError(GraphDDBError):
    """Unknown contract or method, or a contract of the wrong kind."""


class ContractArityError(GraphDDBError):
    """A key array was passed to a method that only takes a single key."""


class ParameterValidationError(GraphDDBError, ValueError):
    """Caller params or options are invalid; always raised before any DynamoDB call."""


class UnboundParameterError(ParameterValidationError, KeyError):
    """A template, ``$param`` marker or ``inputField`` has no value."""

    def __str__(self) -> str:
        # KeyError.__str__ would quote the message; show it plainly.
        return str(self.args[0]) if self.args else ""


class CursorError(ParameterValidationError):
    """A cursor is malformed, foreign, unsigned or does not match the call."""


class LimitExceededError(GraphDDBError):
    """A RuntimeLimits bound, transaction cap or size limit is violated (before any call)."""


#: Where a built write came from: (spec item index, forEach element index), or, for a
#: contract ``parallel`` batch, (None, index in the key array).
Origin = tuple[int | None, int | None]


class TransactionCollapseError(GraphDDBError, ValueError):
    """Several writes target one row in a combination that cannot be collapsed: items of one
    transaction, or requests of one BatchWriteItem (docs/format.md sections 27 and 21.2).

    ``items`` lists the origins of the writes of that row, in expansion order (see
    :data:`Origin`); ``target`` is ``{"table": <physical>, "key": <AV key>}``. Both are empty
    (``()``, ``None``) only for the pre-flight's invariant check.
    """

    def __init__(
        self,
        message: str,
        *,
        items: Iterable[Origin] = (),
        target: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.items: tuple[Origin, ...] = tuple(items)
        self.target = target


class OperationExecutionError(GraphDDBError):
    """A DynamoDB call failed.

    ``original`` is the botocore exception (or ``None``), ``code`` the DynamoDB error code,
    ``operation_id`` the query/command/transaction id (or ``"<Contract>.<method>"``) and
    ``request_id`` the AWS request id when the response carried one.

    When BatchGetItem or BatchWriteItem work fails part-way (docs/format.md section 21.3),
    ``unprocessed`` lists every key (``{"table": <physical>, "key": <AV key>}``) or request
    (``{"table": ..., "request": <PutRequest or DeleteRequest>}``) known not to be done, and
    ``unknown`` every write request whose outcome is unknown (its call failed in a way that
    may or may not have applied it). Both are ``()`` for any other call.
    """

    def __init__(
        self,
        message: str,
        *,
        original: BaseException | None = None,
        code: str | None = None,
        operation_id: str | None = None,
        request_id: str | None = None,
        unprocessed: Iterable[Mapping[str, Any]] = (),
        unknown: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.original = original
        self.code = code
        self.operation_id = operation_id
        self.request_id = request_id
        self.unprocessed: tuple[Mapping[str, Any], ...] = tuple(unprocessed)
        self.unknown: tuple[Mapping[str, Any], ...] = tuple(unknown)


class ConditionFailedError(OperationExecutionError):
    """ConditionalCheckFailedException on a single-op write."""


@dataclass(frozen=True, slots=True)
class CancellationReason:
    """Why one item of a cancelled transaction failed (docs/format.md section 13.3)."""

    index: int
    spec_item: int | None
    element: int | None
    code: str
    message: str | None


class TransactionCanceledError(OperationExecutionError):
    """TransactionCanceledException; ``reasons`` maps each sent item back to the spec."""

    def __init__(
        self,
        message: str,
        *,
        reasons: Iterable[CancellationReason] = (),
        original: BaseException | None = None,
        code: str | None = None,
        operation_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            original=original,
            code=code,
            operation_id=operation_id,
            request_id=request_id,
        )
        self.reasons: tuple[CancellationReason, ...] = tuple(reasons)


class ThrottledError(OperationExecutionError):
    """DynamoDB kept throttling after botocore's own retries."""


class BatchIncompleteError(OperationExecutionError):
    """Batch retries were exhausted; ``unprocessed`` lists every key or request left over."""

    def __init__(
        self,
        message: str,
        *,
        unprocessed: Iterable[Mapping[str, Any]] = (),
        unknown: Iterable[Mapping[str, Any]] = (),
        operation_id: str | None = None,
    ) -> None:
        super().__init__(
            message, operation_id=operation_id, unprocessed=unprocessed, unknown=unknown
        )


class HydrationError(GraphDDBError):
    """A stored datetime/date value is not valid ISO 8601 (docs/format.md sections 9.3, 13.1).

    ``operation_id`` is the query, command or ``"<Contract>.<method>"`` that read the item,
    ``entity`` the manifest entity whose ``fields[field].format`` was applied, ``key`` the item's
    table key as plain values (``{"PK": ..., "SK": ...}``), and ``value`` the stored text. Any of
    them is ``None`` when it is not known.
    """

    def __init__(
        self,
        message: str,
        *,
        operation_id: str | None = None,
        entity: str | None = None,
        field: str | None = None,
        key: Mapping[str, Any] | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(message)
        self.operation_id = operation_id
        self.entity = entity
        self.field = field
        self.key = key
        self.value = value


class MultiOperationNotSupportedError(GraphDDBError):
    """Exported for compatibility with 0.5.x; never raised."""
