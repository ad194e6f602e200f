"""Compiled relation legs (``_execute.legs``) and the one-fan-out stage (``_execute.relations``).

The compiled builders, key identities and decoders must do exactly what the generic functions
do: the same request dicts (values and key order), the same errors with the same messages. The
stage runs every request of every op in one fan-out, yet keeps the per-op error semantics of
docs/format.md section 17 and the in-flight bound of section 20.2.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import threading
import weakref
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from graphddb_runtime import (
    GraphDDBRuntime,
    OperationExecutionError,
    ParameterValidationError,
    RuntimeLimits,
    concurrency,
)
from graphddb_runtime._bind.requests import key_map, query_request
from graphddb_runtime._execute.batch import identity_function, key_identity
from graphddb_runtime._execute.legs import ConnectionLeg, SingleLeg, decoder
from graphddb_runtime._values.codec import deserialize_item, hydrate
from graphddb_runtime._values.templates import Bindings, parse_template
from graphddb_runtime.concurrency import map_with_concurrency
from graphddb_runtime.demo import example_spec, seed
from graphddb_runtime.spec.plans import ExpressionPlan, Literal, ParamRef, RangePlan, ReadOpPlan

from ._fake_dynamo import FakeDynamo
from ._golden import ACCESS

TABLE = "app-prod"
QID = "getUserAccess"


def _fake() -> FakeDynamo:
    fake = FakeDynamo({TABLE: (("PK", "SK"), {"GSI1": ("GSI1PK", "GSI1SK")})})
    seed(fake, TABLE)
    fake.forget()  # the seeding PutItem calls are not under test
    return fake


def _runtime(client: Any, operations: Any = None, **kwargs: Any) -> GraphDDBRuntime:
    manifest, ops = example_spec()
    return GraphDDBRuntime(
        client, manifest, operations or ops, table_mapping={"AppTable": TABLE}, **kwargs
    )


def _outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, str]:
    """``("ok", repr(value))`` or ``(exception type, message)``: repr keeps dict key order."""
    try:
        return ("ok", repr(call(*args, **kwargs)))
    except Exception as exc:  # the comparison is the point
        return (type(exc).__name__, str(exc))


# --- request builders against the generic functions -------------------------------------------

PARENTS: list[dict[str, Any]] = [
    {"groupId": "eng", "role": "admin", "userId": "u1"},
    {"groupId": 7, "role": "member", "userId": "u2"},
    {"groupId": Decimal("7.50"), "role": "x", "userId": "u3"},
    {"groupId": 2.5, "role": "x", "userId": "u4"},
    {"groupId": True, "role": "x", "userId": "u5"},
    {"groupId": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "role": "x", "userId": "u"},
    {"groupId": "", "role": "", "userId": ""},
    {"groupId": {"a": 1}, "role": "x", "userId": "u6"},
    {"groupId": b"\x00", "role": "x", "userId": "u7"},
    {"groupId": "g", "role": None, "userId": "u8"},
    {"groupId": float("nan"), "role": "x", "userId": "u9"},
]
PARAMS: list[dict[str, Any]] = [
    {"userId": "alice", "tenant": "t1", "lo": "A", "hi": "Z", "act": "read", "n": 3},
    {"userId": "alice"},
    {"userId": "alice", "tenant": 5, "lo": "", "hi": 9, "act": None, "n": Decimal("1e3")},
    {"userId": "alice", "tenant": "", "lo": b"x", "hi": b"", "act": ["a"], "n": 1.5},
]


def _plan() -> Any:
    return _runtime(object())._engine.catalog.queries[QID]


def _template(text: str) -> Any:
    return parse_template(text)


def _variants() -> list[ReadOpPlan]:
    """The example's two Query legs, plus shapes the example does not have."""
    plan = _plan()
    members, permissions = plan.operations[1], plan.operations[3]
    between = RangePlan(
        operator="between",
        key="SK",
        values=(_template("{lo}"), _template("{hi}")),
        clause="#kr BETWEEN :kr0 AND :kr1",
        aliases=(":kr0", ":kr1"),
    )
    equal = RangePlan(
        operator="eq", key="SK", values=(Literal(value=5),), clause="#kr = :kr", aliases=(":kr",)
    )
    empty_prefix = RangePlan(
        operator="begins_with",
        key="SK",
        values=(_template("{tenant}"),),
        clause="begins_with(#kr, :kr)",
        aliases=(":kr",),
    )
    operands = ExpressionPlan(
        text="#f0 IN (:vf0, :vf1) AND #f1 = :vf2 AND #f2 = :vf3 AND #f3 > :vf4",
        names=(("#f0", "action"), ("#f1", "tags"), ("#f2", "owner"), ("#f3", "level")),
        values=(
            (":vf0", ParamRef(name="act")),
            (":vf1", Literal(value="write")),
            (":vf2", Literal(value=(1, "x"))),
            (":vf3", ParamRef(name="result.role")),
            (":vf4", ParamRef(name="n")),
        ),
    )
    replace = dataclasses.replace
    return [
        members,
        permissions,
        replace(permissions, range=between, limit=None, scan_forward=False, filter=None),
        replace(permissions, range=equal, filter=operands, index_name="LSI", limit=3),
        replace(permissions, range=empty_prefix),
        replace(permissions, key=(("PK", _template("{result.groupId}")),)),
        replace(permissions, key=(("PK", _template("{tenant}#{result.groupId}{lo}")),)),
        replace(permissions, key=(("PK", Literal(value=12)),)),
        replace(permissions, key=(("PK", Literal(value="")),)),
        replace(permissions, key=(("PK", _template("G")),), filter=operands),
    ]


