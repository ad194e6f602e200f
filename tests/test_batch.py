"""Unit tests for the batch executors (docs/format.md sections 21.1, 21.2 and 22.1).

The DynamoDB client is a scripted fake: it records every request, answers from a per-key
"unprocessed for this many more rounds" table, and can be slowed down or made to fail.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from botocore.exceptions import ClientError

from graphddb_runtime._execute import batch as _batch
from graphddb_runtime._execute.batch import (
    Batching,
    backoff_delay,
    batch_get,
    batch_write,
    collapse_writes,
    key_identity,
)
from graphddb_runtime._execute.client import Sender
from graphddb_runtime.errors import (
    BatchIncompleteError,
    OperationExecutionError,
    ThrottledError,
    TransactionCollapseError,
)
from graphddb_runtime.limits import RuntimeLimits

from ._fake_dynamo import FakeDynamo

TABLE = "app-table"
OP = "getPosts"
KEY_ATTRS = ("pk", "sk")
#: The documented schedule for base 50 ms, cap 1000 ms, no jitter.
SCHEDULE = [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


# --- fakes ------------------------------------------------------------------------------------


def key(i: int) -> dict[str, Any]:
    return {"pk": {"S": f"USER#{i}"}, "sk": {"N": str(i)}}


def item_for(k: Mapping[str, Any]) -> dict[str, Any]:
    return {**copy.deepcopy(dict(k)), "name": {"S": "n-" + k["pk"]["S"]}}


def put(i: int, value: str = "v") -> dict[str, Any]:
    return {"PutRequest": {"Item": {**key(i), "value": {"S": value}}}}


def delete(i: int) -> dict[str, Any]:
    return {"DeleteRequest": {"Key": key(i)}}


def ident(k: Mapping[str, Any]) -> tuple[Any, ...]:
    return key_identity(k, KEY_ATTRS)


def request_ident(r: Mapping[str, Any]) -> tuple[Any, ...]:
    if "PutRequest" in r:
        return ident(r["PutRequest"]["Item"])
    return ident(r["DeleteRequest"]["Key"])


def build(keys: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``_bind.requests.batch_get_request`` builds, plus a marker to prove it is sent as is."""
    return {
        "RequestItems": {
            TABLE: {
                "Keys": keys,
                "ProjectionExpression": "#p0, #p1, #p2",
                "ExpressionAttributeNames": {"#p0": "pk", "#p1": "sk", "#p2": "name"},
            }
        },
        "ReturnConsumedCapacity": "TOTAL",
    }


class Rounds:
    """An ``unprocessed`` / ``unprocessed_writes`` script for the shared fake.

    ``rounds`` maps a key identity to how many more times it is reported unprocessed
    (``-1``: forever).
    """

    def __init__(
        self, rounds: Mapping[tuple[Any, ...], int], identity: Callable[[Any], tuple[Any, ...]]
    ) -> None:
        self.rounds = dict(rounds)
        self.identity = identity
        self.lock = threading.Lock()

    def _left(self, entry: Any) -> bool:
        identity = self.identity(entry)
        with self.lock:
            left = self.rounds.get(identity, 0)
            if left == 0:
                return False
            if left > 0:
                self.rounds[identity] = left - 1
            return True

    def __call__(self, entries: list[Any]) -> list[Any]:
        return [entry for entry in entries if self._left(entry)]


#: Every key a test reads (the fake answers from its store).
SEEDED = 250


def fake_client(
    *,
    rounds: Mapping[tuple[Any, ...], int] | None = None,
    delay: float = 0.0,
    error: BaseException | None = None,
    on_call: Callable[[], None] | None = None,
) -> FakeDynamo:
    """The shared fake over ``item_for(key(i))`` rows, scripted for BatchGetItem / BatchWriteItem.

    ``rounds``: see :class:`Rounds`; ``delay`` slows every call; ``error`` is raised by every
    call; ``on_call`` runs inside every call (e.g. to check the gate).
    """
    client = FakeDynamo({TABLE: (KEY_ATTRS, {})})
    client.items[TABLE] = [item_for(key(i)) for i in range(SEEDED)]
    client.unprocessed = Rounds(rounds or {}, ident)
    client.unprocessed_writes = Rounds(rounds or {}, request_ident)
    if delay:
        client.delay = lambda _method, _kwargs: delay

    def fail(_method: str, _kwargs: dict[str, Any]) -> BaseException | None:
        if on_call is not None:
            on_call()
        return error

    client.fail = fail
    return client


