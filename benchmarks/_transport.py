"""Shared by the benchmark scripts: a botocore client with canned HTTP responses, and timing.

``canned_client(payload)`` is a real boto3 DynamoDB client whose HTTP send is replaced by a
``before-send`` hook: serialization, signing, event hooks and response parsing all run, but no
byte leaves the process. ``payload(operation, request_body) -> response_body`` chooses the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

__all__ = ["canned_client", "per_call_us"]

_HEADERS = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "bench"}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def canned_client(payload: Callable[[str, bytes], bytes]) -> Any:
    """A real client answering every request with ``payload(operation, body)``."""
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )

    def send(request: Any, **_: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().split(".")[-1]
        body = request.body if isinstance(request.body, bytes) else request.body.encode()
        return AWSResponse(request.url, 200, _HEADERS, _Raw(payload(operation, body)))

    client.meta.events.register("before-send.dynamodb", send)
    return client


def per_call_us(fn: Callable[[], Any], iterations: int) -> float:
    """Mean microseconds per call of ``fn`` over ``iterations`` calls."""
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return (time.perf_counter() - start) / iterations * 1e6
