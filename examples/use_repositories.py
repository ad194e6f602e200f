"""Use the generated-style repositories on an embedded DynamoDB (moto, in process).

python examples/use_repositories.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repositories import GroupRepository, OrderRepository, UserRepository

from graphddb_runtime import GraphDDBRuntime, to_jsonable
from graphddb_runtime.local import create_tables

GENERATED = Path(__file__).resolve().parent / "generated"


def main() -> None:
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        create_tables(client, GENERATED / "manifest.json", {"AppTable": "app-dev"})
        # Module scope in a Lambda handler: built once, shared by every invocation.
        runtime = GraphDDBRuntime(
            client,
            GENERATED / "manifest.json",
            GENERATED / "operations.json",
            table_mapping={"AppTable": "app-dev"},
        )
        users, groups, orders = (
            UserRepository(runtime),
            GroupRepository(runtime),
            OrderRepository(runtime),
        )

        users.create_user(
            user_id="ada",
            name="Ada",
            email="ada@example.com",
            created_at="2024-01-02T03:04:05.000Z",
        )
        print("user:", to_jsonable(users.get_user_by_email("ada@example.com")))
        orders.place_order(
            order_id="o1",
            tenant_id="t1",
            user_id="ada",
            total=99.5,
            created_at="2024-06-01T12:00:00.000Z",
        )
        print("order:", to_jsonable(orders.set_order_status("o1", "SHIPPED", tenant_id="t1")))
        page = groups.list_group_members("eng", "2024-01-01T00:00:00.000Z", limit=10)
        print("members of eng:", to_jsonable(page))


if __name__ == "__main__":
    main()
