"""The one DynamoDB test double of the suite: a call log, a scriptable in-memory table store.

Three classes, one hierarchy:

* :class:`CallLog` (the base) records every call as ``(method, deep copy of the kwargs)`` in
  ``calls`` with the calling thread in ``threads``, tracks how many calls are in flight
  (``in_flight`` / ``max_in_flight``), and lets a test script each call: ``delay`` (latency),
  ``fail`` (an exception to raise; also a place to run a check inside the call) and ``replies``
  (the answer of a method: a dict, a list consumed in order, or ``kwargs -> dict``).
  It is thread-safe.
* :class:`Recorder` answers *any* method: the scripted reply, else ``{}``.
* :class:`FakeDynamo` is a small in-memory DynamoDB. Reads: GetItem, Query with an equality
  partition condition and an optional sort condition (``=`` either as ``#kr = :kr`` or as a
  second key equality ``#k1 = :k1``, ``begins_with``, ``between``), ``attribute_exists``
  filters, ``Limit`` / ``ExclusiveStartKey`` paging, BatchGetItem with a projection and
  injectable ``unprocessed`` keys. Writes: PutItem, DeleteItem and BatchWriteItem (with
  injectable ``unprocessed_writes``) are applied to the store unless ``store_writes`` is off;
  UpdateItem and TransactWriteItems are recorded and answered but never applied (the fake has
  no expression evaluator). ``put`` seeds a row without recording a call.

:class:`Counting` is not a double: it wraps a real (moto) client and records the names of the
DynamoDB data calls made through it, to tell "before any call" apart.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

AV = dict[str, Any]
#: A scripted answer: a dict (every call), a list (consumed in order, then the computed answer)
#: or ``kwargs -> dict``.
Reply = dict[str, Any] | list[dict[str, Any]] | Callable[[dict[str, Any]], dict[str, Any]]

_KEY = re.compile(r"^#k0 = :k0(?: AND (.+))?$")
_RANGE = {
    "eq": re.compile(r"^#kr = :kr$"),
    "key": re.compile(r"^#k1 = :k1$"),
    "begins_with": re.compile(r"^begins_with\(#kr, :kr\)$"),
    "between": re.compile(r"^#kr BETWEEN :kr0 AND :kr1$"),
}
_EXISTS = re.compile(r"^attribute_exists\((#\w+)\)$")

#: The DynamoDB data-plane methods the runtime calls (what :class:`Counting` records).
DATA_CALLS = frozenset(
    {
        "get_item",
        "query",
        "put_item",
        "update_item",
        "delete_item",
        "batch_get_item",
        "batch_write_item",
        "transact_write_items",
    }
)


def _plain(av: Mapping[str, Any]) -> Any:
    if "N" in av:
        return Decimal(av["N"])
    return next(iter(av.values()))


class CallLog:
    """Recording, in-flight tracking and per-call scripting shared by every fake client."""

    def __init__(self, replies: Mapping[str, Reply] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        #: ``threading.get_ident()`` of the thread of each call, parallel to ``calls``.
        self.threads: list[int] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        #: ``method -> answer`` (see :data:`Reply`); replaces the computed answer.
        self.replies: dict[str, Reply] = {
            method: list(reply) if isinstance(reply, list) else reply
            for method, reply in (replies or {}).items()
        }
        #: ``delay(method, kwargs) -> seconds`` to hold the call (latency injection).
        self.delay: Callable[[str, dict[str, Any]], float] | None = None
        #: ``fail(method, kwargs) -> exception or None``; runs inside the call, after ``delay``.
        self.fail: Callable[[str, dict[str, Any]], BaseException | None] | None = None

    def fail_on(self, method: str, error: BaseException) -> None:
        """Script every call of ``method`` to raise ``error``."""
        self.fail = lambda m, _kwargs: error if m == method else None

    def forget(self) -> None:
        """Drop the log (e.g. the PutItem calls of a seeding helper such as ``demo.seed``)."""
        with self.lock:
            self.calls.clear()
            self.threads.clear()
            self.max_in_flight = self.in_flight

    # --- views ------------------------------------------------------------------------------

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method)

    def requests(self, method: str) -> list[dict[str, Any]]:
        return [kw for m, kw in self.calls if m == method]

    @property
    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def tables(self) -> set[str]:
        """Every table name sent: TableName, RequestItems keys, TransactItems' TableNames."""
        names: set[str] = set()
        for _, kwargs in self.calls:
            if "TableName" in kwargs:
                names.add(kwargs["TableName"])
            names.update(kwargs.get("RequestItems", {}))
            for item in kwargs.get("TransactItems", []):
                names.update(body["TableName"] for body in item.values())
        return names

    # --- plumbing ---------------------------------------------------------------------------

    def _call(
        self, method: str, kwargs: dict[str, Any], serve: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """Record the call, apply the script, then answer with ``serve()`` or the reply."""
        with self.lock:
            self.calls.append((method, copy.deepcopy(kwargs)))
            self.threads.append(threading.get_ident())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay is not None:
                seconds = self.delay(method, kwargs)
                if seconds:
                    time.sleep(seconds)
            if self.fail is not None:
                error = self.fail(method, kwargs)
                if error is not None:
                    raise error
            return copy.deepcopy(self._answer(method, kwargs, serve))
        finally:
            with self.lock:
                self.in_flight -= 1

    def _answer(
        self, method: str, kwargs: dict[str, Any], serve: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        reply = self.replies.get(method)
        if isinstance(reply, list):
            with self.lock:
                scripted = reply.pop(0) if reply else None
            computed = serve()
            return scripted if scripted is not None else computed
        computed = serve()
        if reply is None:
            return computed
        return reply(kwargs) if callable(reply) else reply


#: One scripted answer: ``(method, expected kwargs or None, response dict or exception)``.
Answer = tuple[str, "dict[str, Any] | None", Any]


class Recorder(CallLog):
    """A duck-typed client: any method is recorded and answered from ``replies`` (else ``{}``).

    Replies are given as a mapping, by keyword, or both: ``Recorder(get_item=[{"Item": ...}])``.
    ``script`` instead lists one answer per call (see :data:`Answer`), consumed once each: in
    call order (the call's method must be the entry's), or with ``match=True`` the first unused
    entry whose method and kwargs equal the call's (for concurrent fan-outs, whose call order is
    not defined). An answer that is an exception is raised; a call the script does not answer
    raises ``AssertionError``.
    """

    def __init__(
        self,
        replies: Mapping[str, Reply] | None = None,
        /,
        *,
        script: Sequence[Answer] | None = None,
        match: bool = False,
        **by_method: Reply,
    ) -> None:
        super().__init__({**(replies or {}), **by_method})
        self.script = list(script) if script is not None else None
        self.match = match

    def __getattr__(self, method: str) -> Any:
        if method.startswith("__"):
            raise AttributeError(method)

        def call(**kwargs: Any) -> dict[str, Any]:
            if self.script is None:
                return self._call(method, kwargs, dict)
            return self._call(method, kwargs, lambda: self._take(method, kwargs))

        return call

    def _take(self, method: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        assert self.script is not None
        with self.lock:
            candidates = self.script if self.match else self.script[:1]
            found = next(
                (
                    i
                    for i, (name, expected, _) in enumerate(candidates)
                    if name == method and (not self.match or expected == kwargs)
                ),
                None,
            )
            if found is None:
                raise AssertionError(f"unscripted call {method}({kwargs!r})")
            answer = self.script.pop(found)[2]
        if isinstance(answer, BaseException):
            raise answer
        reply: dict[str, Any] = answer
        return reply


class FakeDynamo(CallLog):
    """``tables``: physical name -> (key attributes, {index name: index key attributes})."""

    def __init__(
        self,
        tables: Mapping[str, tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]] | None = None,
        replies: Mapping[str, Reply] | None = None,
    ) -> None:
        super().__init__(replies)
        self.schema = dict(tables or {})
        self.items: dict[str, list[AV]] = {name: [] for name in self.schema}
        #: ``unprocessed(keys) -> the keys to report as UnprocessedKeys`` for BatchGetItem.
        self.unprocessed: Callable[[list[AV]], list[AV]] | None = None
        #: ``unprocessed_writes(requests) -> the requests to report as UnprocessedItems``.
        self.unprocessed_writes: Callable[[list[AV]], list[AV]] | None = None
        #: Off: PutItem / DeleteItem / BatchWriteItem are recorded and answered, not applied.
        self.store_writes = True

    # --- data -------------------------------------------------------------------------------

    def put(self, table: str, item: AV) -> None:
        """Seed (or overwrite) a row; not recorded as a call."""
        key_attrs = self.schema[table][0]
        rows = self.items[table]
        rows[:] = [r for r in rows if any(r.get(a) != item.get(a) for a in key_attrs)]
        rows.append(item)

    def row(self, table: str, key: AV) -> AV | None:
        """The stored row with ``key`` (attribute values), or None."""
        for row in self.items[table]:
            if all(row.get(a) == v for a, v in key.items()):
                return row
        return None

    def _delete(self, table: str, key: AV) -> None:
        rows = self.items[table]
        rows[:] = [r for r in rows if any(r.get(a) != v for a, v in key.items())]

    # --- reads ------------------------------------------------------------------------------

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        def serve() -> dict[str, Any]:
            item = self.row(kwargs["TableName"], kwargs["Key"])
            return {"Item": dict(item)} if item is not None else {}

        return self._call("get_item", kwargs, serve)

    def query(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("query", kwargs, lambda: self._query(kwargs))

    def _query(self, kw: dict[str, Any]) -> dict[str, Any]:
        table = kw["TableName"]
        names, values = kw["ExpressionAttributeNames"], kw["ExpressionAttributeValues"]
        key_attrs, indexes = self.schema[table]
        index_attrs = indexes[kw["IndexName"]] if "IndexName" in kw else key_attrs
        found = _KEY.match(kw["KeyConditionExpression"])
        assert found, kw["KeyConditionExpression"]
        rows = [r for r in self.items[table] if r.get(names["#k0"]) == values[":k0"]]
        if found.group(1):
            rows = [r for r in rows if self._range(found.group(1), r, names, values)]
        sort = index_attrs[1] if len(index_attrs) > 1 else None
        if sort is not None:
            rows.sort(key=lambda r: _plain(r[sort]) if sort in r else "")
        if kw.get("ScanIndexForward") is False:
            rows.reverse()
        if "ExclusiveStartKey" in kw:
            start = kw["ExclusiveStartKey"]
            position = next(
                (i for i, r in enumerate(rows) if all(r.get(a) == v for a, v in start.items())),
                None,
            )
            rows = rows[position + 1 :] if position is not None else rows
        last: AV | None = None
        if "Limit" in kw and len(rows) > kw["Limit"]:
            rows = rows[: kw["Limit"]]
            last_row = rows[-1]
            last = {a: last_row[a] for a in (*key_attrs, *index_attrs) if a in last_row}
        if "FilterExpression" in kw:
            exists = _EXISTS.match(kw["FilterExpression"])
            assert exists, kw["FilterExpression"]
            rows = [r for r in rows if names[exists.group(1)] in r]
        response: dict[str, Any] = {"Items": [dict(r) for r in rows], "Count": len(rows)}
        if last is not None:
            response["LastEvaluatedKey"] = last
        return response

    @staticmethod
    def _range(text: str, row: AV, names: Mapping[str, str], values: Mapping[str, AV]) -> bool:
        if _RANGE["key"].match(text):
            return bool(row.get(names["#k1"]) == values[":k1"])
        stored = row.get(names["#kr"])
        if stored is None:
            return False
        if _RANGE["eq"].match(text):
            return bool(stored == values[":kr"])
        if _RANGE["begins_with"].match(text):
            return str(_plain(stored)).startswith(str(_plain(values[":kr"])))
        assert _RANGE["between"].match(text), text
        return bool(_plain(values[":kr0"]) <= _plain(stored) <= _plain(values[":kr1"]))

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]:
        def serve() -> dict[str, Any]:
            ((table, entry),) = kwargs["RequestItems"].items()
            keys = list(entry["Keys"])
            assert len(keys) <= 100, "BatchGetItem takes at most 100 keys"
            left = self.unprocessed(keys) if self.unprocessed is not None else []
            wanted = None
            if "ProjectionExpression" in entry:
                aliases = entry["ProjectionExpression"].split(", ")
                wanted = [entry["ExpressionAttributeNames"][a] for a in aliases]
            found = []
            for key in keys:
                if key in left:
                    continue
                row = self.row(table, key)
                if row is not None:
                    found.append({a: row[a] for a in (wanted or row) if a in row})
            response: dict[str, Any] = {"Responses": {table: found}}
            response["UnprocessedKeys"] = {table: {**entry, "Keys": left}} if left else {}
            return response

        return self._call("batch_get_item", kwargs, serve)

    # --- writes -----------------------------------------------------------------------------

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        def serve() -> dict[str, Any]:
            if self.store_writes:
                self.put(kwargs["TableName"], copy.deepcopy(kwargs["Item"]))
            return {}

        return self._call("put_item", kwargs, serve)

    def delete_item(self, **kwargs: Any) -> dict[str, Any]:
        def serve() -> dict[str, Any]:
            if self.store_writes:
                self._delete(kwargs["TableName"], kwargs["Key"])
            return {}

        return self._call("delete_item", kwargs, serve)

    def update_item(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("update_item", kwargs, dict)

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("transact_write_items", kwargs, dict)

    def batch_write_item(self, **kwargs: Any) -> dict[str, Any]:
        def serve() -> dict[str, Any]:
            ((table, requests),) = kwargs["RequestItems"].items()
            assert len(requests) <= 25, "BatchWriteItem takes at most 25 requests"
            left = self.unprocessed_writes(list(requests)) if self.unprocessed_writes else []
            for request in requests:
                if request in left or not self.store_writes:
                    continue
                if "PutRequest" in request:
                    self.put(table, copy.deepcopy(request["PutRequest"]["Item"]))
                else:
                    self._delete(table, request["DeleteRequest"]["Key"])
            return {"UnprocessedItems": {table: left} if left else {}}

        return self._call("batch_write_item", kwargs, serve)


class Counting:
    """A real client whose DynamoDB data calls are recorded by name in ``calls``."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if name not in DATA_CALLS:
            return attribute

        def call(**kwargs: Any) -> Any:
            self.calls.append(name)
            return attribute(**kwargs)

        return call
