"""datetime / date values (docs/format.md sections 9.3, 9.5, 9.6 and 13.1), through the public API.

Writes: a field with ``format: datetime|date`` takes valid ISO 8601 text for its format (or a
``datetime`` / ``date`` object, rendered canonically), checked before any call. Reads: a stored
value that is not valid raises ``HydrationError`` naming the operation, entity, field and key,
unless the call asks for ``datetimes="text"``. Round trip: a value read back and passed again
addresses the same row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from moto import mock_aws

from graphddb_runtime import (
    ConfigurationError,
    GraphDDBRuntime,
    HydrationError,
    ParameterValidationError,
    RuntimeLimits,
    to_jsonable,
)
from graphddb_runtime.demo import example_spec
from graphddb_runtime.local import create_tables

from ._values_spec import EVENT, EVENT_ITEM, MANIFEST, Recorder, events_runtime

UTC = timezone.utc
PLUS2 = timezone(timedelta(hours=2))
USER = {"userId": "u1", "name": "Ada", "email": "ada@example.com"}


def example(client: Any, **kwargs: Any) -> GraphDDBRuntime:
    manifest, operations = example_spec()
    return GraphDDBRuntime(client, manifest, operations, **kwargs)


# --- writes: the format check (section 9.3) ------------------------------------------------------


def test_an_invalid_datetime_is_rejected_before_any_call() -> None:
    client = Recorder()
    with pytest.raises(ParameterValidationError) as info:
        example(client).execute_command("createUser", {**USER, "createdAt": "yesterday"})
    assert str(info.value) == (
        "createUser: parameter 'createdAt' for field 'createdAt' (format datetime) is not a "
        "valid ISO 8601 datetime: 'yesterday'"
    )
    assert client.calls == []


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("at", "2024-01-02T03:04:05Z", True),
        ("at", "2024-01-02T03:04:05.123456+02:00", True),
        ("at", "2024-01-02", True),  # a date-only text is a datetime at midnight UTC
        ("at", "2024-01-02T25:00:00Z", False),
        ("at", "", False),
        ("at", "soon", False),
        ("day", "2024-02-29", True),
        ("day", "2024-02-30", False),
        ("day", "2024-01-02T00:00:00Z", False),
        ("day", "2024-1-02", False),
    ],
)
def test_written_text_must_parse_for_its_format(field: str, value: str, ok: bool) -> None:
    client = Recorder()
    runtime = events_runtime(client)
    params = {**EVENT, field: value}
    if ok:
        runtime.execute_command("putEvent", params)
        assert client.calls[0][1]["Item"][field] == {"S": value}
        return
    fmt = "datetime" if field == "at" else "date"
    with pytest.raises(ParameterValidationError) as info:
        runtime.execute_command("putEvent", params)
    assert str(info.value) == (
        f"putEvent: parameter '{field}' for field '{field}' (format {fmt}) is not a valid ISO "
        f"8601 {fmt}: '{value}'"
    )
    assert client.calls == []


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05.000Z"),  # naive: taken as UTC
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05.000Z"),
        (datetime(2024, 1, 2, 5, 4, 5, 678999, tzinfo=PLUS2), "2024-01-02T03:04:05.678Z"),
        (date(2024, 1, 2), "2024-01-02"),
    ],
)
def test_datetime_objects_are_written_in_the_canonical_form(value: Any, text: str) -> None:
    """The field, the key built from it (mixed and whole placeholder) and the GSI key agree."""
    client = Recorder()
    events_runtime(client).execute_command("putEvent", {**EVENT, "at": value})
    item = client.calls[0][1]["Item"]
    assert item["at"] == {"S": text}
    assert item["SK"] == item["GSI1SK"] == {"S": f"AT#{text}"}


def test_a_datetime_that_has_no_utc_form_is_rejected() -> None:
    client = Recorder()
    early = datetime(1, 1, 1, tzinfo=PLUS2)  # 0000-12-31T22:00Z is before datetime.min
    with pytest.raises(ParameterValidationError, match="out of range in UTC"):
        events_runtime(client).execute_command("putEvent", {**EVENT, "at": early})
    assert client.calls == []


def test_contract_key_arrays_take_datetimes_in_the_canonical_form() -> None:
    """A datetime key and its canonical text are one key: one BatchGetItem key, one entry."""
    client = Recorder(batch_get_item=[{"Responses": {"Events": [EVENT_ITEM]}}])
    at = datetime(2024, 1, 2, 5, 4, 5, tzinfo=PLUS2)
    keys = [{"tenantId": "t1", "at": at}, {"tenantId": "t1", "at": EVENT["at"]}]
    found = events_runtime(client).execute_query_method("Events", "get", keys)
    assert list(found) == ['{"at":"2024-01-02T03:04:05.000Z","tenantId":"t1"}']
    (request,) = [kwargs for _, kwargs in client.calls]
    assert request["RequestItems"]["Events"]["Keys"] == [
        {"PK": {"S": "TENANT#t1"}, "SK": {"S": "AT#2024-01-02T03:04:05.000Z"}}
    ]


def test_a_datetime_object_cannot_be_written_to_a_date_field() -> None:
    client = Recorder()
    with pytest.raises(ParameterValidationError) as info:
        events_runtime(client).execute_command(
            "putEvent", {**EVENT, "day": datetime(2024, 1, 2, tzinfo=UTC)}
        )
    assert str(info.value) == (
        "putEvent: parameter 'day' for field 'day' (format date) is not a valid ISO 8601 date: "
        "a datetime (2024-01-02T00:00:00.000Z); pass a date"
    )
    assert client.calls == []


def test_update_changes_are_checked() -> None:
    client = Recorder()
    runtime = events_runtime(client)
    params = {"tenantId": "t1", "at": EVENT["at"], "day": "Monday", "note": "n"}
    with pytest.raises(ParameterValidationError, match="parameter 'day' for field 'day'"):
        runtime.execute_command("noteEvent", params)
    with pytest.raises(ParameterValidationError, match="renoteEvent: parameter 'day' for"):
        runtime.execute_transaction("renoteEvent", params)
    assert client.calls == []


def test_transaction_items_name_the_element() -> None:
    client = Recorder()
    runtime = events_runtime(client)
    events = [
        {"at": "2024-01-02T00:00:00Z", "day": "2024-01-02", "note": "a"},
        {"at": "2024-01-03T00:00:00Z", "day": "tomorrow", "note": "b"},
    ]
    with pytest.raises(ParameterValidationError) as info:
        runtime.execute_transaction("putEvents", {"tenantId": "t1", "score": 1, "events": events})
    assert str(info.value) == (
        "putEvents: parameter 'events[1].day' for field 'day' (format date) is not a valid ISO "
        "8601 date: 'tomorrow'"
    )
    with pytest.raises(ParameterValidationError, match="parameter 'joinedAt' for field 'joinedAt'"):
        example(client).execute_transaction(
            "addMembers",
            {"groupId": "g", "joinedAt": "now", "members": [{"userId": "u", "role": "r"}]},
        )
    assert client.calls == []


def test_transaction_elements_may_hold_datetime_objects() -> None:
    """The general (non-str) path of the generated item code renders them canonically."""
    client = Recorder()
    events = [{"at": datetime(2024, 1, 2, 5, tzinfo=PLUS2), "day": date(2024, 1, 2), "note": "a"}]
    events_runtime(client).execute_transaction(
        "putEvents", {"tenantId": "t1", "score": 1, "events": events}
    )
    item = client.calls[0][1]["TransactItems"][0]["Put"]["Item"]
    assert item["at"] == {"S": "2024-01-02T03:00:00.000Z"}
    assert item["day"] == {"S": "2024-01-02"}
    assert item["SK"] == {"S": "AT#2024-01-02T03:00:00.000Z"}


def test_a_middleware_rewrite_is_checked_too() -> None:
    client = Recorder()
    runtime = example(client)

    def before(ctx: Any) -> None:
        ctx.input["item"]["createdAt"] = "later"

    runtime.use({"write": {"before": before}})
    with pytest.raises(ParameterValidationError, match=r"'createdAt' .* 'later'"):
        runtime.execute_command("createUser", {**USER, "createdAt": "2024-01-02T00:00:00Z"})
    assert client.calls == []


# --- keys and round trip (section 9.5) -----------------------------------------------------------


def test_key_params_render_datetimes_canonically() -> None:
    client = Recorder()
    runtime = events_runtime(client)
    runtime.execute_query(
        "getEvent", {"tenantId": "t1", "at": datetime(2024, 1, 2, 5, tzinfo=PLUS2)}
    )
    runtime.execute_query("eventsOfDay", {"day": date(2024, 1, 2)})
    assert client.calls[0][1]["Key"]["SK"] == {"S": "AT#2024-01-02T03:00:00.000Z"}
    assert client.calls[1][1]["ExpressionAttributeValues"][":k0"] == {"S": "DAY#2024-01-02"}


@pytest.fixture
def moto_events() -> Iterator[GraphDDBRuntime]:
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        create_tables(client, MANIFEST)
        yield events_runtime(client)


def test_a_datetime_read_back_addresses_the_same_row(moto_events: GraphDDBRuntime) -> None:
    runtime = moto_events
    written = datetime(2024, 1, 2, 5, 4, 5, 678000, tzinfo=PLUS2)
    runtime.execute_command("putEvent", {**EVENT, "at": written})
    window = {"tenantId": "t1", "from": "2024", "to": "2025"}
    listed = runtime.execute_query("listEvents", window)["items"]
    assert [item["at"] for item in listed] == [written]
    again = runtime.execute_query("getEvent", {"tenantId": "t1", "at": listed[0]["at"]})
    assert again == listed[0]
    assert to_jsonable(again)["at"] == "2024-01-02T03:04:05.678Z"
    by_text = runtime.execute_query("getEvent", {"tenantId": "t1", "at": to_jsonable(again)["at"]})
    assert by_text == again


def test_a_date_field_reads_back_as_text_with_datetimes_text(
    moto_events: GraphDDBRuntime,
) -> None:
    """A ``date`` field hydrates to a datetime at midnight UTC (section 9.3), whose canonical
    text is a datetime's; ``datetimes="text"`` returns the stored ``YYYY-MM-DD``."""
    runtime = moto_events
    runtime.execute_command("putEvent", {**EVENT, "day": date(2024, 1, 2)})
    read = runtime.execute_query("getEvent", {"tenantId": "t1", "at": EVENT["at"]})
    assert read["day"] == datetime(2024, 1, 2, tzinfo=UTC)
    text = runtime.execute_query(
        "getEvent", {"tenantId": "t1", "at": EVENT["at"]}, {"datetimes": "text"}
    )
    assert text["day"] == "2024-01-02"
    assert runtime.execute_query("eventsOfDay", {"day": text["day"]})["items"] == [read]
    assert runtime.execute_query("eventsOfDay", {"day": read["day"].date()})["items"] == [read]


