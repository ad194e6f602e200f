"""Option names are checked on every call (docs/format.md 7.4, 7.8, 10.5, 25.1, 31.2, 34.2).

Every name a section's option table defines is accepted by that call (the tables are read from
docs/format.md itself, so code and contract cannot drift apart), and any other name raises
``ParameterValidationError`` with a suggestion, before any hook runs and any DynamoDB call.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphddb_runtime import AsyncGraphDDBRuntime, GraphDDBRuntime, ParameterValidationError

from ._fake_dynamo import Recorder

ROOT = Path(__file__).resolve().parent.parent
FORMAT = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
SPECS = ROOT / "tests" / "specs" / "contracts"
MANIFEST, OPERATIONS = SPECS / "manifest.json", SPECS / "operations.json"
JOINED = "2024-05-01T00:00:00.000Z"
TX_PARAMS = {"groupId": "eng", "joinedAt": JOINED, "members": [{"userId": "a", "role": "r"}]}


def runtime(client: Recorder) -> GraphDDBRuntime:
    return GraphDDBRuntime(client, MANIFEST, OPERATIONS)


Call = Callable[[GraphDDBRuntime, Any], Any]

#: call kind -> (its section, a valid call taking the options under test).
CALLS: dict[str, tuple[str, Call]] = {
    "execute_query": (
        "7.4",
        lambda rt, o: rt.execute_query("getUser", {"userId": "alice"}, o),
    ),
    "explain": ("7.4", lambda rt, o: rt.explain("getUser", {"userId": "alice"}, o)),
    "execute_command": (
        "10.5",
        lambda rt, o: rt.execute_command("removeMember", {"groupId": "eng", "userId": "al"}, o),
    ),
    "execute_transaction": (
        "25.1",
        lambda rt, o: rt.execute_transaction(
            "addMembers",
            {"groupId": "eng", "joinedAt": JOINED, "members": [{"userId": "a", "role": "r"}]},
            o,
        ),
    ),
    "execute_query_method": (
        "31.2",
        lambda rt, o: rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, o),
    ),
    "execute_command_method": (
        "34.2",
        lambda rt, o: rt.execute_command_method(
            "MembershipCommands",
            "join",  # a transaction form: idempotencyToken applies
            {"groupId": "eng", "userId": "carol"},
            {"role": "member", "joinedAt": JOINED},
            o,
        ),
    ),
}

#: A valid value of every option name the format defines (a new name needs one here).
SAMPLES: dict[str, Any] = {
    "cursor": None,
    "limit": 1,
    "order": "asc",
    "consistentRead": False,
    "context": {"tenant": "t1"},
    "numbers": "decimal",
    "returnValues": "ALL_OLD",
    "idempotencyToken": "tok-1",
    "after": None,
    "datetimes": "datetime",  # accepted by every call, next to numbers (section 9.6)
}


def documented_options(section: str) -> list[str]:
    """The first-column names of the option table of ``### <section>`` in docs/format.md."""
    start = FORMAT.index(f"\n### {section} ")
    end = FORMAT.index("\n##", start + 1)
    lines = FORMAT[start:end].splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^\| (key|option) \|", line):
            names = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                found = re.match(r"^\| `([A-Za-z]+)` \|", row)
                assert found is not None, row
                names.append(found.group(1))
            return names
    raise AssertionError(f"section {section} has no option table")


def _unknown(kind: str, name: str) -> ParameterValidationError:
    client = Recorder()
    with pytest.raises(ParameterValidationError) as caught:
        CALLS[kind][1](runtime(client), {name: 1})
    assert client.calls == []
    return caught.value


def test_the_docs_define_the_expected_tables() -> None:
    assert documented_options("7.4") == [
        "cursor",
        "limit",
        "order",
        "consistentRead",
        "context",
        "numbers",
        "datetimes",
    ]
    assert documented_options("10.5") == ["context", "returnValues", "numbers", "datetimes"]
    assert documented_options("25.1") == ["context", "idempotencyToken", "numbers", "datetimes"]
    assert documented_options("31.2") == [
        "consistentRead",
        "limit",
        "after",
        "order",
        "context",
        "numbers",
        "datetimes",
    ]
    assert documented_options("34.2") == ["context", "idempotencyToken", "numbers", "datetimes"]


