"""Batch executors: BatchGetItem and BatchWriteItem with retries (docs/format.md section 21).

Both split their (deduplicated) input into chunks, run the chunks with at most
``batch_concurrency`` in flight, retry only what DynamoDB reports as unprocessed after an
exponential backoff with full jitter, and, when a chunk's retries are exhausted, let the other
chunks finish and then raise one :class:`BatchIncompleteError` naming every key or request left
over. When a chunk's call fails (section 21.3), no further request is sent, the calls in flight
finish, and the error is raised with every key or request not known to be done
(``unprocessed``, and for writes ``unknown``). Nothing is ever dropped silently and nothing is
returned partially.

Requests are built by the caller's pure ``build`` function; this module only sends, retries and
collects. Client calls are made inside ``gate`` (the per-call in-flight bound of section 20.2);
backoff sleeps are not, so a sleeping chunk never holds a slot.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from decimal import Context, Decimal
from typing import Any

from .._dataclass import dataclass, field
from ..concurrency import map_with_concurrency
from ..errors import BatchIncompleteError, OperationExecutionError
from ..limits import RuntimeLimits
from .client import Sender, outcome_unknown
from .samerow import collapse_error, item_difference, where

__all__ = [
    "Batching",
    "backoff_delay",
    "batch_get",
    "batch_write",
    "canonical",
    "collapse_writes",
    "identity_function",
    "key_identity",
]

AV = dict[str, Any]
Gate = AbstractContextManager[Any]


@dataclass(frozen=True, slots=True)
class Batching:
    """How one call runs its batches: limits, the sleep function and the in-flight gate."""

    limits: RuntimeLimits
    sleep: Callable[[float], None]
    gate: Gate = field(default_factory=nullcontext)


def backoff_delay(attempt: int, limits: RuntimeLimits) -> float:
    """Seconds to wait before retry ``attempt`` (1-based): capped exponential, full jitter."""
    # The exponent is capped so a float base never overflows with very many retries.
    growth = 2.0 ** min(attempt - 1, 64)
    ceiling = min(limits.batch_backoff_cap_ms, limits.batch_backoff_base_ms * growth)
    delay = random.uniform(0, ceiling) if limits.batch_backoff_jitter else ceiling
    return float(delay) / 1000


#: Normalizes every DynamoDB number exactly (38 significant digits; the default context's 28
#: would round distinct numbers into one identity).
_NUMBERS = Context(prec=38)


def canonical(av: Mapping[str, Any]) -> tuple[str, Any]:
    """Section 19.1: ``S`` text, ``B`` bytes, ``N`` as normalized decimal text."""
    if "N" in av:
        return ("N", str(Decimal(av["N"]).normalize(_NUMBERS)))
    if "S" in av:
        return ("S", av["S"])
    if "B" in av:
        value = av["B"]
        return ("B", bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) else value)
    return ("?", repr(sorted(av.items())))


def key_identity(item: Mapping[str, Any], attributes: Sequence[str]) -> tuple[Any, ...]:
    """The identity of a key (or of the key attributes of an item), both as AV maps."""
    return _identity(item, sorted(attributes))


def _canonical(av: Any) -> tuple[str, Any]:
    """:func:`canonical`, with the common ``{"S": text}`` shape decided inline."""
    if type(av) is dict and len(av) == 1 and "S" in av:
        return ("S", av["S"])
    return canonical(av)


def identity_function(attributes: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """``lambda item: key_identity(item, attributes)``, with the attributes sorted once."""
    names = tuple(sorted(attributes))
    if len(names) == 2:
        first, second = names

        def pair(item: Mapping[str, Any]) -> tuple[Any, ...]:
            if first in item and second in item:
                return ((first, _canonical(item[first])), (second, _canonical(item[second])))
            return _identity(item, names)

        return pair
    return lambda item: _identity(item, names)


def _identity(item: Mapping[str, Any], names: Sequence[str]) -> tuple[Any, ...]:
    return tuple([(name, _canonical(item[name])) for name in names if name in item])


# --- the chunked send with retries (sections 21.1 to 21.3) -------------------------------------

#: Per chunk: the items found, what is left (unprocessed, or not sent after a failure) and the
#: error of its failed call, if any.
Outcome = tuple[list[AV], list[AV], OperationExecutionError | None]


def _send_chunks(
    sender: Sender,
    operation_id: str,
    operation: str,
    chunks: list[list[AV]],
    *,
    build: Callable[[list[AV]], dict[str, Any]],
    answer: Callable[[Mapping[str, Any]], tuple[Sequence[AV], Sequence[AV]]],
    batching: Batching,
) -> list[Outcome]:
    """Send every chunk, retrying what ``answer`` reports left (``(found, left)`` of one
    response) after a backoff; after a failed call nothing more is sent (section 21.3)."""
    limits = batching.limits
    stop = [False]

    def run(chunk: list[AV], _: int) -> Outcome:
        found: list[AV] = []
        pending = chunk
        attempt = 0
        while True:
            try:
                with batching.gate:
                    if stop[0]:
                        return found, pending, None
                    response = sender.send(operation_id, operation, build(pending))
            except OperationExecutionError as error:
                stop[0] = True
                return found, pending, error
            got, left = answer(response)
            found.extend(got)
            if not left or attempt >= limits.batch_max_retries:
                return found, list(left), None
            attempt += 1
            batching.sleep(backoff_delay(attempt, limits))
            pending = list(left)

    return map_with_concurrency(chunks, limits.batch_concurrency, run)


def _settle(
    outcomes: list[Outcome],
    operation_id: str,
    *,
    table: str,
    field: str,
    what: str,
    limits: RuntimeLimits,
) -> None:
    """Raise the first failure (with ``unprocessed`` and, for writes, ``unknown``), else a
    ``BatchIncompleteError`` when anything is left after the retries."""
    unprocessed: list[dict[str, Any]] = []
    unknown: list[dict[str, Any]] = []
    for _, left, error in outcomes:
        # A failed write whose outcome is unknown may have been applied (section 21.3).
        into = (
            unknown
            if error is not None and field == "request" and outcome_unknown(error)
            else unprocessed
        )
        into.extend({"table": table, field: entry} for entry in left)
    failure = next((error for _, _, error in outcomes if error is not None), None)
    if failure is not None:
        failure.unprocessed = tuple(unprocessed)
        failure.unknown = tuple(unknown)
        raise failure
    if unprocessed:
        raise BatchIncompleteError(
            f"{what}: {len(unprocessed)} {field}(s) still unprocessed for table '{table}' "
            f"after {limits.batch_max_retries} retries",
            unprocessed=unprocessed,
            operation_id=operation_id,
        )


# --- BatchGetItem (section 21.1) --------------------------------------------------------------


def batch_get(
    sender: Sender,
    operation_id: str,
    *,
    table: str,
    keys: Sequence[AV],
    build: Callable[[list[AV]], dict[str, Any]],
    batching: Batching,
) -> list[AV]:
    """Every item DynamoDB returns for ``keys`` (raw AV maps, chunk order)."""
    size = batching.limits.max_batch_get_items
    chunks = [list(keys[i : i + size]) for i in range(0, len(keys), size)]

    def answer(response: Mapping[str, Any]) -> tuple[Sequence[AV], Sequence[AV]]:
        found = response.get("Responses", {}).get(table, ())
        return found, response.get("UnprocessedKeys", {}).get(table, {}).get("Keys") or []

    outcomes = _send_chunks(
        sender, operation_id, "BatchGetItem", chunks, build=build, answer=answer, batching=batching
    )
    _settle(
        outcomes,
        operation_id,
        table=table,
        field="key",
        what="BatchGetItem",
        limits=batching.limits,
    )
    return [item for found, _, _ in outcomes for item in found]


# --- BatchWriteItem (section 21.2) ------------------------------------------------------------


def _request_key(request: Mapping[str, Any], key_attributes: Sequence[str]) -> tuple[Any, ...]:
    if "PutRequest" in request:
        return key_identity(request["PutRequest"]["Item"], key_attributes)
    return key_identity(request["DeleteRequest"]["Key"], key_attributes)


def _same_request(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """Two requests on one key that have the same effect: Puts of identical Items (encoded
    AttributeValues compared, so ``N "-0.0"`` is not ``N "0.0"``), or two Deletes."""
    if "PutRequest" in first:
        return (
            "PutRequest" in second and first["PutRequest"]["Item"] == second["PutRequest"]["Item"]
        )
    return "DeleteRequest" in second


def collapse_writes(
    requests: Sequence[AV], key_attributes: Sequence[str], *, op_id: str, table: str
) -> list[AV]:
    """Requests on one table key (DynamoDB rejects duplicates, section 21.2 item 2): identical
    ones are sent once, at the first position; different ones raise TransactionCollapseError.

    Request ``i`` is named ``keys[i]``: a contract batch builds one request per key.
    """
    first_at: dict[tuple[Any, ...], int] = {}
    out: list[AV] = []
    for index, request in enumerate(requests):
        identity = _request_key(request, key_attributes)
        seen = first_at.setdefault(identity, index)
        if seen == index:
            out.append(request)
        elif not _same_request(requests[seen], request):
            raise _conflict(requests, key_attributes, (seen, index), op_id=op_id, table=table)
    return out


def _conflict(
    requests: Sequence[AV],
    key_attributes: Sequence[str],
    pair: tuple[int, int],
    *,
    op_id: str,
    table: str,
) -> Exception:
    first, second = requests[pair[0]], requests[pair[1]]
    origins = ((None, pair[0]), (None, pair[1]))
    names = (where(origins[0]), where(origins[1]))
    if "PutRequest" in first and "PutRequest" in second:
        detail = item_difference(first["PutRequest"]["Item"], second["PutRequest"]["Item"], names)
    else:
        verbs = ["puts" if "PutRequest" in r else "deletes" for r in (first, second)]
        detail = f"{names[0]} {verbs[0]} the row and {names[1]} {verbs[1]} it"
    written = (
        first["PutRequest"]["Item"] if "PutRequest" in first else first["DeleteRequest"]["Key"]
    )
    key = {attr: written[attr] for attr in key_attributes if attr in written}
    identity = _request_key(first, key_attributes)
    every = [
        (None, i) for i, r in enumerate(requests) if _request_key(r, key_attributes) == identity
    ]
    return collapse_error(
        op_id,
        "different writes of the same row in one BatchWriteItem",
        origins,
        f"{detail}; BatchWriteItem cannot carry two requests for one key",
        every,
        (table, key),
    )


def batch_write(
    sender: Sender,
    operation_id: str,
    *,
    table: str,
    requests: Sequence[AV],
    key_attributes: Sequence[str],
    batching: Batching,
) -> None:
    """Send every Put/Delete request of one table, 25 (or fewer) per call, until none is left."""
    writes = collapse_writes(requests, key_attributes, op_id=operation_id, table=table)
    size = batching.limits.max_batch_write_items
    chunks = [writes[i : i + size] for i in range(0, len(writes), size)]

    def build(pending: list[AV]) -> dict[str, Any]:
        return {"RequestItems": {table: pending}}

    def answer(response: Mapping[str, Any]) -> tuple[Sequence[AV], Sequence[AV]]:
        return (), response.get("UnprocessedItems", {}).get(table) or []

    outcomes = _send_chunks(
        sender,
        operation_id,
        "BatchWriteItem",
        chunks,
        build=build,
        answer=answer,
        batching=batching,
    )
    _settle(
        outcomes,
        operation_id,
        table=table,
        field="request",
        what="BatchWriteItem",
        limits=batching.limits,
    )