# --- reads: HydrationError (section 13.1) --------------------------------------------------------

BAD_USER = {
    "PK": {"S": "USER#u1"},
    "SK": {"S": "PROFILE"},
    "userId": {"S": "u1"},
    "createdAt": {"S": "yesterday"},
}


def test_hydration_error_names_operation_entity_field_and_key() -> None:
    client = Recorder(get_item=[{"Item": BAD_USER}])
    with pytest.raises(HydrationError) as info:
        example(client).execute_query("getUser", {"userId": "u1"})
    error = info.value
    assert str(error) == (
        "getUser: entity 'UserModel' field 'createdAt' of item {PK: 'USER#u1', SK: 'PROFILE'}: "
        "invalid ISO 8601 datetime: 'yesterday'"
    )
    assert (error.operation_id, error.entity, error.field, error.value) == (
        "getUser",
        "UserModel",
        "createdAt",
        "yesterday",
    )
    assert error.key == {"PK": "USER#u1", "SK": "PROFILE"}


BAD_EVENT = {**EVENT_ITEM, "day": {"S": "2024/01/02"}}
BAD_TENANT = {
    "PK": {"S": "TENANT#t1"},
    "SK": {"S": "META"},
    "tenantId": {"S": "t1"},
    "createdAt": {"S": "2024-13-01T00:00:00Z"},
}


