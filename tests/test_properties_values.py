"""Property tests over call values (docs/format.md sections 1.4, 5, 6.2, 9.3, 9.5 and 22.3).

1. Any params (huge ints, extreme Decimals, NaN and infinities, lone surrogates, long strings,
   datetimes, dates, bytes, nested lists and maps, None) for every query, command, transaction
   and contract method of the worked example and of the events spec: a call either succeeds or
   raises a ``GraphDDBError`` before any client call; nothing else escapes.
   The same calls on moto: DynamoDB (as moto validates it) never rejects a request the runtime
   sends, other than for a failed condition.
2. Parameter values never reach expression text: every expression sent is the operation's
   static text (the one a plain valid call sends), values travel only in
   ExpressionAttributeValues, Item and Key.
3. On moto: valid generated values written through commands and transactions read back equal
   (numbers by value, datetimes as the same instant at millisecond precision, dates at midnight
   UTC, and the canonical text with ``datetimes="text"``), and a value read back addresses the
   same row again.

Seeded and bounded by the profile of ``tests/conftest.py``; each test sets its ``max_examples``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import boto3
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from graphddb_runtime import GraphDDBError, GraphDDBRuntime, OperationExecutionError, to_jsonable
from graphddb_runtime.demo import example_spec
from graphddb_runtime.local import create_tables

from ._fake_dynamo import Counting
from ._values_spec import MANIFEST, OPERATIONS, Recorder, events_runtime

UTC = timezone.utc
OFFSETS = [None, UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5, minutes=30))]
EXPRESSIONS = (
    "KeyConditionExpression",
    "UpdateExpression",
    "ConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
)

# --- strategies ---------------------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
SURROGATES = st.sampled_from(["x\udfff", "\ud800", "ok\udc00ok"])
LONG = st.builds(
    lambda c, n: c * n, st.sampled_from(["x", "é", "\U0001f600"]), st.integers(250, 3000)
)
AWARE = st.datetimes(
    min_value=datetime(1000, 1, 1),
    max_value=datetime(9998, 12, 31),
    timezones=st.sampled_from(OFFSETS),
)
# Built by a map: the repr of a 4302-digit int raises, so no strategy may show one.
EXTREME_INTS = st.sampled_from([4301, -4301, 38, 40, 126, 127]).map(
    lambda n: 10**n if n > 0 else -(10**-n)
) | st.sampled_from([10**40 + 1, 2**420])
EXTREME_DECIMALS = st.sampled_from(
    [
        "1E+50000000",
        "1E-50000000",
        "1E+126",
        "1E-131",
        "9.9999999999999999999999999999999999999E+125",
        "NaN",
        "sNaN",
        "-Infinity",
        "0E+200",
        "1." + "0" * 40 + "1",
        "-0",
    ]
).map(Decimal)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    EXTREME_INTS,
    st.floats(),  # NaN, infinities, 1e300, 5e-324 ...
    st.decimals(),
    EXTREME_DECIMALS,
    TEXT,
    SURROGATES,
    LONG,
    AWARE,
    st.datetimes(timezones=st.sampled_from(OFFSETS)),  # year 1 at +02:00 has no UTC form
    st.dates(),
    st.binary(max_size=8),
)
ANYTHING = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(TEXT, SURROGATES, st.integers()), children, max_size=3),
        st.frozensets(st.one_of(TEXT, st.integers()), max_size=3),
    ),
    max_leaves=6,
)
ISO = st.one_of(AWARE.map(lambda d: d.isoformat()), st.dates().map(str))


def valid(spec: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of a declared param's type (that may still break other rules: formats, sizes)."""
    kind = spec.get("type")
    if kind == "number":
        return st.one_of(
            st.integers(-(10**40), 10**40),
            st.floats(allow_nan=False),
            st.decimals(allow_nan=False, allow_infinity=False),
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "literal":
        return st.sampled_from(spec["literals"])
    if kind == "array":
        fields = {name: value_of(field) for name, field in (spec.get("element") or {}).items()}
        return st.lists(st.fixed_dictionaries(fields), max_size=4)
    return st.one_of(TEXT, ISO, AWARE, st.dates(), LONG)


def value_of(spec: dict[str, Any]) -> st.SearchStrategy[Any]:
    return st.one_of(valid(spec), valid(spec), valid(spec), ANYTHING)


def params_of(declared: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    fields = {name: value_of(spec) for name, spec in declared.items()}
    extra = st.dictionaries(st.sampled_from(["extra", "userid"]), ANYTHING, max_size=1)
    return st.builds(
        lambda values, dropped, more: {
            **{k: v for k, v in values.items() if k not in dropped},
            **more,
        },
        st.fixed_dictionaries(fields),
        st.sets(st.sampled_from(sorted(declared) or [""]), max_size=1),
        st.one_of(st.just({}), st.just({}), extra),
    )


OPTIONS = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "numbers": st.sampled_from(["decimal", "native", "float"]),
            "datetimes": st.sampled_from(["datetime", "text", "iso"]),
            "limit": st.one_of(st.integers(-1, 200), ANYTHING),
            "consistentRead": st.booleans(),
        },
    ),
)

