"""Property tests: cursors and pagination (docs/format.md sections 7.7, 12 and 32).

On in-process moto with one group of generated size:

- following cursors with any page size returns every row exactly once, in key order, and ends
  (a pager never loops);
- any string passed as a cursor, and any single-character change of a real cursor (unsigned or
  signed), either gives a page of that same query or raises ``CursorError`` before any DynamoDB
  call; a signed cursor that was changed is always rejected;
- a cursor of one query or key is never accepted for another.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from graphddb_runtime import CursorError, GraphDDBRuntime, local
from graphddb_runtime.demo import example_spec

from ._fake_dynamo import Counting

TABLE = "app-prod"  # the worked example's physicalName
ROWS = 23
SINCE = "2024-01-01"
CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
}


@pytest.fixture(scope="module")
def backend() -> Iterator[tuple[Counting, GraphDDBRuntime, GraphDDBRuntime]]:
    manifest, operations = example_spec()
    with mock_aws():
        client = boto3.client("dynamodb", **CREDENTIALS)
        local.create_tables(client, manifest)
        for i in range(ROWS):
            client.put_item(
                TableName=TABLE,
                Item={
                    "PK": {"S": "GROUP#eng"},
                    "SK": {"S": f"USER#u{i:03d}"},
                    "userId": {"S": f"u{i:03d}"},
                    "groupId": {"S": "eng"},
                    "role": {"S": "member"},
                    "joinedAt": {"S": "2024-05-01T00:00:00.000Z"},
                },
            )
        counting = Counting(client)
        plain = GraphDDBRuntime(counting, manifest, operations)
        signed = GraphDDBRuntime(counting, manifest, operations, cursor_secret="s3cret")
        yield counting, plain, signed


def _page(runtime: GraphDDBRuntime, options: dict[str, Any], group: str = "eng") -> Any:
    params = {"groupId": group, "joinedSince": SINCE}
    return runtime.execute_query("listGroupMembers", params, options)


def _users(page: Any) -> list[str]:
    return [item["userId"] for item in page["items"]]


@settings(max_examples=25)
@given(limit=st.integers(min_value=1, max_value=ROWS + 2), signed=st.booleans())
def test_following_cursors_returns_every_row_once_and_ends(
    backend: tuple[Counting, GraphDDBRuntime, GraphDDBRuntime], limit: int, signed: bool
) -> None:
    runtime = backend[2] if signed else backend[1]
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(ROWS + 2):
        page = _page(runtime, {"limit": limit, "cursor": cursor})
        seen.extend(_users(page))
        cursor = page["cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert seen == [f"u{i:03d}" for i in range(ROWS)]


def _first_cursor(runtime: GraphDDBRuntime) -> str:
    cursor = _page(runtime, {"limit": 5})["cursor"]
    assert isinstance(cursor, str)
    return cursor


def _accepted_or_cursor_error(
    backend: tuple[Counting, GraphDDBRuntime, GraphDDBRuntime],
    runtime: GraphDDBRuntime,
    cursor: str,
) -> bool:
    """True when the cursor gave a page of the same query; False on ``CursorError``, which
    must come before any DynamoDB call."""
    counting = backend[0]
    before = len(counting.calls)
    try:
        page = _page(runtime, {"limit": 5, "cursor": cursor})
    except CursorError:
        assert len(counting.calls) == before
        return False
    users = _users(page)
    assert set(users) <= {f"u{i:03d}" for i in range(ROWS)}
    assert users == sorted(users)
    return True


cursor_text = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=string.ascii_letters + string.digits + "-_=+/", max_size=200),
)


@settings(max_examples=150)
@given(cursor=cursor_text)
def test_any_string_is_a_page_or_a_cursor_error_before_any_call(
    backend: tuple[Counting, GraphDDBRuntime, GraphDDBRuntime], cursor: str
) -> None:
    _accepted_or_cursor_error(backend, backend[1], cursor)
    if cursor:  # "" means the first page, signed or not
        assert not _accepted_or_cursor_error(backend, backend[2], cursor)


@settings(max_examples=150)
@given(data=st.data(), signed=st.booleans())
def test_a_changed_cursor_is_a_page_or_a_cursor_error_and_never_forged(
    backend: tuple[Counting, GraphDDBRuntime, GraphDDBRuntime], data: st.DataObject, signed: bool
) -> None:
    runtime = backend[2] if signed else backend[1]
    real = _first_cursor(runtime)
    position = data.draw(st.integers(min_value=0, max_value=len(real) - 1))
    replacement = data.draw(st.sampled_from(string.ascii_letters + string.digits + "-_=.~"))
    changed = real[:position] + replacement + real[position + 1 :]
    if changed == real:
        return
    accepted = _accepted_or_cursor_error(backend, runtime, changed)
    if signed:
        assert not accepted, f"a changed signed cursor was accepted: {changed!r}"


def test_a_cursor_is_bound_to_its_query_and_key(
    backend: tuple[Counting, GraphDDBRuntime, GraphDDBRuntime],
) -> None:
    for runtime in backend[1:]:
        cursor = _first_cursor(runtime)
        with pytest.raises(CursorError):
            _page(runtime, {"limit": 5, "cursor": cursor}, group="ops")
        with pytest.raises(CursorError):
            runtime.execute_query("listUserGroups", {"userId": "u001"}, {"cursor": cursor})