@pytest.mark.parametrize("op", _variants(), ids=lambda op: f"op{op.index}")
@pytest.mark.parametrize("consistent", [False, True])
def test_compiled_query_requests_equal_query_request(op: ReadOpPlan, consistent: bool) -> None:
    engine = _runtime(object())._engine
    leg = ConnectionLeg(engine, QID, op)
    for params in PARAMS:
        for parent in PARENTS:
            want = _outcome(
                query_request,
                op,
                Bindings(params, parent=parent),
                table=TABLE,
                consistent=consistent,
                limit=op.limit,
                forward=op.scan_forward,
                start_key=None,
                op_id=QID,
            )
            got = _outcome(leg.build, params, parent, consistent)
            assert got == want, (params, parent)


def test_compiled_requests_are_fresh_dicts() -> None:
    engine = _runtime(object())._engine
    leg = ConnectionLeg(engine, QID, _plan().operations[3])
    first = leg.build({}, PARENTS[0], False)
    second = leg.build({}, PARENTS[0], False)
    assert first == second
    assert first["ExpressionAttributeNames"] is not second["ExpressionAttributeNames"]
    assert (
        first["ExpressionAttributeValues"][":kr"] is not second["ExpressionAttributeValues"][":kr"]
    )


@pytest.mark.parametrize(
    "key",
    [
        (("PK", "GROUP#{result.groupId}"), ("SK", "META")),
        (("PK", "{result.groupId}"), ("SK", "{tenant}")),
        (("SK", "{result.role}#{lo}"), ("PK", "T#{tenant}")),
        (("PK", 5), ("SK", "")),
    ],
)
def test_compiled_batch_keys_and_identities_equal_key_map(key: Any) -> None:
    engine = _runtime(object())._engine
    pairs = tuple(
        (attr, _template(v) if isinstance(v, str) else Literal(value=v)) for attr, v in key
    )
    op = dataclasses.replace(_plan().operations[2], key=pairs)
    leg = SingleLeg(engine, QID, op)
    attributes = [attr for attr, _ in pairs]
    for params in PARAMS:
        for parent in PARENTS:
            env = Bindings(params, parent=parent)
            want = _outcome(key_map, pairs, env, QID)
            assert _outcome(leg.key, params, parent) == want
            if want[0] == "ok":
                built = leg.key(params, parent)
                assert leg.identity(built) == key_identity(built, attributes)


@pytest.mark.parametrize(
    "item",
    [
        {"PK": {"S": "a"}, "SK": {"N": "5.0"}},
        {"SK": {"S": "b"}, "PK": {"S": "a"}, "other": {"S": "x"}},
        {"PK": {"B": b"\x00"}, "SK": {"N": "1E2"}},
        {"PK": {"S": "a"}},
        {"SK": {"N": "0.10"}},
        {},
        {"PK": {"NULL": True}, "SK": {"S": "x"}},
    ],
)
@pytest.mark.parametrize("attributes", [["PK", "SK"], ["SK", "PK"], ["PK"], ["SK", "PK", "Z"]])
def test_identity_function_equals_key_identity(item: Any, attributes: list[str]) -> None:
    assert _outcome(identity_function(attributes), item) == _outcome(key_identity, item, attributes)


