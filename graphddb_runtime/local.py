"""Tables for a local or test DynamoDB: everything a manifest needs, created on any client.

The runtime itself never creates tables. This module is for demos, tests and local development::

    from graphddb_runtime.local import create_tables
    create_tables(boto3.client("dynamodb", endpoint_url="http://127.0.0.1:8000"),
                  "generated/manifest.json", table_mapping={"AppTable": "app-dev"})

:func:`moto_server` starts moto's DynamoDB-compatible server as a child process on 127.0.0.1 (moto
is a development dependency, not the runtime's), for tests and benchmarks that want real HTTP.

Each logical table gets ``PK`` (and ``SK`` when any entity has a sort key) and every GSI any of
its entities declares (``<I>PK``/``<I>SK``, projection ALL), on-demand billing. A key attribute is
a number (``N``) only when every entity template for it is one whole placeholder of a field whose
``type`` is ``"number"``; otherwise it is a string (``S``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

from ._values.templates import Template
from .spec import load_spec
from .spec.catalog import check_table_mapping, physical_tables
from .spec.plans import Catalog, EntityPlan

__all__ = ["create_tables", "moto_server", "table_definitions"]


def _attribute_type(templates: list[tuple[EntityPlan, Template]]) -> str:
    numeric = bool(templates) and all(
        t.whole and e.types.get(t.names[0]) == "number" for e, t in templates
    )
    return "N" if numeric else "S"


def table_definitions(
    catalog: Catalog, table_mapping: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """``create_table`` kwargs for every logical table of ``catalog`` that entities live on,
    named as the runtime names it (``table_mapping``, else ``physicalName``; section 15.6)."""
    physical = physical_tables(catalog, check_table_mapping(table_mapping))
    definitions = []
    for name, schema in catalog.tables.items():
        templates: dict[str, list[tuple[EntityPlan, Template]]] = {}
        for entity in catalog.entities.values():
            if entity.table != name:
                continue
            for attr, template in (("PK", entity.pk), ("SK", entity.sk)):
                if template is not None:
                    templates.setdefault(attr, []).append((entity, template))
            for gsi in entity.gsis:
                for suffix, template in (("PK", gsi.pk), ("SK", gsi.sk)):
                    if template is not None:
                        attr = f"{gsi.index_name}{suffix}"
                        templates.setdefault(attr, []).append((entity, template))
        key_types = ("HASH", "RANGE")
        attributes = list(schema.key_attributes)
        indexes = []
        for index, index_attrs in schema.indexes.items():
            attributes.extend(a for a in index_attrs if a not in attributes)
            indexes.append(
                {
                    "IndexName": index,
                    "KeySchema": [
                        {"AttributeName": a, "KeyType": k}
                        for a, k in zip(index_attrs, key_types, strict=False)
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            )
        definition: dict[str, Any] = {
            "TableName": physical[name],
            "AttributeDefinitions": [
                {"AttributeName": a, "AttributeType": _attribute_type(templates.get(a, []))}
                for a in attributes
            ],
            "KeySchema": [
                {"AttributeName": a, "KeyType": k}
                for a, k in zip(schema.key_attributes, key_types, strict=False)
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if indexes:
            definition["GlobalSecondaryIndexes"] = indexes
        definitions.append(definition)
    return definitions


def create_tables(
    client: Any,
    manifest: Any,
    table_mapping: Mapping[str, str] | None = None,
    *,
    wait: bool = True,
) -> list[str]:
    """Create every table ``manifest`` needs (existing tables are left alone); their names."""
    loaded = load_spec(manifest, {}, manifest_only=True)
    existing = set(client.list_tables().get("TableNames", []))
    created = []
    for definition in table_definitions(loaded.catalog, table_mapping):
        if definition["TableName"] in existing:
            continue
        client.create_table(**definition)
        created.append(definition["TableName"])
    if wait:
        waiter = client.get_waiter("table_exists")
        for name in created:
            waiter.wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 600})
    return created


@contextlib.contextmanager
def moto_server(*, timeout: float = 30) -> Iterator[str]:
    """Run ``python -m moto.server`` on a free port of 127.0.0.1; yields its URL, then stops it.

    The child gets no ``AWS_*`` variables from this process. Raises ``RuntimeError`` when the
    server does not answer within ``timeout`` seconds (moto missing, for example).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:  # URLError and connection errors while it starts
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
