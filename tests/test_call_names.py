"""Unknown ids and bad params say what they are (docs/format.md sections 6.2, 13.1, 15.3, 31.2).

- an unknown id names the kind it is and the call that runs it, else a did-you-mean;
- parameter errors show the received type and value, unknown names get a did-you-mean, and every
  missing required param is named.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphddb_runtime import (
    AsyncGraphDDBRuntime,
    CommandNotFoundError,
    ContractNotFoundError,
    GraphDDBRuntime,
    ParameterValidationError,
    QueryNotFoundError,
    TransactionNotFoundError,
)

from ._fake_dynamo import Recorder

SPECS = Path(__file__).resolve().parent / "specs" / "contracts"
MANIFEST, OPERATIONS = SPECS / "manifest.json", SPECS / "operations.json"
JOINED = "2024-05-01T00:00:00.000Z"


# --- sections 13.1 and 15.3: an unknown id names its kind -------------------------------------


RT = GraphDDBRuntime(object(), MANIFEST, OPERATIONS)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: RT.execute_query("disableUser", {}),
            QueryNotFoundError,
            "unknown query 'disableUser': 'disableUser' is a command, not a query; "
            "use execute_command",
        ),
        (
            lambda: RT.execute_query("addMembers", {}),
            QueryNotFoundError,
            "unknown query 'addMembers': 'addMembers' is a transaction, not a query; "
            "use execute_transaction",
        ),
        (
            lambda: RT.execute_query("GroupById", {}),
            QueryNotFoundError,
            "unknown query 'GroupById': 'GroupById' is a query contract, not a query; "
            "use execute_query_method",
        ),
        (
            lambda: RT.explain("UserCommands", {}),
            QueryNotFoundError,
            "unknown query 'UserCommands': 'UserCommands' is a command contract, not a query; "
            "use execute_command_method",
        ),
        (
            lambda: RT.execute_command("getUser", {}),
            CommandNotFoundError,
            "unknown command 'getUser': 'getUser' is a query, not a command; use execute_query",
        ),
        (
            lambda: RT.execute_command("addMembers", {}),
            CommandNotFoundError,
            "unknown command 'addMembers': 'addMembers' is a transaction, not a command; "
            "use execute_transaction",
        ),
        (
            lambda: RT.execute_command("UserCommands", {}),
            CommandNotFoundError,
            "unknown command 'UserCommands': 'UserCommands' is a command contract, not a "
            "command; use execute_command_method",
        ),
        (
            lambda: RT.execute_transaction("disableUser", {}),
            TransactionNotFoundError,
            "unknown transaction 'disableUser': 'disableUser' is a command, not a transaction; "
            "use execute_command",
        ),
        (
            lambda: RT.execute_transaction("GroupById", {}),
            TransactionNotFoundError,
            "unknown transaction 'GroupById': 'GroupById' is a query contract, not a "
            "transaction; use execute_query_method",
        ),
        (
            lambda: RT.execute_query_method("getUser", "get", {}),
            ContractNotFoundError,
            "unknown contract 'getUser': 'getUser' is a query, not a contract; use execute_query.",
        ),
        (
            lambda: RT.execute_command_method("addMembers", "run", {}),
            ContractNotFoundError,
            "unknown contract 'addMembers': 'addMembers' is a transaction, not a contract; "
            "use execute_transaction.",
        ),
        (
            lambda: RT.execute_query_method("UserCommands", "disable", {}),
            ContractNotFoundError,
            "contract 'UserCommands' is a 'command' contract; execute_query_method only runs "
            "query contracts; use execute_command_method",
        ),
        (
            lambda: RT.execute_command_method("GroupById", "get", {}),
            ContractNotFoundError,
            "contract 'GroupById' is a 'query' contract; execute_command_method only runs "
            "command contracts; use execute_query_method",
        ),
        (
            lambda: RT.execute_query("GroupById.get", {}),
            QueryNotFoundError,
            "unknown query 'GroupById.get': 'GroupById.get' is a query contract method; use "
            "execute_query_method('GroupById', 'get', ...)",
        ),
        (
            lambda: RT.execute_transaction("UserCommands.disable", {}),
            TransactionNotFoundError,
            "unknown transaction 'UserCommands.disable': 'UserCommands.disable' is a command "
            "contract method; use execute_command_method('UserCommands', 'disable', ...)",
        ),
        # The did-you-mean stays when the name is of no kind.
        (
            lambda: RT.execute_query("getUsr", {}),
            QueryNotFoundError,
            "unknown query 'getUsr'; did you mean 'getUser'",
        ),
        (
            lambda: RT.execute_query_method("GroupByID", "get", {}),
            ContractNotFoundError,
            "unknown contract 'GroupByID'; did you mean 'GroupById'? Available: ",
        ),
        (
            lambda: RT.execute_query_method("GroupById", "gett", {}),
            ContractNotFoundError,
            "contract 'GroupById' has no query method 'gett'; did you mean 'get'? Available: get",
        ),
        (lambda: RT.execute_query(5, {}), QueryNotFoundError, "unknown query 5"),  # type: ignore[arg-type]
    ],
)
def test_an_unknown_id_says_what_it_is(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as caught:
        call()
    assert type(caught.value) is error
    assert str(caught.value).startswith(message), str(caught.value)


def test_the_async_twin_says_the_same() -> None:
    async def run() -> str:
        try:
            await AsyncGraphDDBRuntime(RT).execute_query("disableUser", {})
        except QueryNotFoundError as error:
            return str(error)
        return "no error"

    assert asyncio.run(run()).endswith("is a command, not a query; use execute_command")


# --- section 6.2: params -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda rt: rt.execute_query("getUser", {"userid": "alice"}),
            "getUser: unknown parameter 'userid'; did you mean 'userId'?",
        ),
        (
            lambda rt: rt.execute_query("getUser", {"userId": 10}),
            "getUser: parameter 'userId' must be a string, got int 10",
        ),
        (
            lambda rt: rt.execute_query("getUser", {"userId": ["a"] * 30}),
            "getUser: parameter 'userId' must be a string, got list "
            + repr(["a"] * 30)[:57]
            + "...",
        ),
        (
            lambda rt: rt.execute_command("createUser", {"name": "Ada"}),
            "createUser: missing required parameter 'userId' (also missing: 'email', 'createdAt')",
        ),
        (
            lambda rt: rt.execute_command("disableUser", {"userId": "u", "status": "off"}),
            "disableUser: parameter 'status' must be one of ['disabled'], got str 'off'",
        ),
        (
            lambda rt: rt.execute_transaction(
                "addMembers", {"groupId": "g", "joinedAt": JOINED, "members": [{"userId": 1}]}
            ),
            "addMembers: parameter 'members[0].userId' must be a string, got int 1",
        ),
        (
            lambda rt: rt.execute_transaction("addMembers", {"groupid": "g"}),
            "addMembers: unknown parameter 'groupid'; did you mean 'groupId'?",
        ),
        (
            lambda rt: rt.execute_query_method("GroupById", "get", {"groupID": "g"}),
            "GroupById.get: unknown parameter 'groupID'; did you mean 'groupId'?",
        ),
        (
            lambda rt: rt.execute_command_method(
                "UserCommands", "disable", {"userId": True}, {"status": "disabled"}
            ),
            "disableUser: parameter 'userId' must be a string, got bool True",
        ),
    ],
)
def test_param_errors_show_what_was_received(call: Any, message: str) -> None:
    client = Recorder()
    with pytest.raises(ParameterValidationError) as caught:
        call(GraphDDBRuntime(client, MANIFEST, OPERATIONS))
    assert str(caught.value) == message
    assert client.calls == []


NOT_A_STRING = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.text(max_size=30), max_size=8),
    st.dictionaries(st.text(max_size=10), st.integers(), max_size=5),
    st.binary(max_size=100),
)


@settings(max_examples=80, deadline=None)
@given(value=NOT_A_STRING)
def test_every_type_error_names_the_type_and_a_short_repr(value: Any) -> None:
    with pytest.raises(ParameterValidationError) as caught:
        RT.execute_query("getUser", {"userId": value})
    prefix = f"getUser: parameter 'userId' must be a string, got {type(value).__name__} "
    message = str(caught.value)
    assert message.startswith(prefix)
    shown = message[len(prefix) :]
    assert len(shown) <= 60
    assert shown == repr(value) or (shown.endswith("...") and repr(value).startswith(shown[:-3]))
    assert re.fullmatch(r".*\S", shown)


def test_an_int_too_long_for_repr_is_shown_by_its_size() -> None:
    with pytest.raises(ParameterValidationError) as caught:
        RT.execute_query("getUser", {"userId": 10**5000})
    assert str(caught.value) == (
        "getUser: parameter 'userId' must be a string, got int <16610-bit integer>"
    )