DECODE_ITEMS: list[dict[str, Any]] = [
    {"PK": {"S": "P"}, "groupId": {"S": "g"}, "name": {"S": "n"}},
    {"name": {"S": "n"}, "groupId": {"S": "g"}, "extra": {"S": "e"}},
    {"groupId": {"N": "5.50"}, "name": {"NULL": True}, "SK": {"S": "x"}},
    {"groupId": {"M": {"a": {"L": [{"N": "1"}, {"BOOL": False}]}}}, "name": {"SS": ["a"]}},
    {"groupId": {"S": "g"}, "bad": {"Q": "x"}},
    {"groupId": {"S": "g"}, "bad": {}},
    {"groupId": {"S": "g"}, "bad": {"S": "a", "N": "1"}},
    {"groupId": {"N": "not a number"}},
    {"groupId": {"B": b"\x01"}, "GSI1PK": {"S": "x"}, "name": {"S": "n"}},
    {},
]


@pytest.mark.parametrize(
    "projection",
    [("groupId", "name"), ("name", "groupId", "name"), ("PK", "groupId"), (), ("missing",)],
)
def test_decoder_equals_hydrate_of_deserialize_item(projection: tuple[str, ...]) -> None:
    decode = decoder(projection, {})
    assert decode is not None
    for item in DECODE_ITEMS:
        raw = _outcome(deserialize_item, item)
        want = raw if raw[0] != "ok" else _outcome(hydrate, deserialize_item(item), projection, {})
        assert _outcome(decode, item) == want, item


def test_ops_with_date_formats_use_the_generic_decoder() -> None:
    assert decoder(("createdAt",), {"createdAt": "datetime"}) is None


# --- caching ------------------------------------------------------------------------------------


def test_a_repeated_query_sends_the_same_requests_and_returns_the_same_tree() -> None:
    fake = _fake()
    rt = _runtime(fake)
    assert rt.execute_query(QID, {"userId": "alice"}) == ACCESS
    first = sorted(map(repr, fake.calls))
    fake.forget()
    assert rt.execute_query(QID, {"userId": "alice"}) == ACCESS
    assert sorted(map(repr, fake.calls)) == first


def test_runtimes_with_different_specs_under_one_query_id_answer_each_by_its_own() -> None:
    operations = copy.deepcopy(example_spec()[1])
    for op in operations["queries"][QID]["operations"]:
        if "limit" in op:
            op["limit"] = 7
    plain_fake, other_fake = _fake(), _fake()
    plain, other = _runtime(plain_fake), _runtime(other_fake, operations)
    assert plain.execute_query(QID, {"userId": "alice"}) == ACCESS
    assert other.execute_query(QID, {"userId": "alice"}) == ACCESS
    assert plain.execute_query(QID, {"userId": "alice"}) == ACCESS
    assert {kw["Limit"] for kw in plain_fake.requests("query")} == {20}
    assert {kw["Limit"] for kw in other_fake.requests("query")} == {7}


# --- the stage: error precedence and the in-flight bound ---------------------------------------


def _operations(concurrency: int, *, bad_op: int) -> Any:
    """getUserAccess where op ``bad_op`` keys on ``{result.role}``: a map role cannot render."""
    operations = copy.deepcopy(example_spec()[1])
    query = operations["queries"][QID]
    query["executionPlan"]["concurrency"] = concurrency
    condition = query["operations"][bad_op]["keyCondition"]
    condition["PK"] = "GROUP#{result.role}"
    return operations


def _with_unrenderable_role(fake: FakeDynamo) -> None:
    fake.put(
        TABLE,
        {
            "PK": {"S": "GROUP#zzz"},
            "SK": {"S": "USER#alice"},
            "GSI1PK": {"S": "USER#alice"},
            "GSI1SK": {"S": "GROUP#zzz"},
            "groupId": {"S": "zzz"},
            "userId": {"S": "alice"},
            "role": {"M": {"not": {"S": "text"}}},
        },
    )


def _fail_batches(method: str, kwargs: dict[str, Any]) -> BaseException | None:
    if method == "batch_get_item":
        return ClientError({"Error": {"Code": "InternalServerError", "Message": "x"}}, method)
    return None


@pytest.mark.parametrize("concurrency", [1, 8])
def test_a_lower_op_failing_to_send_beats_a_higher_op_failing_to_build(concurrency: int) -> None:
    fake = _fake()
    _with_unrenderable_role(fake)
    fake.fail = _fail_batches
    rt = _runtime(fake, _operations(concurrency, bad_op=3))
    with pytest.raises(OperationExecutionError) as caught:
        rt.execute_query(QID, {"userId": "alice"})
    assert caught.value.code == "InternalServerError"
    assert fake.count("query") == 1  # op 3 could not build: it sent nothing


