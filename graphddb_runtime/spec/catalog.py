"""Look-ups in the immutable catalog, with did-you-mean suggestions for unknown names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from .._suggest import did_you_mean
from ..errors import CommandNotFoundError, QueryNotFoundError, TransactionNotFoundError
from .plans import Catalog, CommandPlan, QueryPlan, TransactionPlan

__all__ = ["get_command", "get_query", "get_transaction"]

T = TypeVar("T")


def _get(table: Mapping[str, T], name: object, kind: str, error: type[Exception]) -> T:
    plan = table.get(name) if isinstance(name, str) else None
    if plan is None:
        raise error(f"unknown {kind} {name!r}" + did_you_mean(name, table))
    return plan


def get_query(catalog: Catalog, name: object) -> QueryPlan:
    return _get(catalog.queries, name, "query", QueryNotFoundError)


def get_command(catalog: Catalog, name: object) -> CommandPlan:
    return _get(catalog.commands, name, "command", CommandNotFoundError)


def get_transaction(catalog: Catalog, name: object) -> TransactionPlan:
    return _get(catalog.transactions, name, "transaction", TransactionNotFoundError)
