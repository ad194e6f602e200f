"""Hook order and the recovery convention (sections 36 and 39)."""

from __future__ import annotations

from typing import Any

import pytest

from graphddb_runtime import (
    RECOVER_NONE,
    ConditionFailedError,
    OperationExecutionError,
)

from ._support import (
    ALICE,
    COMMAND_IDS,
    COMMANDS,
    NO_W2,
    REMOVE,
    USER,
    Boom,
    Hook,
    Spy,
    _failing_read_runtime,
    client_error,
    fake_client,
    middleware,
    runtime,
    seed_row,
    trace,
)

# ==================================================================================================
# Section 36: ordering and recovery
# ==================================================================================================


@pytest.mark.parametrize(
    ("query_id", "params"),
    [("getUser", {"userId": "alice"}), ("listMembers", {"groupId": "eng"})],
)
def test_read_before_hooks_run_fifo_and_after_hooks_lifo(
    query_id: str, params: dict[str, Any]
) -> None:
    rt = runtime(fake_client())
    log: list[str] = []
    rt.use(trace("A", log))
    rt.use(trace("B", log))
    rt.execute_query(query_id, params)
    assert log == ["A:R1", "B:R1", "A:R2", "B:R2", "B:R3", "A:R3", "B:R4", "A:R4"]


@pytest.mark.parametrize(("command", "params", "method", "request_"), COMMANDS, ids=COMMAND_IDS)
def test_write_hooks_follow_the_exact_example_order(
    command: str, params: dict[str, Any], method: str, request_: dict[str, Any]
) -> None:
    rt = runtime(fake_client())
    log: list[str] = []
    for n in (1, 2):
        rt.use(
            {
                "write": {
                    "before": lambda ctx, n=n: log.append(f"b{n}"),
                    "after": lambda ctx, change, n=n: log.append(f"a{n}"),
                    "persist": {
                        "before": lambda ctx, n=n: log.append(f"pb{n}"),
                        "after": lambda ctx, results, n=n: log.append(f"pa{n}"),
                    },
                }
            }
        )
    rt.execute_command(command, params)
    assert log == ["b1", "b2", "pb1", "pb2", "pa2", "pa1", "a2", "a1"]


def test_read_on_error_hooks_run_lifo_at_both_levels() -> None:
    client = fake_client()
    error = RuntimeError("network down")
    client.fail_on("get_item", error)
    rt = runtime(client)
    log: list[str] = []
    for tag in "ABC":
        rt.use(trace(tag, log))
    with pytest.raises(RuntimeError) as info:
        rt.execute_query("getUser", {"userId": "alice"})
    assert info.value is error
    assert log == [
        "A:R1",
        "B:R1",
        "C:R1",
        "A:R2",
        "B:R2",
        "C:R2",
        "C:R5op",
        "B:R5op",
        "A:R5op",
        "C:R5",
        "B:R5",
        "A:R5",
    ]


def test_write_on_error_hooks_run_lifo_at_both_levels() -> None:
    client = fake_client()
    client.fail_on("put_item", client_error("ConditionalCheckFailedException"))
    rt = runtime(client)
    log: list[str] = []
    for tag in "AB":
        rt.use(trace(tag, log, NO_W2))
    with pytest.raises(ConditionFailedError):
        rt.execute_command("createUser", USER)
    assert log == ["A:W1", "B:W1", "A:W3", "B:W3", "B:W5p", "A:W5p", "B:W5", "A:W5"]