@pytest.mark.parametrize("concurrency", [1, 8])
def test_a_higher_op_failing_to_build_raises_after_the_lower_op_ran(concurrency: int) -> None:
    fake = _fake()
    _with_unrenderable_role(fake)
    rt = _runtime(fake, _operations(concurrency, bad_op=3))
    with pytest.raises(ParameterValidationError, match="cannot render dict"):
        rt.execute_query(QID, {"userId": "alice"})
    assert fake.count("batch_get_item") == 1
    assert fake.count("query") == 1


@pytest.mark.parametrize("concurrency", [1, 2, 8])
def test_an_op_failing_to_build_stops_the_ops_after_it(concurrency: int) -> None:
    # Stage [2, 3]: op 2 fails at once, before op 3 would have started; op 3 sends nothing.
    fake = _fake()
    _with_unrenderable_role(fake)
    rt = _runtime(fake, _operations(concurrency, bad_op=2))
    with pytest.raises(ParameterValidationError, match="cannot render dict"):
        rt.execute_query(QID, {"userId": "alice"})
    assert fake.count("batch_get_item") == 0
    assert fake.count("query") == 1


def _groups(fake: FakeDynamo, count: int) -> None:
    for i in range(count):
        gid = f"g{i:02}"
        fake.put(
            TABLE,
            {
                "PK": {"S": f"GROUP#{gid}"},
                "SK": {"S": "USER#alice"},
                "GSI1PK": {"S": "USER#alice"},
                "GSI1SK": {"S": f"GROUP#{gid}"},
                "groupId": {"S": gid},
                "userId": {"S": "alice"},
                "role": {"S": "member"},
            },
        )
        fake.put(TABLE, {"PK": {"S": f"GROUP#{gid}"}, "SK": {"S": "META"}, "groupId": {"S": gid}})


@pytest.mark.parametrize(("plan_concurrency", "batch_concurrency"), [(3, 4), (2, 2), (8, 1)])
def test_multi_chunk_batches_and_fan_out_stay_within_the_plan_bound(
    plan_concurrency: int, batch_concurrency: int
) -> None:
    fake = _fake()
    _groups(fake, 12)
    fake.delay = lambda method, kwargs: 0.01 if method != "get_item" else 0
    operations = copy.deepcopy(example_spec()[1])
    operations["queries"][QID]["executionPlan"]["concurrency"] = plan_concurrency
    rt = _runtime(
        fake,
        operations,
        limits=RuntimeLimits(max_batch_get_items=2, batch_concurrency=batch_concurrency),
    )
    result = rt.execute_query(QID, {"userId": "alice"})
    assert len(result["groups"]["items"]) == 14
    for membership in result["groups"]["items"]:
        if membership["groupId"].startswith("g"):
            assert membership["group"] == {"groupId": membership["groupId"]}
    assert fake.count("batch_get_item") == 7
    assert 1 < fake.max_in_flight <= plan_concurrency


# --- map_with_concurrency: helpers one at a time ------------------------------------------------


class _RecordingPool:
    """Accepts helper requests and never runs them (an always-busy pool)."""

    def __init__(self) -> None:
        self.submitted: list[Any] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> None:
        self.submitted.append((fn, args))


def test_the_caller_runs_every_item_when_no_helper_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = _RecordingPool()
    monkeypatch.setattr(concurrency, "_pool", pool)
    caller = threading.get_ident()
    threads: set[int] = set()

    def worker(item: int, index: int) -> int:
        threads.add(threading.get_ident())
        return item * 2

    assert map_with_concurrency(range(50), 8, worker) == [i * 2 for i in range(50)]
    assert threads == {caller}
    # Helpers that start after the call returned find nothing to do.
    for fn, args in pool.submitted:
        fn(*args)
    assert threads == {caller}


def test_a_late_helper_keeps_nothing_of_the_call_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = _RecordingPool()
    monkeypatch.setattr(concurrency, "_pool", pool)

    class Payload:
        pass

    payload = Payload()
    ref = weakref.ref(payload)
    assert map_with_concurrency([payload, payload], 2, lambda item, index: index) == [0, 1]
    del payload
    gc.collect()
    assert ref() is None


def test_helpers_chain_up_to_the_full_width_when_workers_block() -> None:
    barrier = threading.Barrier(8, timeout=5.0)
    threads: set[int] = set()
    lock = threading.Lock()

    def worker(item: int, index: int) -> int:
        with lock:
            threads.add(threading.get_ident())
        barrier.wait()  # passes only with 8 workers running at once
        return item

    assert map_with_concurrency(range(8), 8, worker) == list(range(8))
    assert len(threads) == 8
