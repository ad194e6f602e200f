"""Look-ups in the immutable catalog, with did-you-mean suggestions for unknown names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TypeVar

from ..errors import CommandNotFoundError, QueryNotFoundError, TransactionNotFoundError
from .plans import Catalog, CommandPlan, QueryPlan, TransactionPlan

__all__ = ["did_you_mean", "get_command", "get_query", "get_transaction"]

T = TypeVar("T")


def did_you_mean(name: object, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest names, or ``""``."""
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"


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