def requests_sent(client: FakeDynamo) -> list[dict[str, Any]]:
    """Every request sent, in order."""
    return [kwargs for _, kwargs in client.calls]


def get_keys(client: FakeDynamo) -> list[list[dict[str, Any]]]:
    return [call["RequestItems"][TABLE]["Keys"] for call in requests_sent(client)]


def write_requests(client: FakeDynamo) -> list[list[dict[str, Any]]]:
    return [call["RequestItems"][TABLE] for call in requests_sent(client)]


class Sleeps(list):
    """A ``sleep`` stand-in that records the delays instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def batching(sleeps: Sleeps | None = None, gate: Any = None, **limits: Any) -> Batching:
    sleep = sleeps if sleeps is not None else Sleeps()
    if gate is None:
        return Batching(RuntimeLimits(**limits), sleep)
    return Batching(RuntimeLimits(**limits), sleep, gate)


def get(client: FakeDynamo, keys: list[dict[str, Any]], b: Batching) -> list[dict[str, Any]]:
    return batch_get(Sender(client), OP, table=TABLE, keys=keys, build=build, batching=b)


def write(client: FakeDynamo, requests: list[dict[str, Any]], b: Batching) -> None:
    batch_write(
        Sender(client), OP, table=TABLE, requests=requests, key_attributes=KEY_ATTRS, batching=b
    )


def chunked(seq: list[Any], size: int) -> list[list[Any]]:
    return [seq[i : i + size] for i in range(0, len(seq), size)]


def by_ident(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(ident(i) for i in items)


def client_error(code: str, operation: str = "BatchGetItem") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "slow down"}}, operation)


# --- key_identity and collapse_writes ---------------------------------------------------------


def test_key_identity_normalizes_numbers() -> None:
    assert key_identity({"n": {"N": "5"}}, ["n"]) == key_identity({"n": {"N": "5.0"}}, ["n"])
    assert key_identity({"n": {"N": "5"}}, ["n"]) == key_identity({"n": {"N": "5E0"}}, ["n"])
    assert key_identity({"n": {"N": "500"}}, ["n"]) == key_identity({"n": {"N": "5e2"}}, ["n"])
    assert key_identity({"n": {"N": "0.10"}}, ["n"]) == key_identity({"n": {"N": ".1"}}, ["n"])
    assert key_identity({"n": {"N": "5"}}, ["n"]) != key_identity({"n": {"N": "5.1"}}, ["n"])


def test_key_identity_ignores_attribute_order() -> None:
    a = {"pk": {"S": "A"}, "sk": {"N": "1"}}
    b = {"sk": {"N": "1.00"}, "pk": {"S": "A"}}
    assert key_identity(a, ["pk", "sk"]) == key_identity(b, ["pk", "sk"])
    assert key_identity(a, ["sk", "pk"]) == key_identity(b, ["pk", "sk"])


def test_key_identity_distinguishes_types_and_attribute_names() -> None:
    assert key_identity({"k": {"S": "5"}}, ["k"]) != key_identity({"k": {"N": "5"}}, ["k"])
    assert key_identity({"k": {"B": b"5"}}, ["k"]) != key_identity({"k": {"S": "5"}}, ["k"])
    assert key_identity({"a": {"S": "x"}}, ["a"]) != key_identity({"b": {"S": "x"}}, ["b"])
    assert key_identity({"k": {"S": "x"}}, ["k"]) != key_identity({"k": {"S": "X"}}, ["k"])


def test_key_identity_of_binary_and_of_an_item_with_extra_attributes() -> None:
    assert key_identity({"k": {"B": b"\x00x"}}, ["k"]) == key_identity(
        {"k": {"B": bytearray(b"\x00x")}}, ["k"]
    )
    item = {**key(7), "name": {"S": "x"}, "tags": {"SS": ["a"]}}
    assert key_identity(item, KEY_ATTRS) == key_identity(key(7), KEY_ATTRS)
    assert hash(key_identity(item, KEY_ATTRS)) == hash(key_identity(key(7), KEY_ATTRS))


def test_collapse_writes_keeps_identical_requests_once_at_the_first_position() -> None:
    five = {"pk": {"S": "A"}, "sk": {"N": "5"}}
    five_dot_zero = {"pk": {"S": "A"}, "sk": {"N": "5.0"}}
    other = {"pk": {"S": "A"}, "sk": {"S": "5"}}  # S "5" is a different key
    requests = [
        {"DeleteRequest": {"Key": five}},
        {"PutRequest": {"Item": {**other, "v": {"S": "other"}}}},
        {"DeleteRequest": {"Key": five_dot_zero}},  # the same row: the same Delete
        {"PutRequest": {"Item": {**other, "v": {"S": "other"}}}},
    ]
    collapsed = collapse_writes(requests, ["pk", "sk"], op_id=OP, table=TABLE)
    assert collapsed == requests[:2]
    assert collapse_writes([], ["pk"], op_id=OP, table=TABLE) == []


@pytest.mark.parametrize(
    ("second", "detail"),
    [
        (
            {"PutRequest": {"Item": {"pk": {"S": "A"}, "sk": {"N": "5.0"}, "v": {"S": "x"}}}},
            "attribute 'sk' differs (N '5' vs N '5.0')",
        ),
        (
            {"PutRequest": {"Item": {"pk": {"S": "A"}, "sk": {"N": "5"}, "v": {"N": "-0.0"}}}},
            "attribute 'v' differs (N '0.0' vs N '-0.0')",
        ),
        (
            {"PutRequest": {"Item": {"pk": {"S": "A"}, "sk": {"N": "5"}}}},
            "attribute 'v' is only in keys[0]",
        ),
        (
            {"DeleteRequest": {"Key": {"pk": {"S": "A"}, "sk": {"N": "5"}}}},
            "keys[0] puts the row and keys[1] deletes it",
        ),
    ],
)
def test_collapse_writes_raises_on_different_requests_for_one_key(
    second: dict[str, Any], detail: str
) -> None:
    first = {"PutRequest": {"Item": {"pk": {"S": "A"}, "sk": {"N": "5"}, "v": {"N": "0.0"}}}}
    with pytest.raises(TransactionCollapseError) as caught:
        collapse_writes([first, second], ["pk", "sk"], op_id=OP, table=TABLE)
    assert str(caught.value) == (
        f"{OP}: different writes of the same row in one BatchWriteItem: keys[0] and keys[1] "
        f"(table '{TABLE}', key pk='A', sk=5); {detail}; BatchWriteItem cannot carry two "
        "requests for one key"
    )
    assert caught.value.items == ((None, 0), (None, 1))


# --- backoff_delay ----------------------------------------------------------------------------


def test_backoff_schedule_without_jitter() -> None:
    limits = RuntimeLimits(batch_backoff_jitter=False)
    delays = [backoff_delay(a, limits) for a in range(1, 8)]
    assert delays == pytest.approx(SCHEDULE)
    assert backoff_delay(30, limits) == pytest.approx(1.0)
    assert all(isinstance(d, float) for d in delays)


def test_backoff_schedule_honours_custom_base_and_cap() -> None:
    limits = RuntimeLimits(
        batch_backoff_base_ms=10, batch_backoff_cap_ms=35, batch_backoff_jitter=False
    )
    assert [backoff_delay(a, limits) for a in range(1, 5)] == pytest.approx(
        [0.01, 0.02, 0.035, 0.035]
    )


def test_backoff_with_jitter_draws_uniformly_below_the_ceiling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draws: list[tuple[float, float]] = []

    def fake_uniform(low: float, high: float) -> float:
        draws.append((low, high))
        return high / 4

    monkeypatch.setattr(_batch.random, "uniform", fake_uniform)
    limits = RuntimeLimits()  # jitter on by default
    delays = [backoff_delay(a, limits) for a in range(1, 8)]
    assert [low for low, _ in draws] == [0] * 7
    assert [high for _, high in draws] == pytest.approx([d * 1000 for d in SCHEDULE])
    assert delays == pytest.approx([d / 4 for d in SCHEDULE])


def test_backoff_with_jitter_stays_within_zero_and_the_ceiling() -> None:
    limits = RuntimeLimits(batch_backoff_jitter=True)
    random.seed(1234)
    for attempt, ceiling in enumerate(SCHEDULE, start=1):
        draws = [backoff_delay(attempt, limits) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in draws)
        assert len(set(draws)) > 100  # it really is jittered
        assert max(draws) > ceiling / 2


def test_backoff_with_float_base_and_very_many_retries() -> None:
    # BUG: `batch_backoff_base_ms * 2 ** (attempt - 1)` overflows when the base is a float
    # (a valid RuntimeLimits value) and attempt > 1024, which a valid batch_max_retries allows.
    # The ceiling is simply the cap there.
    limits = RuntimeLimits(
        batch_backoff_base_ms=50.0, batch_max_retries=5000, batch_backoff_jitter=False
    )
    assert backoff_delay(1100, limits) == pytest.approx(1.0)


# --- BatchGetItem: chunking and requests ------------------------------------------------------


def test_batch_get_chunks_of_100_in_order() -> None:
    keys = [key(i) for i in range(250)]
    client = fake_client()
    result = get(client, keys, batching(batch_concurrency=1))

    assert [len(k) for k in get_keys(client)] == [100, 100, 50]
    assert get_keys(client) == chunked(keys, 100)
    assert result == [item_for(k) for k in keys]


def test_batch_get_chunk_size_follows_max_batch_get_items() -> None:
    keys = [key(i) for i in range(250)]
    client = fake_client()
    result = get(client, keys, batching(max_batch_get_items=10))

    assert len(client.calls) == 25
    assert all(len(k) == 10 for k in get_keys(client))
    assert sorted(map(by_ident, get_keys(client))) == sorted(map(by_ident, chunked(keys, 10)))
    # Results come back in chunk order, whatever order the chunks completed in.
    assert result == [item_for(k) for k in keys]


def test_batch_get_sends_exactly_what_build_returns() -> None:
    keys = [key(i) for i in range(150)]
    built: list[dict[str, Any]] = []

    def recording_build(chunk: list[dict[str, Any]]) -> dict[str, Any]:
        request = build(chunk)
        built.append(copy.deepcopy(request))
        return request

    client = fake_client()
    batch_get(
        Sender(client),
        OP,
        table=TABLE,
        keys=keys,
        build=recording_build,
        batching=batching(batch_concurrency=1),
    )
    assert requests_sent(client) == built
    assert requests_sent(client) == [build(chunk) for chunk in chunked(keys, 100)]


def test_batch_get_of_no_keys_makes_no_call() -> None:
    client = fake_client()
    sleeps = Sleeps()
    assert get(client, [], batching(sleeps)) == []
    assert client.calls == []
    assert sleeps == []


def test_batch_get_single_chunk_runs_on_the_calling_thread() -> None:
    client = fake_client()
    get(client, [key(i) for i in range(100)], batching(batch_concurrency=8))
    assert client.threads == [threading.get_ident()]


def test_batch_get_accepts_a_tuple_of_keys() -> None:
    keys = tuple(key(i) for i in range(5))
    client = fake_client()
    assert get(client, keys, batching()) == [item_for(k) for k in keys]  # type: ignore[arg-type]
    assert get_keys(client) == [list(keys)]


# --- BatchGetItem: retries --------------------------------------------------------------------


@pytest.mark.parametrize("rounds", [1, 2, 3, 5, 7])
def test_batch_get_retries_only_unprocessed_keys_until_done(rounds: int) -> None:
    keys = [key(i) for i in range(20)]
    # Key i stays unprocessed for (i % (rounds + 1)) rounds: 0 .. rounds.
    script = {ident(k): i % (rounds + 1) for i, k in enumerate(keys)}
    client = fake_client(rounds=script)
    sleeps = Sleeps()

    result = get(client, keys, batching(sleeps, batch_backoff_jitter=False))

    assert len(client.calls) == 1 + rounds
    for attempt, sent in enumerate(get_keys(client)):
        expected = [k for i, k in enumerate(keys) if i % (rounds + 1) >= attempt]
        assert sent == expected, f"request {attempt} must carry only the unprocessed keys"
    assert requests_sent(client)[1:] == [build(k) for k in get_keys(client)[1:]]
    # Every key's item is returned exactly once: none lost, none duplicated.
    assert by_ident(result) == sorted(ident(k) for k in keys)
    assert sorted(map(str, result)) == sorted(str(item_for(k)) for k in keys)
    assert sleeps == pytest.approx(SCHEDULE[:rounds])


def test_batch_get_retries_every_chunk_independently() -> None:
    keys = [key(i) for i in range(250)]
    client = fake_client(rounds={ident(k): 1 for k in keys[::7]})
    sleeps = Sleeps()

    result = get(client, keys, batching(sleeps, batch_backoff_jitter=False))

    assert len(client.calls) == 6  # three chunks, one retry each
    assert by_ident(result) == sorted(ident(k) for k in keys)
    assert sleeps == pytest.approx([0.05] * 3)
    retried = [sent for sent in get_keys(client) if len(sent) < 50]
    assert by_ident([k for sent in retried for k in sent]) == by_ident(keys[::7])


def test_batch_get_full_backoff_schedule() -> None:
    client = fake_client(rounds={ident(key(0)): 7})
    sleeps = Sleeps()
    result = get(client, [key(0), key(1)], batching(sleeps, batch_backoff_jitter=False))
    assert sleeps == pytest.approx(SCHEDULE)
    assert len(client.calls) == 8
    assert by_ident(result) == by_ident([key(0), key(1)])


def test_batch_get_jittered_sleeps_stay_within_the_schedule() -> None:
    client = fake_client(rounds={ident(key(0)): 7})
    sleeps = Sleeps()
    get(client, [key(0)], batching(sleeps))
    assert len(sleeps) == 7
    assert all(0 <= got <= ceiling for got, ceiling in zip(sleeps, SCHEDULE, strict=True))


def test_batch_get_exhaustion_lets_other_chunks_finish_then_raises() -> None:
    keys = [key(i) for i in range(25)]
    stuck = keys[10:20]  # the whole second chunk is never processed
    client = fake_client(rounds={ident(k): -1 for k in stuck})
    sleeps = Sleeps()

    with pytest.raises(BatchIncompleteError) as info:
        get(
            client,
            keys,
            batching(
                sleeps, max_batch_get_items=10, batch_max_retries=2, batch_backoff_jitter=False
            ),
        )

    sent = get_keys(client)
    assert sum(1 for s in sent if by_ident(s) == by_ident(stuck)) == 3  # 1 + 2 retries
    assert keys[:10] in sent
    assert keys[20:] in sent
    assert len(sent) == 5
    assert sleeps == pytest.approx([0.05, 0.1])

    error = info.value
    assert isinstance(error, OperationExecutionError)
    assert str(error) == (
        f"BatchGetItem: 10 key(s) still unprocessed for table '{TABLE}' after 2 retries"
    )
    assert list(error.unprocessed) == [{"table": TABLE, "key": k} for k in stuck]
    assert error.operation_id == OP


@pytest.mark.parametrize("concurrency", [1, 4])
def test_batch_get_exhaustion_reports_every_chunk(concurrency: int) -> None:
    keys = [key(i) for i in range(50)]
    stuck = [keys[3], keys[4], keys[27], keys[45]]  # in chunks 0, 2 and 4
    client = fake_client(rounds={ident(k): -1 for k in stuck})

    with pytest.raises(BatchIncompleteError) as info:
        get(
            client,
            keys,
            batching(
                max_batch_get_items=10,
                batch_max_retries=1,
                batch_concurrency=concurrency,
                batch_backoff_jitter=False,
            ),
        )

    assert str(info.value) == (
        f"BatchGetItem: 4 key(s) still unprocessed for table '{TABLE}' after 1 retries"
    )
    assert list(info.value.unprocessed) == [{"table": TABLE, "key": k} for k in stuck]
    # 5 first attempts and one retry for each of the 3 chunks with stuck keys.
    assert len(client.calls) == 8


def test_batch_get_partially_stuck_chunk_is_not_returned_partially() -> None:
    keys = [key(i) for i in range(5)]
    client = fake_client(rounds={ident(keys[2]): -1, ident(keys[4]): 1})

    with pytest.raises(BatchIncompleteError) as info:
        get(client, keys, batching(batch_max_retries=3, batch_backoff_jitter=False))

    assert get_keys(client) == [keys, [keys[2], keys[4]], [keys[2]], [keys[2]]]
    assert list(info.value.unprocessed) == [{"table": TABLE, "key": keys[2]}]
    assert "1 key(s)" in str(info.value)
    assert str(info.value).endswith("after 3 retries")


def test_batch_get_zero_retries_means_no_retry_and_no_sleep() -> None:
    keys = [key(i) for i in range(3)]
    client = fake_client(rounds={ident(keys[1]): 1})
    sleeps = Sleeps()

    with pytest.raises(BatchIncompleteError) as info:
        get(client, keys, batching(sleeps, batch_max_retries=0))

    assert len(client.calls) == 1
    assert sleeps == []
    assert str(info.value) == (
        f"BatchGetItem: 1 key(s) still unprocessed for table '{TABLE}' after 0 retries"
    )
    assert list(info.value.unprocessed) == [{"table": TABLE, "key": keys[1]}]


# --- BatchGetItem: concurrency and the gate ---------------------------------------------------


def test_batch_concurrency_1_requests_chunks_in_chunk_order_on_the_calling_thread() -> None:
    keys = [key(i) for i in range(95)]
    client = fake_client(delay=0.001)
    get(client, keys, batching(max_batch_get_items=10, batch_concurrency=1))
    assert get_keys(client) == chunked(keys, 10)
    assert client.max_in_flight == 1
    assert set(client.threads) == {threading.get_ident()}


def test_batch_concurrency_1_retries_before_moving_to_the_next_chunk() -> None:
    keys = [key(i) for i in range(30)]
    client = fake_client(rounds={ident(keys[5]): 2})
    get(client, keys, batching(max_batch_get_items=10, batch_concurrency=1))
    assert get_keys(client) == [keys[:10], [keys[5]], [keys[5]], keys[10:20], keys[20:]]


def test_batch_concurrency_4_overlaps_chunks() -> None:
    keys = [key(i) for i in range(80)]
    client = fake_client(delay=0.03)
    result = get(client, keys, batching(max_batch_get_items=10, batch_concurrency=4))
    assert 1 < client.max_in_flight <= 4
    assert len(client.calls) == 8
    assert result == [item_for(k) for k in keys]


def test_batch_concurrency_is_capped_by_the_number_of_chunks() -> None:
    client = fake_client(delay=0.02)
    get(client, [key(i) for i in range(20)], batching(max_batch_get_items=10, batch_concurrency=16))
    assert client.max_in_flight <= 2


def test_gate_is_held_during_client_calls_but_not_during_sleeps() -> None:
    gate = threading.BoundedSemaphore(1)
    checks: list[str] = []

    def gate_is_held() -> None:
        # The only holder can be the chunk making this call.
        assert not gate.acquire(blocking=False), "client call made outside the gate"
        checks.append("call")

    def sleep(seconds: float) -> None:
        assert gate.acquire(blocking=False), "gate held while sleeping"
        gate.release()
        checks.append("sleep")

    keys = [key(i) for i in range(30)]
    client = fake_client(rounds={ident(keys[0]): 2, ident(keys[25]): 1}, on_call=gate_is_held)
    result = get(
        client,
        keys,
        Batching(RuntimeLimits(max_batch_get_items=10, batch_concurrency=1), sleep, gate),
    )

    assert by_ident(result) == by_ident(keys)
    assert checks == ["call", "sleep", "call", "sleep", "call", "call", "call", "sleep", "call"]
    assert gate.acquire(blocking=False), "gate must be released at the end"
    gate.release()


def test_gate_bounds_in_flight_calls_across_concurrent_chunks() -> None:
    gate = threading.BoundedSemaphore(2)
    client = fake_client(delay=0.02)
    keys = [key(i) for i in range(80)]
    get(
        client,
        keys,
        Batching(RuntimeLimits(max_batch_get_items=10, batch_concurrency=4), Sleeps(), gate),
    )
    assert 1 < client.max_in_flight <= 2
    assert len(client.calls) == 8


def test_gate_is_released_when_the_client_call_fails() -> None:
    gate = threading.BoundedSemaphore(1)
    client = fake_client(error=client_error("ProvisionedThroughputExceededException"))
    with pytest.raises(ThrottledError):
        get(client, [key(0)], Batching(RuntimeLimits(), Sleeps(), gate))
    assert gate.acquire(blocking=False)
    gate.release()


# --- BatchGetItem: client errors --------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"],
)
def test_batch_get_throttling_client_error_raises_throttled_error(code: str) -> None:
    original = client_error(code)
    client = fake_client(error=original)
    sleeps = Sleeps()

    with pytest.raises(ThrottledError) as info:
        get(client, [key(i) for i in range(3)], batching(sleeps))

    assert info.value.code == code
    assert info.value.original is original
    assert info.value.__cause__ is original
    assert info.value.operation_id == OP
    assert str(info.value).startswith(f"{OP}: DynamoDB operation failed: ")
    assert len(client.calls) == 1  # client errors are not batch-retried
    assert sleeps == []


def test_batch_get_other_client_error_raises_operation_execution_error() -> None:
    client = fake_client(error=client_error("ValidationException"))
    with pytest.raises(OperationExecutionError) as info:
        get(client, [key(0)], batching())
    assert not isinstance(info.value, (ThrottledError, BatchIncompleteError))
    assert info.value.code == "ValidationException"


def test_batch_get_client_error_in_one_of_several_concurrent_chunks() -> None:
    calls = 0
    lock = threading.Lock()
    error = client_error("ProvisionedThroughputExceededException")

    def fail_third_call() -> None:
        nonlocal calls
        with lock:
            calls += 1
            mine = calls
        if mine == 3:
            raise error

    client = fake_client(on_call=fail_third_call, delay=0.005)
    with pytest.raises(ThrottledError) as info:
        get(client, [key(i) for i in range(60)], batching(max_batch_get_items=10))
    assert info.value.original is error


def test_batch_get_non_botocore_error_propagates_unchanged() -> None:
    client = fake_client(error=KeyError("boom"))
    with pytest.raises(KeyError):
        get(client, [key(0)], batching())


# --- BatchWriteItem ---------------------------------------------------------------------------


def test_batch_write_chunks_of_25_with_the_documented_request_shape() -> None:
    requests = [put(i) if i % 3 else delete(i) for i in range(60)]
    client = fake_client()
    write(client, requests, batching(batch_concurrency=1))

    assert [len(r) for r in write_requests(client)] == [25, 25, 10]
    assert requests_sent(client) == [
        {"RequestItems": {TABLE: chunk}} for chunk in chunked(requests, 25)
    ]


def test_batch_write_chunk_size_follows_max_batch_write_items() -> None:
    requests = [put(i) for i in range(60)]
    client = fake_client()
    assert write(client, requests, batching(max_batch_write_items=10)) is None
    assert len(client.calls) == 6
    assert sorted(len(r) for r in write_requests(client)) == [10] * 6
    sent = [r for chunk in write_requests(client) for r in chunk]
    assert sorted(map(request_ident, sent)) == sorted(map(request_ident, requests))


def test_batch_write_of_no_requests_makes_no_call() -> None:
    client = fake_client()
    write(client, [], batching())
    assert client.calls == []


def test_batch_write_sends_identical_same_key_requests_once() -> None:
    same_a = {"pk": {"S": "A"}, "sk": {"N": "5"}}
    same_b = {"pk": {"S": "A"}, "sk": {"N": "5.0"}}
    requests = [
        {"DeleteRequest": {"Key": same_a}},
        put(1),
        {"DeleteRequest": {"Key": same_b}},
        put(2, "first"),
        put(2, "first"),
    ]
    client = fake_client()
    write(client, requests, batching())

    assert len(client.calls) == 1
    assert write_requests(client)[0] == [requests[0], put(1), put(2, "first")]


def test_batch_write_different_same_key_requests_raise_before_any_call() -> None:
    client = fake_client()
    with pytest.raises(TransactionCollapseError):
        write(client, [put(1), put(2, "first"), put(2, "second")], batching())
    assert client.calls == []


def test_batch_write_collapses_before_chunking() -> None:
    # 30 requests on 25 distinct keys fit in one call once collapsed.
    requests = [put(i) for i in range(25)] + [put(i) for i in range(5)]
    client = fake_client()
    write(client, requests, batching())
    assert len(client.calls) == 1
    sent = write_requests(client)[0]
    assert sent == [put(i) for i in range(25)]


@pytest.mark.parametrize("rounds", [1, 2, 4, 7])
def test_batch_write_retries_only_unprocessed_items(rounds: int) -> None:
    requests = [put(i) for i in range(10)]
    script = {request_ident(r): i % (rounds + 1) for i, r in enumerate(requests)}
    client = fake_client(rounds=script)
    sleeps = Sleeps()

    write(client, requests, batching(sleeps, batch_backoff_jitter=False))

    assert len(client.calls) == 1 + rounds
    for attempt, sent in enumerate(write_requests(client)):
        assert sent == [r for i, r in enumerate(requests) if i % (rounds + 1) >= attempt]
    assert requests_sent(client)[1:] == [
        {"RequestItems": {TABLE: s}} for s in write_requests(client)[1:]
    ]
    assert sleeps == pytest.approx(SCHEDULE[:rounds])


def test_batch_write_exhaustion_raises_with_every_unprocessed_request() -> None:
    requests = [put(i) for i in range(60)]
    stuck = [requests[2], requests[30], requests[31], requests[59]]
    client = fake_client(rounds={request_ident(r): -1 for r in stuck})
    sleeps = Sleeps()

    with pytest.raises(BatchIncompleteError) as info:
        write(client, requests, batching(sleeps, batch_max_retries=2, batch_backoff_jitter=False))

    # Three chunks, each with a stuck request: 3 first attempts + 2 retries each.
    assert len(client.calls) == 9
    assert sorted(sleeps) == pytest.approx(sorted([0.05, 0.1] * 3))
    error = info.value
    assert isinstance(error, OperationExecutionError)
    assert str(error) == (
        f"BatchWriteItem: 4 request(s) still unprocessed for table '{TABLE}' after 2 retries"
    )
    assert list(error.unprocessed) == [{"table": TABLE, "request": r} for r in stuck]
    assert error.operation_id == OP


def test_batch_write_exhaustion_lets_other_chunks_finish() -> None:
    requests = [put(i) for i in range(75)]
    stuck = requests[25:50]
    client = fake_client(rounds={request_ident(r): -1 for r in stuck})

    with pytest.raises(BatchIncompleteError) as info:
        write(client, requests, batching(batch_max_retries=1, batch_concurrency=1))

    assert write_requests(client) == [requests[:25], stuck, stuck, requests[50:]]
    assert len(info.value.unprocessed) == 25


def test_batch_write_zero_retries_means_no_retry_and_no_sleep() -> None:
    requests = [put(0), delete(1)]
    client = fake_client(rounds={request_ident(delete(1)): 1})
    sleeps = Sleeps()
    with pytest.raises(BatchIncompleteError) as info:
        write(client, requests, batching(sleeps, batch_max_retries=0))
    assert len(client.calls) == 1
    assert sleeps == []
    assert list(info.value.unprocessed) == [{"table": TABLE, "request": delete(1)}]
    assert str(info.value) == (
        f"BatchWriteItem: 1 request(s) still unprocessed for table '{TABLE}' after 0 retries"
    )


def test_batch_write_concurrency_and_gate() -> None:
    gate = threading.BoundedSemaphore(3)
    client = fake_client(delay=0.02)
    write(
        client,
        [put(i) for i in range(200)],
        Batching(RuntimeLimits(batch_concurrency=4), Sleeps(), gate),
    )
    assert len(client.calls) == 8
    assert 1 < client.max_in_flight <= 3


def test_batch_write_sleeps_outside_the_gate() -> None:
    gate = threading.BoundedSemaphore(1)

    def gate_is_held() -> None:
        assert not gate.acquire(blocking=False)

    def sleep(seconds: float) -> None:
        assert gate.acquire(blocking=False)
        gate.release()

    client = fake_client(rounds={request_ident(put(0)): 3}, on_call=gate_is_held)
    write(client, [put(0)], Batching(RuntimeLimits(), sleep, gate))
    assert len(client.calls) == 4


def test_batch_write_throttling_raises_throttled_error() -> None:
    original = client_error("ProvisionedThroughputExceededException", "BatchWriteItem")
    client = fake_client(error=original)
    with pytest.raises(ThrottledError) as info:
        write(client, [put(0)], batching())
    assert info.value.original is original
    assert info.value.code == "ProvisionedThroughputExceededException"
    assert len(client.calls) == 1