def test_r3_threads_each_hook_result_into_the_next_and_none_keeps_the_list() -> None:
    rt = runtime(fake_client())
    seen: dict[str, Any] = {}

    def first_registered(ctx: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen["first_in"] = items
        return [{**items[0], "status": "from-first"}]

    def keeps(ctx: Any, items: list[dict[str, Any]]) -> None:
        seen["keeps_in"] = items

    def last_registered(ctx: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen["last_in"] = items
        out = [{**items[0], "name": "from-last"}]
        seen["last_out"] = out
        return out

    rt.use(middleware({"R3": first_registered}))
    rt.use(middleware({"R3": keeps}))
    rt.use(middleware({"R3": last_registered}))
    result = rt.execute_query("getUser", {"userId": "alice"})
    assert seen["last_in"] == [seed_row("USER#alice", "PROFILE")]  # LIFO: the last one first
    assert seen["keeps_in"] is seen["last_out"]
    assert seen["first_in"] is seen["last_out"]  # None kept the list
    assert result == {**ALICE, "name": "from-last", "status": "from-first"}


def test_r4_threads_each_hook_result_into_the_next_and_none_keeps_the_result() -> None:
    rt = runtime(fake_client())
    seen: dict[str, Any] = {}
    replaced = {"replaced": True}

    def first_registered(ctx: Any, result: Any) -> Any:
        seen["first_in"] = result
        return {**result, "first": True}

    def keeps(ctx: Any, result: Any) -> None:  # implementation decision: None keeps the result
        seen["keeps_in"] = result

    def last_registered(ctx: Any, result: Any) -> Any:
        seen["last_in"] = result
        return replaced

    rt.use(middleware({"R4": first_registered}))
    rt.use(middleware({"R4": keeps}))
    rt.use(middleware({"R4": last_registered}))
    assert rt.execute_query("getUser", {"userId": "alice"}) == {"replaced": True, "first": True}
    assert seen["last_in"] == ALICE
    assert seen["keeps_in"] is replaced
    assert seen["first_in"] is replaced


def test_on_error_returning_none_declines_and_the_original_exception_is_re_raised() -> None:
    error = client_error("InternalServerError", "Query")
    _, rt = _failing_read_runtime(error)
    spy = Spy(("R5", "R5op"))
    rt.use(spy.tree)
    rt.use(spy.tree)
    with pytest.raises(OperationExecutionError) as info:
        rt.execute_query("listMembers", {"groupId": "eng"})
    raised = info.value
    assert type(raised) is OperationExecutionError
    assert raised.original is error and raised.code == "InternalServerError"
    assert raised.operation_id == "listMembers"
    assert spy.labels == ["R5op", "R5op", "R5", "R5"]
    assert all(args[0] is raised for args in spy.args("R5op") + spy.args("R5"))


def test_non_botocore_errors_reach_hooks_and_callers_unchanged() -> None:
    error = ValueError("not a botocore error")
    _, rt = _failing_read_runtime(error)
    spy = Spy(("R5", "R5op"))
    rt.use(spy.tree)
    with pytest.raises(ValueError) as info:
        rt.execute_query("listMembers", {"groupId": "eng"})
    assert info.value is error
    assert [args[0] for args in spy.args("R5op") + spy.args("R5")] == [error, error]


def test_recover_none_recovers_with_none_at_request_level() -> None:
    _, rt = _failing_read_runtime(RuntimeError("x"))
    rt.use(middleware({"R5": lambda ctx, err: RECOVER_NONE}))
    assert rt.execute_query("listMembers", {"groupId": "eng"}) is None


def test_a_recovered_value_becomes_the_result() -> None:
    _, rt = _failing_read_runtime(RuntimeError("x"))
    value = {"items": [], "cursor": "custom"}
    rt.use(middleware({"R5": lambda ctx, err: value}))
    assert rt.execute_query("listMembers", {"groupId": "eng"}) is value


def test_falsy_values_other_than_none_recover() -> None:
    _, rt = _failing_read_runtime(RuntimeError("x"))
    rt.use(middleware({"R5": lambda ctx, err: 0}))
    assert rt.execute_query("listMembers", {"groupId": "eng"}) == 0


def test_the_first_recovering_hook_in_lifo_order_wins_and_the_rest_are_not_called() -> None:
    _, rt = _failing_read_runtime(RuntimeError("x"))
    log: list[str] = []

    def hook(tag: str, value: Any) -> Hook:
        def on_error(ctx: Any, err: BaseException) -> Any:
            log.append(tag)
            return value

        return on_error

    rt.use(middleware({"R5": hook("A", "from A")}))
    rt.use(middleware({"R5": hook("B", "from B")}))
    rt.use(middleware({"R5": hook("C", None)}))
    assert rt.execute_query("listMembers", {"groupId": "eng"}) == "from B"
    assert log == ["C", "B"]


def test_op_level_recovery_with_recover_none_yields_no_items() -> None:
    _, rt = _failing_read_runtime(RuntimeError("x"))
    spy = Spy(("R3", "R4", "R5"), R5op=lambda ctx, err: RECOVER_NONE)
    rt.use(spy.tree)
    assert rt.execute_query("listMembers", {"groupId": "eng"}) == {"items": [], "cursor": None}
    assert spy.labels == ["R5op", "R4"]  # no R3 after a failed send, no request-level R5
    _, rt = _failing_read_runtime(RuntimeError("x"), "get_item")
    rt.use(middleware({"R5op": lambda ctx, err: RECOVER_NONE}))
    assert rt.execute_query("getUser", {"userId": "alice"}) is None


def test_op_level_decline_passes_the_original_exception_to_the_request_level() -> None:
    error = RuntimeError("x")
    _, rt = _failing_read_runtime(error)
    spy = Spy(("R5op",), R5=lambda ctx, err: {"recovered": err})
    rt.use(spy.tree)
    assert rt.execute_query("listMembers", {"groupId": "eng"}) == {"recovered": error}
    assert spy.args("R5op") == [(error,)] and spy.args("R5") == [(error,)]


@pytest.mark.parametrize("label", ["R1", "R2", "R3", "R4"])
def test_read_hook_exceptions_propagate_unwrapped_unless_recovered(label: str) -> None:
    error = Boom(label)

    def raise_(*args: Any) -> None:
        raise error

    rt = runtime(fake_client())
    spy = Spy(("R5",))
    rt.use(middleware({label: raise_}))
    rt.use(spy.tree)
    with pytest.raises(Boom) as info:
        rt.execute_query("getUser", {"userId": "alice"})
    assert info.value is error
    assert spy.args("R5") == [(error,)]
    rt.use(middleware({"R5": lambda ctx, err: {"recovered": err}}))
    assert rt.execute_query("getUser", {"userId": "alice"}) == {"recovered": error}


def test_an_exception_raised_by_an_on_error_hook_propagates_unchanged() -> None:
    _, rt = _failing_read_runtime(RuntimeError("x"))
    error = Boom("from onError")

    def raise_(ctx: Any, err: BaseException) -> None:
        raise error

    rt.use(middleware({"R5": raise_}))
    with pytest.raises(Boom) as info:
        rt.execute_query("listMembers", {"groupId": "eng"})
    assert info.value is error


@pytest.mark.parametrize("label", ["W1", "W3", "W4", "W2"])
def test_write_hook_exceptions_propagate_unwrapped_unless_recovered(label: str) -> None:
    error = Boom(label)

    def raise_(*args: Any) -> None:
        raise error

    rt = runtime(fake_client())
    spy = Spy(("W5", "W5p"))
    rt.use(middleware({label: raise_}))
    rt.use(spy.tree)
    with pytest.raises(Boom) as info:
        rt.execute_command("removeMember", REMOVE)
    assert info.value is error
    expected = ["W5p", "W5"] if label == "W3" else ["W5"]  # a W3 raise is a send failure
    assert spy.labels == expected
    assert all(args == (error,) for args in spy.args("W5") + spy.args("W5p"))
