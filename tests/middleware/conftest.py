"""Fixtures of the middleware tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber


@pytest.fixture(scope="module")
def boto_client() -> Any:
    return boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture
def stub(boto_client: Any) -> Iterator[Stubber]:
    with Stubber(boto_client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()