def _bad_reads() -> list[tuple[str, Any, dict[str, Any], str, str, str]]:
    """(what, call, responses, operation id, entity, field) for every hydrating read path."""
    key = {"tenantId": "t1", "at": EVENT["at"]}
    return [
        ("query", lambda rt, o: rt.execute_query("eventsOfDay", {"day": "2024-01-02"}, o),
         {"query": [{"Items": [BAD_EVENT]}]}, "eventsOfDay", "EventModel", "day"),
        ("relation query", lambda rt, o: rt.execute_query("getTenant", {"tenantId": "t1"}, o),
         {"get_item": [{"Item": {**BAD_TENANT, "createdAt": {"S": "2024-01-01T00:00:00Z"}}}],
          "query": [{"Items": [BAD_EVENT]}]}, "getTenant", "EventModel", "day"),
        ("relation batch", lambda rt, o: rt.execute_query("getEventWithTenant", key, o),
         {"get_item": [{"Item": EVENT_ITEM}],
          "batch_get_item": [{"Responses": {"Events": [BAD_TENANT]}}]},
         "getEventWithTenant", "TenantModel", "createdAt"),
        ("contract point", lambda rt, o: rt.execute_query_method("Events", "get", key, o),
         {"get_item": [{"Item": BAD_EVENT}]}, "Events.get", "EventModel", "day"),
        ("contract array", lambda rt, o: rt.execute_query_method("Events", "get", [key], o),
         {"batch_get_item": [{"Responses": {"Events": [BAD_EVENT]}}]},
         "Events.get", "EventModel", "day"),
        ("returnValues", lambda rt, o: rt.execute_command(
            "noteEvent", {**key, "day": "2024-01-02", "note": "n"},
            {"returnValues": "ALL_OLD", **(o or {})}),
         {"update_item": [{"Attributes": BAD_EVENT}]}, "noteEvent", "EventModel", "day"),
        ("read-back", lambda rt, o: rt.execute_command_method(
            "EventCommands", "put", {"tenantId": "t1", "at": EVENT["at"]},
            {k: v for k, v in EVENT.items() if k not in ("tenantId", "at")}, o),
         {"get_item": [{"Item": BAD_EVENT}]}, "EventCommands.put", "EventModel", "day"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "call", "responses", "op_id", "entity", "field"), _bad_reads(), ids=lambda v: v
)
def test_every_read_path_raises_hydration_error_with_context(  # noqa: PLR0917
    what: str, call: Any, responses: dict[str, Any], op_id: str, entity: str, field: str
) -> None:
    with pytest.raises(HydrationError) as info:
        call(events_runtime(Recorder(**responses)), None)
    error = info.value
    assert (error.operation_id, error.entity, error.field) == (op_id, entity, field), what
    assert str(error).startswith(f"{op_id}: entity '{entity}' field '{field}' of item {{PK: ")
    assert error.key is not None and "PK" in error.key


