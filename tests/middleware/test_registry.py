"""Middleware registration: use, get/clear, snapshots, middleware shapes, exports (section 35)."""

from __future__ import annotations

from types import MappingProxyType, SimpleNamespace
from typing import Any

import graphddb_runtime
from graphddb_runtime import (
    RECOVER_NONE,
)

from ._support import (
    ALICE,
    JOIN,
    NO_W2,
    ORDER,
    RAISE,
    REMOVE,
    REMOVE_MEMBER,
    STATUS,
    USER,
    assert_exact,
    fake_client,
    middleware,
    runtime,
    trace,
)

# ==================================================================================================
# Section 35: registration and hook tree
# ==================================================================================================


def test_use_appends_and_get_middleware_is_a_tuple_snapshot_in_registration_order() -> None:
    rt = runtime(fake_client())
    a, b, c = {"name": "a"}, {"name": "b"}, {"name": "c"}
    assert rt.get_middleware() == ()
    rt.use(a)
    rt.use(b)
    snapshot = rt.get_middleware()
    assert type(snapshot) is tuple
    assert [id(m) for m in snapshot] == [id(a), id(b)]
    rt.use(c)
    assert [id(m) for m in snapshot] == [id(a), id(b)]  # a snapshot, not a view
    rt.use(a)  # appended again
    assert [id(m) for m in rt.get_middleware()] == [id(a), id(b), id(c), id(a)]


def test_clear_middleware_removes_every_middleware_and_its_hooks() -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []
    rt.use(trace("a", log))
    rt.use(trace("b", log))
    rt.clear_middleware()
    assert rt.get_middleware() == ()
    assert rt.execute_query("getUser", {"userId": "alice"}) == ALICE
    assert rt.execute_command("removeMember", REMOVE) is None
    assert log == []
    assert client.requests("delete_item") == [REMOVE_MEMBER]  # no ReturnValues=ALL_OLD
    rt.use(trace("c", log))
    rt.execute_query("getUser", {"userId": "alice"})
    assert log == ["c:R1", "c:R2", "c:R3", "c:R4"]


def test_a_middleware_registered_during_a_read_does_not_affect_that_read() -> None:
    rt = runtime(fake_client())
    log: list[str] = []
    late = trace("late", log)

    def register(ctx: Any) -> None:
        log.append("R1")
        rt.use(late)

    rt.use(middleware({"R1": register}))
    assert rt.execute_query("getUser", {"userId": "alice"}) == ALICE
    assert log == ["R1"]
    log.clear()
    rt.execute_query("getUser", {"userId": "alice"})
    assert log == ["R1", "late:R1", "late:R2", "late:R3", "late:R4"]


def test_a_middleware_registered_during_a_write_does_not_affect_that_write() -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []

    def register(ctx: Any) -> None:
        log.append("W1")
        rt.use(trace("late", log))

    rt.use(middleware({"W1": register}))
    rt.execute_command("removeMember", REMOVE)
    assert log == ["W1"]
    assert client.requests("delete_item") == [REMOVE_MEMBER]  # the late W2 adds no ALL_OLD


def test_tx_a_middleware_registered_during_a_transaction_does_not_affect_it() -> None:
    client = fake_client()
    rt = runtime(client)
    log: list[str] = []

    def register(ctx: Any) -> None:
        log.append("W1")
        rt.use(trace("late", log))

    rt.use(middleware({"W1": register}))
    rt.execute_transaction("addMemberIfGroupExists", JOIN)
    assert log == ["W1"]
    assert client.methods == ["transact_write_items"]


class _ObjectReadHooks:
    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.op = SimpleNamespace(
            before=lambda ctx: log.append("obj:R2"),
            afterFetch=lambda ctx, items: log.append("obj:R3"),
        )

    def before(self, ctx: Any) -> None:
        self.log.append("obj:R1")

    def afterFetch(self, ctx: Any, result: Any) -> None:
        self.log.append("obj:R4")


class ObjectMiddleware:
    """A middleware whose tree is made of attributes (bound methods and namespaces)."""

    name = "object"

    def __init__(self, log: list[str]) -> None:
        self.read = _ObjectReadHooks(log)
        self.write = SimpleNamespace(
            before=lambda ctx: log.append("obj:W1"),
            after=lambda ctx, change: log.append("obj:W2"),
            persist={  # a dict under an attribute: each level is looked up by its own kind
                "before": lambda ctx: log.append("obj:W3"),
                "after": lambda ctx, results: log.append("obj:W4"),
            },
        )


