"""Test-wide settings and fixtures.

Property-based tests are seeded and bounded (part of the normal run). ``boto_client`` is a real
boto3 DynamoDB client (dummy credentials, never sent anywhere) and ``stub`` its botocore
``Stubber``, which fails the test if a stubbed response is left unused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, settings

# Derandomized: every run explores the same examples, so CI failures reproduce locally. Each
# property test sets its own ``max_examples``; the whole property suite stays well under a minute.
settings.register_profile(
    "graphddb",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("graphddb")


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
