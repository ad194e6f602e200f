"""Every executor case under tests/cases/execute (format: tests/cases/execute/README.md).

Each case runs twice: on the scripted in-memory client (:class:`tests._fake_dynamo.Recorder`),
where the requests and the result are compared exactly, and on moto in process, where the result
is compared (the requests of reads depend on the data there). Only the public API is used.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError
from moto import mock_aws

import graphddb_runtime
from graphddb_runtime import GraphDDBRuntime, RuntimeLimits
from graphddb_runtime.local import create_tables

from ._cases import _base
from ._fake_dynamo import Recorder
from ._jsonpatch import apply_patch

FOLDER = Path(__file__).parent / "cases" / "execute"
KINDS = ("query", "explain", "command", "transaction", "queryMethod", "commandMethod")
CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
}

# --- the tagged JSON form of values JSON has no type for (README.md, "Values") --------------


def decode(value: Any) -> Any:
    """Tagged JSON -> Python: ``{"$decimal": "2.5"}``, ``{"$datetime": iso}``, ``{"$date": iso}``,
    ``{"$bytes": base64}``, ``{"$set": [...]}``; every other value as it is, recursively."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, body),) = value.items()
        if tag == "$decimal":
            return Decimal(body)
        if tag == "$datetime":
            return datetime.fromisoformat(body)
        if tag == "$date":
            return date.fromisoformat(body)
        if tag == "$bytes":
            return base64.b64decode(body)
        if tag == "$set":
            return set(decode(body))
    return {k: decode(v) for k, v in value.items()}


def encode(value: Any) -> Any:
    """Python -> tagged JSON, the inverse of :func:`decode` (sets sorted, tuples as lists,
    dataclasses such as ``CancellationReason`` as dicts of their fields)."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Binary):
        value = value.value
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, (set, frozenset)):
        items = [encode(v) for v in value]
        return {"$set": sorted(items, key=lambda v: json.dumps(v, sort_keys=True))}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"no tagged form for {type(value).__name__}")


def text(value: Any, *, sort_keys: bool = False) -> str:
    """Canonical text for comparisons: key order kept (unless ``sort_keys``), and ``1``, ``1.0``
    and ``{"$decimal": "1"}`` all different."""
    return json.dumps(encode(value), sort_keys=sort_keys, ensure_ascii=False)


# --- loading ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    folder: Path

    def file(self, name: str, default: Any = None) -> Any:
        path = self.folder / f"{name}.json"
        if not path.exists():
            return default
        return decode(json.loads(path.read_text(encoding="utf-8")))

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self.file("spec"))

    def documents(self) -> dict[str, Any]:
        docs = copy.deepcopy(_base(self.spec["base"]))
        return dict(apply_patch(docs, self.spec.get("patch", [])))

    def script(self) -> list[tuple[str, dict[str, Any], Any]]:
        """The requests paired with the canned answers (an ``{"error": ...}`` entry raises)."""
        pairs = zip(self.file("requests", []), self.file("responses", []), strict=True)
        return [(name, kwargs, _answer(name, answer)) for (name, kwargs), answer in pairs]


def _answer(operation: str, answer: dict[str, Any]) -> Any:
    if set(answer) != {"error"}:
        return answer
    error = answer["error"]
    response: dict[str, Any] = {"Error": {"Code": error["Code"], "Message": error["Message"]}}
    if "CancellationReasons" in error:
        response["CancellationReasons"] = error["CancellationReasons"]
    response["ResponseMetadata"] = {"RequestId": "case-request", "HTTPStatusCode": 400}
    # botocore names the operation as the API does: get_item -> GetItem
    return ClientError(response, "".join(w.title() for w in operation.split("_")))


@cache
def all_cases() -> tuple[Case, ...]:
    folders = sorted(p.parent for p in FOLDER.glob("*/spec.json"))
    return tuple(Case(p.name, p) for p in folders)


CASES = all_cases()
MOTO = [c for c in CASES if c.spec.get("moto", True)]

# --- running ---------------------------------------------------------------------------------


def runtime(case: Case, client: Any) -> GraphDDBRuntime:
    spec, docs = case.spec, case.documents()
    limits = RuntimeLimits(**spec["limits"]) if "limits" in spec else None
    return GraphDDBRuntime(
        client,
        docs["manifest"],
        docs["operations"],
        table_mapping=spec.get("table_mapping"),
        limits=limits,
        cursor_secret=spec.get("cursor_secret"),
        sleep=lambda seconds: None,  # batch retries back off without waiting
    )


def invoke(rt: GraphDDBRuntime, call: dict[str, Any]) -> Any:
    kind, params, options = call["kind"], call.get("params"), call.get("options")
    if kind == "query":
        return rt.execute_query(call["id"], params or {}, options)
    if kind == "explain":
        return rt.explain(call["id"], params or {}, options)
    if kind == "command":
        return rt.execute_command(call["id"], params or {}, options)
    if kind == "transaction":
        return rt.execute_transaction(call["id"], params or {}, options)
    if kind == "queryMethod":
        return rt.execute_query_method(call["contract"], call["method"], call["keys"], params)
    assert kind == "commandMethod", kind
    return rt.execute_command_method(
        call["contract"], call["method"], call["keys"], params, options
    )


def outcome(case: Case, client: Any, *, sort_keys: bool = False) -> None:
    """Run the call on ``client`` and check result.json or error.json."""
    rt = runtime(case, client)
    expected_error = case.file("error")
    if expected_error is None:
        got = invoke(rt, case.file("call"))
        assert text(got, sort_keys=sort_keys) == text(case.file("result"), sort_keys=sort_keys)
        return
    with pytest.raises(graphddb_runtime.GraphDDBError) as caught:
        invoke(rt, case.file("call"))
    error = caught.value
    assert expected_error["class"] in graphddb_runtime.__all__, expected_error["class"]
    assert expected_error["class"] in [c.__name__ for c in type(error).__mro__], repr(error)
    assert expected_error["message"] in str(error), str(error)
    for name, want in expected_error.get("attributes", {}).items():
        assert text(getattr(error, name)) == text(want), name


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_on_the_scripted_client(case: Case) -> None:
    multiset = case.spec.get("order", "exact") == "multiset"
    client = Recorder(script=case.script(), match=multiset)
    outcome(case, client)
    sent = [text([name, kwargs]) for name, kwargs in client.calls]
    want = [text(request) for request in case.file("requests", [])]
    if multiset:
        sent, want = sorted(sent), sorted(want)
    assert sent == want, "\n".join(["sent:", *sent, "expected:", *want])


def seed_rows(case: Case) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(table, AV item)``: the rows the canned read responses show, then seed.json's."""
    for name, kwargs, answer in case.script():
        if not isinstance(answer, dict):
            continue
        if name == "get_item" and "Item" in answer:
            yield kwargs["TableName"], answer["Item"]
        elif name == "query":
            yield from ((kwargs["TableName"], item) for item in answer.get("Items", []))
        elif name == "batch_get_item":
            for table, items in answer.get("Responses", {}).items():
                yield from ((table, item) for item in items)
    for table, items in case.file("seed", {}).items():
        yield from ((table, item) for item in items)