def test_dict_attribute_object_and_other_mapping_middlewares_are_all_honoured() -> None:
    rt = runtime(fake_client())
    log: list[str] = []
    rt.use(trace("dict", log, ("R1", "R2", "R3", "R4", "W1", "W2", "W3", "W4")))
    rt.use(ObjectMiddleware(log))
    proxy = trace("proxy", log, ("R1", "R2", "R3", "R4", "W1", "W2", "W3", "W4"))
    rt.use(MappingProxyType({k: MappingProxyType(v) for k, v in proxy.items()}))
    assert rt.execute_query("getUser", {"userId": "alice"}) == ALICE
    assert log == [
        "dict:R1",
        "obj:R1",
        "proxy:R1",
        "dict:R2",
        "obj:R2",
        "proxy:R2",
        "proxy:R3",
        "obj:R3",
        "dict:R3",
        "proxy:R4",
        "obj:R4",
        "dict:R4",
    ]
    log.clear()
    rt.execute_command("removeMember", REMOVE)
    assert log == [
        "dict:W1",
        "obj:W1",
        "proxy:W1",
        "dict:W3",
        "obj:W3",
        "proxy:W3",
        "proxy:W4",
        "obj:W4",
        "dict:W4",
        "proxy:W2",
        "obj:W2",
        "dict:W2",
    ]


def _never(*args: Any) -> None:
    raise AssertionError("an ignored entry was called")


def test_extra_keys_and_non_callable_leaves_are_ignored() -> None:
    plain_client, hooked_client = fake_client(), fake_client()
    reference, rt = runtime(plain_client), runtime(hooked_client)
    rt.use(
        {
            "name": "decorative",
            "version": 3,
            "priority": _never,
            "read": {
                "before": "not callable",
                "afterFetch": 42,
                "onError": None,
                "op": ["not", "a", "tree"],
                "around": _never,
            },
            "write": {
                "before": {"nested": _never},
                "after": None,
                "persist": "nope",
                "cleanup": _never,
            },
            "transaction": {"before": _never},
        }
    )
    rt.use(object())  # an object without any of the attributes
    rt.use(SimpleNamespace(read=SimpleNamespace(before=3), write=7))
    for target in (reference, rt):
        target.execute_query("getUser", {"userId": "alice"})
        target.execute_query("listMembers", {"groupId": "eng"})
        target.execute_command("createUser", USER)
        target.execute_command("setOrderStatus", STATUS, {"returnValues": "ALL_NEW"})
        target.execute_command("removeMember", REMOVE)
    assert hooked_client.calls == plain_client.calls


def test_pass_through_middleware_sends_exactly_the_unhooked_requests() -> None:
    """Hooks that change nothing (and no W2 hook) leave every request as without middleware."""
    plain_client, hooked_client = fake_client(), fake_client()
    reference, rt = runtime(plain_client), runtime(hooked_client)
    rt.use(trace("noop", [], NO_W2))
    results = []
    for target in (reference, rt):
        results.append(
            [
                target.execute_query("getUser", {"userId": "alice"}),
                target.execute_query("listMembers", {"groupId": "eng"}, {"limit": 1}),
                target.execute_query("listUserGroups", {"userId": "alice"}),
                target.execute_command("createUser", USER),
                target.execute_command("placeOrder", ORDER),
                target.execute_command("raiseOrderTotal", RAISE),
                target.execute_command("removeMember", REMOVE, {"returnValues": "ALL_OLD"}),
            ]
        )
    assert results[0] == results[1]
    assert hooked_client.calls == plain_client.calls
    for (_, ours), (_, theirs) in zip(hooked_client.calls, plain_client.calls, strict=True):
        assert_exact(ours, theirs)


def test_the_middleware_api_is_exported() -> None:
    """Section 15.1: the middleware names are part of ``graphddb_runtime.__all__``."""
    names = {
        "MiddlewareRegistry",
        "MiddlewareRuntime",
        "WriteRuntime",
        "ReadRequestCtx",
        "ReadOpCtx",
        "WriteCtx",
        "PersistCtx",
        "RECOVER_NONE",
    }
    assert names <= set(graphddb_runtime.__all__)
    assert graphddb_runtime.RECOVER_NONE is RECOVER_NONE
    assert RECOVER_NONE is not None