# --- the calls ----------------------------------------------------------------------------------

Runtime = Callable[[Any], GraphDDBRuntime]


def _example(client: Any) -> GraphDDBRuntime:
    manifest, operations = example_spec()
    return GraphDDBRuntime(client, manifest, operations)


def _calls() -> list[tuple[str, Runtime, str, str, dict[str, Any]]]:
    """(label, runtime factory, kind, id, declared params) for every public call to fuzz."""
    out: list[tuple[str, Runtime, str, str, dict[str, Any]]] = []
    for label, factory, operations in (
        ("example", _example, example_spec()[1]),
        ("events", events_runtime, OPERATIONS),
    ):
        for kind in ("queries", "commands", "transactions"):
            for name, spec in operations[kind].items():
                out.append((label, factory, kind, name, spec.get("params", {})))
        for contract, spec in operations["contracts"].items():
            if spec["kind"] != "query":
                continue
            for method, method_spec in spec["methods"].items():
                declared = operations["queries"][method_spec["operation"]].get("params", {})
                out.append((label, factory, "method", f"{contract}.{method}", declared))
                out.append((label, factory, "array", f"{contract}.{method}", declared))
    return out


CALLS = _calls()


def call(runtime: Any, kind: str, name: str, params: Any, options: Any) -> None:
    """Run one access pattern of ``CALLS`` (``kind`` says which public method)."""
    if kind == "queries":
        runtime.execute_query(name, params, options)
    elif kind == "commands":
        runtime.execute_command(name, params, options)
    elif kind == "transactions":
        runtime.execute_transaction(name, params)
    else:
        contract, method = name.split(".")
        keys = [params, params] if kind == "array" else params
        runtime.execute_query_method(contract, method, keys, options)


def run(factory: Runtime, kind: str, name: str, params: Any, options: Any) -> Recorder:
    client = Recorder()
    runtime = factory(client)
    try:
        call(runtime, kind, name, params, options)
    except GraphDDBError:
        assert client.calls == [], f"{name} raised after a client call"
    return client


def expressions(client: Recorder) -> list[str]:
    """Every expression text of every request sent."""
    bodies: list[dict[str, Any]] = []
    for method, kwargs in client.calls:
        if method == "transact_write_items":
            bodies.extend(next(iter(item.values())) for item in kwargs["TransactItems"])
        elif method == "batch_get_item":
            bodies.extend(kwargs["RequestItems"].values())
        else:
            bodies.append(kwargs)
    return [body[key] for body in bodies for key in EXPRESSIONS if key in body]


def _static(factory: Runtime, kind: str, name: str, declared: dict[str, Any]) -> set[str]:
    """The expression texts of one plain valid call (every param a short word)."""
    plain: dict[str, Any] = {}
    for param, spec in declared.items():
        if spec.get("type") == "number":
            plain[param] = 1
        elif spec.get("type") == "boolean":
            plain[param] = True
        elif spec.get("type") == "literal":
            plain[param] = spec["literals"][0]
        elif spec.get("type") == "array":
            plain[param] = [{f: "2024-01-02" for f in spec.get("element", {})}]
        else:
            plain[param] = "2024-01-02"
    client = run(factory, kind, name, plain, None)
    assert client.calls, f"the plain call of {name} sends nothing"
    return set(expressions(client))


STATIC = {(label, name, kind): _static(f, kind, name, d) for label, f, kind, name, d in CALLS}


