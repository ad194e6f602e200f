"""Typed repositories for the worked example, written the way `graphddb generate python` does.

One class per aggregate; each method calls the runtime with the spec's camelCase params. The
runtime does all key logic, validation and paging; these classes only give names and types.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypedDict, cast

from graphddb_runtime import GraphDDBRuntime


class User(TypedDict, total=False):
    userId: str
    name: str
    email: str
    status: str
    createdAt: datetime


class GroupMember(TypedDict, total=False):
    groupId: str
    userId: str
    role: str
    joinedAt: datetime


class GroupMemberPage(TypedDict):
    items: list[GroupMember]
    cursor: str | None


class Group(TypedDict, total=False):
    groupId: str
    name: str
    memberCount: Decimal


class Order(TypedDict, total=False):
    orderId: str
    tenantId: str
    userId: str
    status: str
    total: Decimal
    createdAt: datetime


class UserRepository:
    def __init__(self, runtime: GraphDDBRuntime) -> None:
        self._runtime = runtime

    def get_user(self, user_id: str, *, consistent_read: bool = False) -> User | None:
        options = {"consistentRead": True} if consistent_read else None
        return cast(
            "User | None", self._runtime.execute_query("getUser", {"userId": user_id}, options)
        )

    def get_user_by_email(self, email: str) -> User | None:
        return cast("User | None", self._runtime.execute_query("getUserByEmail", {"email": email}))

    def create_user(self, *, user_id: str, name: str, email: str, created_at: str) -> None:
        self._runtime.execute_command(
            "createUser",
            {"userId": user_id, "name": name, "email": email, "createdAt": created_at},
        )


class GroupRepository:
    def __init__(self, runtime: GraphDDBRuntime) -> None:
        self._runtime = runtime

    def get_group(self, group_id: str) -> Group | None:
        return cast("Group | None", self._runtime.execute_query("getGroup", {"groupId": group_id}))

    def list_group_members(
        self,
        group_id: str,
        joined_since: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        order: Literal["asc", "desc"] | None = None,
    ) -> GroupMemberPage:
        options: dict[str, Any] = {"limit": limit, "cursor": cursor, "order": order}
        return cast(
            "GroupMemberPage",
            self._runtime.execute_query(
                "listGroupMembers",
                {"groupId": group_id, "joinedSince": joined_since},
                {k: v for k, v in options.items() if v is not None},
            ),
        )

    def remove_member(self, group_id: str, user_id: str) -> None:
        self._runtime.execute_command("removeMember", {"groupId": group_id, "userId": user_id})


class OrderRepository:
    def __init__(self, runtime: GraphDDBRuntime) -> None:
        self._runtime = runtime

    def place_order(
        self,
        *,
        order_id: str,
        tenant_id: str,
        user_id: str,
        total: float | Decimal,
        created_at: str,
    ) -> None:
        self._runtime.execute_command(
            "placeOrder",
            {
                "orderId": order_id,
                "tenantId": tenant_id,
                "userId": user_id,
                "total": total,
                "createdAt": created_at,
            },
        )

    def set_order_status(self, order_id: str, status: str, *, tenant_id: str) -> Order:
        return cast(
            "Order",
            self._runtime.execute_command(
                "setOrderStatus",
                {"orderId": order_id, "tenantId": tenant_id, "status": status},
                {"returnValues": "ALL_NEW"},
            ),
        )