@pytest.fixture(scope="module")
def moto_client() -> Iterator[Any]:
    """One in-process moto client for the module (making a client costs 0.2 s, a table 20 ms)."""
    with mock_aws():
        yield boto3.client("dynamodb", **CREDENTIALS)


@pytest.mark.parametrize("case", MOTO, ids=[c.name for c in MOTO])
def test_case_on_moto(case: Case, moto_client: Any) -> None:
    client = moto_client
    for name in client.list_tables()["TableNames"]:  # every case starts from fresh tables
        client.delete_table(TableName=name)
    create_tables(client, case.documents()["manifest"], case.spec.get("table_mapping"))
    for table, item in seed_rows(case):
        client.put_item(TableName=table, Item=item)
    # DynamoDB does not define the attribute order of a returned item (returnValues).
    outcome(case, client, sort_keys=True)


def test_the_corpus_is_well_formed() -> None:
    assert len(CASES) >= 30
    for case in CASES:
        spec, call = case.spec, case.file("call")
        assert set(spec) <= {
            *("description", "base", "patch", "table_mapping", "limits", "cursor_secret"),
            *("order", "moto", "moto_reason"),
        }, case.name
        assert spec.get("description"), case.name
        assert call["kind"] in KINDS, case.name
        assert spec.get("order", "exact") in ("exact", "multiset"), case.name
        assert (case.file("result", ...) is ...) != (case.file("error") is None), case.name
        assert len(case.file("requests", [])) == len(case.file("responses", [])), case.name
        if spec.get("moto", True) is not True:
            assert spec["moto"] is False and spec.get("moto_reason"), case.name
        names = {p.name for p in case.folder.iterdir()}
        assert names <= {f"{n}.json" for n in ("spec", "call", "requests", "responses")} | {
            "result.json",
            "error.json",
            "seed.json",
        }, case.name