@pytest.mark.parametrize("kind", list(CALLS))
def test_every_documented_option_is_accepted_and_nothing_else(kind: str) -> None:
    section, call = CALLS[kind]
    names = documented_options(section)
    for name in names:
        call(runtime(Recorder()), {name: SAMPLES[name]})  # each one alone
    call(runtime(Recorder()), {name: SAMPLES[name] for name in names})  # all together
    # The accepted list of the error is exactly the documented table.
    message = str(_unknown(kind, "zzz"))
    listed = re.findall(r"'(\w+)'", message.split("accepted options: ")[1])
    assert listed == sorted(names), message


@pytest.mark.parametrize(
    ("kind", "name", "suggestion"),
    [
        ("execute_query", "Limit", "; did you mean 'limit'?"),
        ("execute_query", "after", "; did you mean 'cursor'?"),
        ("execute_query", "ExclusiveStartKey", "; did you mean 'cursor'?"),
        ("execute_query", "ScanIndexForward", "; did you mean 'order'?"),
        ("execute_query", "consistent_read", "; did you mean 'consistentRead'?"),
        ("execute_query", "consistentReads", "; did you mean 'consistentRead'?"),
        ("explain", "cursr", "; did you mean 'cursor'?"),
        ("execute_command", "ReturnValues", "; did you mean 'returnValues'?"),
        ("execute_command", "return_values", "; did you mean 'returnValues'?"),
        ("execute_transaction", "ClientRequestToken", "; did you mean 'idempotencyToken'?"),
        ("execute_transaction", "client_request_token", "; did you mean 'idempotencyToken'?"),
        ("execute_transaction", "idempotency_token", "; did you mean 'idempotencyToken'?"),
        ("execute_query_method", "cursor", "; did you mean 'after'?"),
        ("execute_query_method", "ExclusiveStartKey", "; did you mean 'after'?"),
        ("execute_query_method", "Limit", "; did you mean 'limit'?"),
        ("execute_command_method", "ctx", "; did you mean 'context'?"),
        (
            "execute_command_method",
            "returnValues",
            "; accepted options: 'context', 'datetimes', 'idempotencyToken', 'numbers'",
        ),
        (
            "execute_query",
            "returnValues",
            "; accepted options: 'consistentRead', 'context', 'cursor', 'datetimes', 'limit', "
            "'numbers', 'order'",
        ),
    ],
)
def test_unknown_names_raise_with_a_suggestion_before_any_call(
    kind: str, name: str, suggestion: str
) -> None:
    op_id = {
        "execute_query": "getUser",
        "explain": "getUser",
        "execute_command": "removeMember",
        "execute_transaction": "addMembers",
        "execute_query_method": "MembersByGroup.list",
        "execute_command_method": "MembershipCommands.join",
    }[kind]
    assert str(_unknown(kind, name)) == f"{op_id}: unknown option {name!r}{suggestion}"


def test_reported_cases() -> None:
    # {"Limit": 1} read a full page; a range pager sending 'cursor' got page 1 forever.
    client = Recorder()
    rt = runtime(client)
    with pytest.raises(ParameterValidationError, match=r"did you mean 'limit'\?$"):
        rt.execute_query("listMembersOfGroup", {"groupId": "eng"}, {"Limit": 1})
    with pytest.raises(ParameterValidationError) as caught:
        rt.execute_query_method("MembersByGroup", "list", {"groupId": "eng"}, {"cursor": "x"})
    assert (
        str(caught.value) == "MembersByGroup.list: unknown option 'cursor'; did you mean 'after'?"
    )
    assert client.calls == []


def test_a_non_string_key_is_an_unknown_option() -> None:
    client = Recorder()
    with pytest.raises(ParameterValidationError, match=r"^getUser: unknown option 1; accepted"):
        runtime(client).execute_query("getUser", {"userId": "alice"}, {1: True})
    assert client.calls == []


@pytest.mark.parametrize("kind", list(CALLS))
def test_unknown_options_never_reach_a_hook(kind: str) -> None:
    client = Recorder()
    rt = runtime(client)
    seen: list[str] = []
    hook = lambda *args: seen.append("hook")  # noqa: E731
    rt.use({"read": {"before": hook, "op": {"before": hook}}, "write": {"before": hook}})
    with pytest.raises(ParameterValidationError, match="unknown option 'tenant'"):
        CALLS[kind][1](rt, {"tenant": "t1"})
    assert seen == [] and client.calls == []


