"""Backends for integration tests: moto in process, and moto's server as a real HTTP process.

The server is started by the test session on 127.0.0.1 (a free port) and stopped at the end;
nothing else on the network is touched.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from graphddb_runtime import local

CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
}


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """URL of a moto server process on 127.0.0.1, for the whole session."""
    with local.moto_server() as url:
        yield url


@pytest.fixture(params=["moto", "server"])
def dynamodb(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A DynamoDB client on a fresh backend: in-process moto, or the moto server over HTTP."""
    if request.param == "moto":
        with mock_aws():
            yield boto3.client("dynamodb", **CREDENTIALS)
        return
    url = request.getfixturevalue("moto_server")
    urllib.request.urlopen(
        urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=5
    ).close()
    yield boto3.client("dynamodb", endpoint_url=url, **CREDENTIALS)
