"""A small in-memory DynamoDB for unit tests that need control moto does not give.

It understands exactly the request shapes the runtime sends for reads (GetItem, Query with an
equality partition condition and an optional ``=`` / ``begins_with`` / ``between`` sort
condition, ``attribute_exists`` filters, BatchGetItem with a projection), records every call,
tracks how many calls are in flight, and lets a test inject latency, failures and unprocessed
keys per call. It is thread-safe. :class:`Recorder` is the minimal alternative: any method, an
empty (or scripted) answer, every call recorded.
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

_KEY = re.compile(r"^#k0 = :k0(?: AND (.+))?$")
_RANGE = {
    "eq": re.compile(r"^#kr = :kr$"),
    "begins_with": re.compile(r"^begins_with\(#kr, :kr\)$"),
    "between": re.compile(r"^#kr BETWEEN :kr0 AND :kr1$"),
}
_EXISTS = re.compile(r"^attribute_exists\((#\w+)\)$")


def _plain(av: Mapping[str, Any]) -> Any:
    if "N" in av:
        return Decimal(av["N"])
    return next(iter(av.values()))


class FakeDynamo:
    """``tables``: physical name -> (key attributes, {index name: index key attributes})."""

    def __init__(
        self,
        tables: Mapping[str, tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]],
    ) -> None:
        self.schema = dict(tables)
        self.items: dict[str, list[AV]] = {name: [] for name in tables}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        #: ``delay(method, kwargs) -> seconds`` to hold the call (latency injection).
        self.delay: Callable[[str, dict[str, Any]], float] | None = None
        #: ``fail(method, kwargs) -> exception or None``.
        self.fail: Callable[[str, dict[str, Any]], BaseException | None] | None = None
        #: ``unprocessed(keys) -> the keys to report as UnprocessedKeys`` for BatchGetItem.
        self.unprocessed: Callable[[list[AV]], list[AV]] | None = None

    # --- data -------------------------------------------------------------------------------

    def put(self, table: str, item: AV) -> None:
        key_attrs = self.schema[table][0]
        rows = self.items[table]
        rows[:] = [r for r in rows if any(r.get(a) != item.get(a) for a in key_attrs)]
        rows.append(item)

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method)

    def requests(self, method: str) -> list[dict[str, Any]]:
        return [kw for m, kw in self.calls if m == method]

    # --- plumbing ---------------------------------------------------------------------------

    def _enter(self, method: str, kwargs: dict[str, Any]) -> None:
        with self.lock:
            self.calls.append((method, kwargs))
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
        except BaseException:
            self._leave()
            raise

    def _leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def _find(self, table: str, key: AV) -> AV | None:
        for row in self.items[table]:
            if all(row.get(a) == v for a, v in key.items()):
                return row
        return None

    # --- client methods ---------------------------------------------------------------------

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        """Seeding only: not recorded, no latency, no failures."""
        self.put(kwargs["TableName"], kwargs["Item"])
        return {}

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        self._enter("get_item", kwargs)
        try:
            item = self._find(kwargs["TableName"], kwargs["Key"])
            return {"Item": dict(item)} if item is not None else {}
        finally:
            self._leave()

    def query(self, **kwargs: Any) -> dict[str, Any]:
        self._enter("query", kwargs)
        try:
            return self._query(kwargs)
        finally:
            self._leave()

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
        self._enter("batch_get_item", kwargs)
        try:
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
                row = self._find(table, key)
                if row is not None:
                    found.append({a: row[a] for a in (wanted or row) if a in row})
            response: dict[str, Any] = {"Responses": {table: found}}
            response["UnprocessedKeys"] = {table: {**entry, "Keys": left}} if left else {}
            return response
        finally:
            self._leave()


#: One scripted answer: ``(method, expected kwargs or None, response dict or exception)``.
Answer = tuple[str, "dict[str, Any] | None", Any]


class Recorder:
    """A duck-typed client: records every call and answers each method from a script.

    ``responses`` answers every call of a method with the same dict. ``script`` instead lists
    one answer per call, consumed once each: in call order (the call's method must be the
    entry's), or with ``match=True`` the first unused entry whose method and kwargs equal the
    call's (for concurrent fan-outs, whose call order is not defined). An answer that is an
    exception is raised. A call the script does not answer raises ``AssertionError``. Calls
    may come from several threads.
    """

    def __init__(
        self,
        responses: dict[str, dict[str, Any]] | None = None,
        *,
        script: Sequence[Answer] | None = None,
        match: bool = False,
    ) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.responses = responses or {}
        self.script = list(script) if script is not None else None
        self.match = match
        self.lock = threading.Lock()

    def __getattr__(self, method: str) -> Any:
        def call(**kwargs: Any) -> dict[str, Any]:
            with self.lock:
                self.calls.append((method, kwargs))
                if self.script is None:
                    return self.responses.get(method, {})
                answer = self._take(method, kwargs)
            if isinstance(answer, BaseException):
                raise answer
            return copy.deepcopy(answer)

        return call

    def _take(self, method: str, kwargs: dict[str, Any]) -> Any:
        assert self.script is not None
        for index, (name, expected, answer) in enumerate(self.script):
            if name == method and (not self.match or expected == kwargs):
                del self.script[index]
                return answer
            if not self.match:
                break
        raise AssertionError(f"unscripted call {method}({kwargs!r})")

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


class Counting:
    """A real client whose calls are counted (``calls``), to tell "before any call" apart."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(**kwargs: Any) -> Any:
            self.calls += 1
            return method(**kwargs)

        return call