def test_the_async_twins_raise_the_same_error() -> None:
    async def run() -> list[str]:
        wrapped = AsyncGraphDDBRuntime(runtime(Recorder()))
        messages = []
        for coroutine in (
            wrapped.execute_query("getUser", {"userId": "a"}, {"Limit": 1}),
            wrapped.explain("getUser", {"userId": "a"}, {"Limit": 1}),
            wrapped.execute_command("removeMember", {"groupId": "g", "userId": "u"}, {"x": 1}),
            wrapped.execute_transaction("addMembers", TX_PARAMS, {"token": "t"}),
            wrapped.execute_query_method("MembersByGroup", "list", {"groupId": "g"}, {"y": 1}),
            wrapped.execute_command_method(
                "UserCommands", "disable", {"userId": "u"}, {}, {"z": 1}
            ),
        ):
            try:
                await coroutine
            except ParameterValidationError as error:
                messages.append(str(error))
        return messages

    assert asyncio.run(run()) == [
        "getUser: unknown option 'Limit'; did you mean 'limit'?",
        "getUser: unknown option 'Limit'; did you mean 'limit'?",
        "removeMember: unknown option 'x'; accepted options: 'context', 'datetimes', 'numbers', "
        "'returnValues'",
        "addMembers: unknown option 'token'; did you mean 'idempotencyToken'?",
        "MembersByGroup.list: unknown option 'y'; accepted options: 'after', 'consistentRead', "
        "'context', 'datetimes', 'limit', 'numbers', 'order'",
        "UserCommands.disable: unknown option 'z'; accepted options: 'context', 'datetimes', "
        "'idempotencyToken', 'numbers'",
    ]


# --- section 34.2: idempotencyToken belongs to transaction forms ----------------------------------


@pytest.mark.parametrize(
    ("method", "key", "params", "runs"),
    [
        (
            "remove",
            {"groupId": "g", "userId": "u"},
            {},
            "a single command ('MembershipCommands__remove')",
        ),
        (
            "setStatus",
            [{"userId": "u1"}, {"userId": "u2"}],
            {"status": "disabled"},
            "parallel commands ('disableUser')",
        ),
    ],
)
def test_an_idempotency_token_on_a_command_form_raises(
    method: str, key: Any, params: dict[str, Any], runs: str
) -> None:
    client = Recorder()
    with pytest.raises(ParameterValidationError) as caught:
        runtime(client).execute_command_method(
            "MembershipCommands", method, key, params, {"idempotencyToken": "tok"}
        )
    assert str(caught.value) == (
        f"MembershipCommands.{method}: option 'idempotencyToken' applies only to a transaction, "
        f"but this form runs {runs}"
    )
    assert client.calls == []


def test_an_idempotency_token_on_a_batch_transaction_is_sent() -> None:
    client = Recorder()
    runtime(client).execute_command_method(
        "UserCommands",
        "disable",
        [{"userId": "u1"}],
        {"status": "disabled"},
        {"idempotencyToken": "tok-9"},
    )
    ((method, request),) = client.calls
    assert method == "transact_write_items" and request["ClientRequestToken"] == "tok-9"


# --- property: the table decides, nothing else --------------------------------------------------

SHARED = Recorder()
SHARED_RUNTIME = runtime(SHARED)
NAMES = st.one_of(
    st.sampled_from(sorted(SAMPLES)),  # known to some call kind
    st.text(alphabet=st.characters(codec="ascii", categories=("L", "N", "Pc")), max_size=20),
)


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(sorted(CALLS)), names=st.lists(NAMES, max_size=4, unique=True))
def test_any_name_outside_the_table_raises_and_any_inside_passes(
    kind: str, names: list[str]
) -> None:
    section, call = CALLS[kind]
    accepted = {*documented_options(section), "datetimes"}
    SHARED.calls.clear()
    options = {name: SAMPLES.get(name, 1) for name in names}
    unknown = [name for name in names if name not in accepted]
    if unknown:
        with pytest.raises(ParameterValidationError) as caught:
            call(SHARED_RUNTIME, options)
        assert str(caught.value).split(": unknown option ", 1)[1].startswith(repr(unknown[0]))
        assert SHARED.calls == []
    else:
        call(SHARED_RUNTIME, options)