@pytest.mark.parametrize(
    ("what", "call", "responses", "op_id", "entity", "field"), _bad_reads(), ids=lambda v: v
)
def test_datetimes_text_returns_the_stored_text(  # noqa: PLR0917
    what: str, call: Any, responses: dict[str, Any], op_id: str, entity: str, field: str
) -> None:
    """Per call, and as the runtime default (which a call's ``"datetime"`` overrides)."""
    result = call(events_runtime(Recorder(**responses)), {"datetimes": "text"})
    assert repr(result).count("'2024/01/02'") + repr(result).count("'2024-13-01T00:00:00Z'") >= 1
    assert "datetime.datetime" not in repr(result), what
    default = events_runtime(Recorder(**responses), limits=RuntimeLimits(datetimes="text"))
    assert repr(call(default, None)) == repr(result)
    overridden = events_runtime(Recorder(**responses), limits=RuntimeLimits(datetimes="text"))
    with pytest.raises(HydrationError):
        call(overridden, {"datetimes": "datetime"})


def test_datetimes_text_keeps_valid_values_as_stored() -> None:
    client = Recorder(get_item=[{"Item": EVENT_ITEM}, {"Item": EVENT_ITEM}])
    runtime = events_runtime(client)
    params = {"tenantId": "t1", "at": EVENT["at"]}
    assert runtime.execute_query("getEvent", params, {"datetimes": "text"})["at"] == EVENT["at"]
    restored = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert runtime.execute_query("getEvent", params)["at"] == restored


def test_datetimes_option_values_are_checked() -> None:
    client = Recorder()
    runtime = events_runtime(client)
    message = "option 'datetimes' must be 'datetime' or 'text'"
    with pytest.raises(ParameterValidationError, match=f"getEvent: {message}"):
        runtime.execute_query("getEvent", {"tenantId": "t", "at": "x"}, {"datetimes": "str"})
    with pytest.raises(ParameterValidationError, match=f"Events.get: {message}"):
        runtime.execute_query_method(
            "Events", "get", {"tenantId": "t", "at": "x"}, {"datetimes": 1}
        )
    with pytest.raises(ParameterValidationError, match=f"dropEvent: {message}"):
        runtime.execute_command("dropEvent", {"tenantId": "t", "at": "x"}, {"datetimes": True})
    with pytest.raises(ConfigurationError, match="datetimes must be 'datetime' or 'text'"):
        RuntimeLimits(datetimes="iso")
    assert client.calls == []