def leaves(value: Any) -> list[str]:
    """Every string inside a param value (map keys too)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*leaves(k), *leaves(v))]
    if isinstance(value, (list, tuple, frozenset, set)):
        return [s for v in value for s in leaves(v)]
    return []


@settings(max_examples=400)
@given(st.data())
def test_every_call_succeeds_or_fails_typed_before_any_call(data: st.DataObject) -> None:
    label, factory, kind, name, declared = data.draw(st.sampled_from(CALLS), label="call")
    params = data.draw(params_of(declared), label="params")
    options = data.draw(OPTIONS, label="options") if kind != "transactions" else None
    client = run(factory, kind, name, params, options)
    sent = expressions(client)
    static = STATIC[(label, name, kind)]
    assert set(sent) <= static, (name, set(sent) - static)
    for text in leaves(params):
        if len(text) >= 4 and not any(text in s for s in static):
            assert all(text not in expression for expression in sent), (name, text)


def test_dynamodb_accepts_every_request_the_runtime_sends() -> None:
    """The same calls on moto: a rejected value is rejected by the runtime, before any call;
    moto only ever answers a failed condition (never a validation error)."""
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        create_tables(client, MANIFEST)
        create_tables(client, example_spec()[0])
        allowed = ("ConditionalCheckFailedException", "TransactionCanceledException")

        @settings(max_examples=150)
        @given(st.data())
        def check(data: st.DataObject) -> None:
            _, factory, kind, name, declared = data.draw(st.sampled_from(CALLS), label="call")
            params = data.draw(params_of(declared), label="params")
            options = data.draw(OPTIONS, label="options") if kind != "transactions" else None
            watched = Counting(client)
            runtime = factory(watched)
            try:
                call(runtime, kind, name, params, options)
            except OperationExecutionError as error:
                assert error.code in allowed, (name, str(error))
            except GraphDDBError:
                assert watched.calls == [], f"{name} raised after a client call"

        check()


# --- read-back on moto ----------------------------------------------------------------------------

DIGITS = st.lists(st.integers(0, 9), min_size=1, max_size=38).filter(lambda d: d[0] != 0)
NUMBERS = st.one_of(
    st.integers(-(10**38) + 1, 10**38 - 1),
    st.builds(
        lambda sign, digits, adjusted: Decimal((sign, tuple(digits), adjusted - len(digits) + 1)),
        st.integers(0, 1),
        DIGITS,
        st.integers(-130, 125),
    ),
    st.floats(allow_nan=False, allow_infinity=False).filter(
        lambda f: f == 0 or 1e-130 <= abs(f) < 1e126
    ),
)
NOTES = st.text(st.characters(exclude_categories=["Cs"]), max_size=60).filter(lambda s: s != "/")
INSTANT = AWARE.map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _canonical(value: datetime) -> str:
    return utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


DAYS = st.dates(min_value=date(1000, 1, 1))
EVENTS = st.lists(
    st.fixed_dictionaries({"at": INSTANT, "day": DAYS, "note": NOTES}),
    min_size=1,
    max_size=4,
    unique_by=lambda e: utc(e["at"]),
)


def test_written_values_read_back_equal() -> None:
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        create_tables(client, MANIFEST)
        runtime = events_runtime(client)
        tenants = itertools.count()

        @settings(max_examples=30)
        @given(
            tenant=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30),
            score=NUMBERS,
            events=EVENTS,
            as_text=st.booleans(),
        )
        def check(tenant: str, score: Any, events: list[dict[str, Any]], as_text: bool) -> None:
            tenant_id = f"{next(tenants)}#{tenant}"
            first = events[0]
            at = _canonical(first["at"]) if as_text else first["at"]  # text or object: one form
            runtime.execute_command(
                "putEvent", {"tenantId": tenant_id, **first, "at": at, "score": score}
            )
            key = {"tenantId": tenant_id, "at": first["at"]}
            read = runtime.execute_query("getEvent", key)
            expected = Decimal(repr(score)) if isinstance(score, float) else Decimal(score)
            assert read["score"] == expected
            assert (read["tenantId"], read["note"]) == (tenant_id, first["note"])
            assert read["at"] == utc(first["at"]) and read["at"].tzinfo is not None
            assert read["day"] == datetime.combine(first["day"], datetime.min.time(), UTC)
            assert runtime.execute_query("getEvent", {**key, "at": read["at"]}) == read
            text = runtime.execute_query("getEvent", key, {"datetimes": "text"})
            assert (text["at"], text["day"]) == (_canonical(first["at"]), first["day"].isoformat())
            assert to_jsonable(read)["at"] == text["at"]

            batch = {"tenantId": f"{tenant_id}#tx", "score": score, "events": events}
            runtime.execute_transaction("putEvents", batch)
            window = {"tenantId": batch["tenantId"], "from": "/", "to": ":"}
            listed = runtime.execute_query("listEvents", window, {"datetimes": "text"})["items"]
            written = sorted(events, key=lambda e: _canonical(e["at"]))
            assert [(i["at"], i["day"], i["note"]) for i in listed] == [
                (_canonical(e["at"]), e["day"].isoformat(), e["note"]) for e in written
            ]

        check()
