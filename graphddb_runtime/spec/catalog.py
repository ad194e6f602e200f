"""Look-ups in the immutable catalog, with did-you-mean suggestions for unknown names.

An id that is not of the kind asked for, but is of another kind, says so and names the call
that runs it (``unknown query 'shipOrder': 'shipOrder' is a command, not a query; use
execute_command``). The physical table names are resolved here too, once per runtime.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from .._suggest import did_you_mean, received
from ..errors import (
    CommandNotFoundError,
    ConfigurationError,
    QueryNotFoundError,
    TransactionNotFoundError,
)
from .plans import Catalog, CommandPlan, ContractPlan, QueryPlan, TransactionPlan

__all__ = [
    "check_table_mapping",
    "get_command",
    "get_query",
    "get_transaction",
    "logical_tables",
    "other_kind",
    "physical_tables",
]

T = TypeVar("T")


def other_kind(catalog: Catalog, name: object, kind: str) -> str:
    """``": 'x' is a command, not a query; use execute_command"`` when ``name`` is an id of
    another kind than ``kind`` (query, command, transaction, contract), else ``""``."""
    if not isinstance(name, str):
        return ""
    tables: tuple[tuple[str, Mapping[str, object], str], ...] = (
        ("query", catalog.queries, "execute_query"),
        ("command", catalog.commands, "execute_command"),
        ("transaction", catalog.transactions, "execute_transaction"),
    )
    for other, table, runner in tables:
        if other != kind and name in table:
            return f": {name!r} is a {other}, not a {kind}; use {runner}"
    contract = catalog.contracts.get(name)
    if kind != "contract" and contract is not None:
        return f": {name!r} is a {contract.kind} contract, not a {kind}; use {_runner(contract)}"
    contract_name, _, method = name.partition(".")  # "GroupById.get", as errors name methods
    contract = catalog.contracts.get(contract_name)
    if method and contract is not None and method in contract.methods:
        return (
            f": {name!r} is a {contract.kind} contract method; use "
            f"{_runner(contract)}({contract_name!r}, {method!r}, ...)"
        )
    return ""


def _runner(contract: ContractPlan) -> str:
    return "execute_query_method" if contract.kind == "query" else "execute_command_method"


def _get(
    catalog: Catalog, table: Mapping[str, T], name: object, kind: str, error: type[Exception]
) -> T:
    plan = table.get(name) if isinstance(name, str) else None
    if plan is None:
        hint = other_kind(catalog, name, kind) or did_you_mean(name, table)
        raise error(f"unknown {kind} {name!r}" + hint)
    return plan


def get_query(catalog: Catalog, name: object) -> QueryPlan:
    return _get(catalog, catalog.queries, name, "query", QueryNotFoundError)


def get_command(catalog: Catalog, name: object) -> CommandPlan:
    return _get(catalog, catalog.commands, name, "command", CommandNotFoundError)


def get_transaction(catalog: Catalog, name: object) -> TransactionPlan:
    return _get(catalog, catalog.transactions, name, "transaction", TransactionNotFoundError)


# --- tables (sections 3.2 and 15.6) -----------------------------------------------------------


def logical_tables(catalog: Catalog) -> list[str]:
    """Every logical table: entity ``table`` values, then each ``tableName`` of an operation,
    command or transaction item not already listed (first-seen order)."""
    names = dict.fromkeys(entity.table for entity in catalog.entities.values())
    for query in catalog.queries.values():
        names.update(dict.fromkeys(op.table for op in query.operations))
    names.update(dict.fromkeys(command.table for command in catalog.commands.values()))
    for transaction in catalog.transactions.values():
        names.update(dict.fromkeys(item.table for item in transaction.items))
    return list(names)


def physical_tables(catalog: Catalog, table_mapping: Mapping[str, str]) -> dict[str, str]:
    """Logical -> physical name of every logical table (section 15.6), computed once.

    ``table_mapping[logical]``, else the ``physicalName`` of the table's entities (MF014 makes
    them agree), else the logical name. A ``table_mapping`` key that is not a logical table
    raises :class:`ConfigurationError`.
    """
    logical = logical_tables(catalog)
    for name in table_mapping:
        if name not in logical:
            hint = did_you_mean(name, logical) or (
                "; logical tables: " + (", ".join(repr(t) for t in sorted(logical)) or "(none)")
            )
            raise ConfigurationError(f"table_mapping: unknown logical table {name!r}" + hint)
    declared: dict[str, str] = {}
    for entity in catalog.entities.values():
        physical = entity.meta.get("physicalName")
        if isinstance(physical, str) and physical:
            declared.setdefault(entity.table, physical)
    return {name: table_mapping.get(name) or declared.get(name) or name for name in logical}


def check_table_mapping(table_mapping: object) -> dict[str, str]:
    """A plain copy of a ``table_mapping`` argument, or :class:`ConfigurationError` (15.2)."""
    if table_mapping is None:
        return {}
    if not isinstance(table_mapping, Mapping):
        raise ConfigurationError(
            f"table_mapping must be None or a mapping of str to str, {received(table_mapping)}"
        )
    for key, value in table_mapping.items():
        if not isinstance(key, str):
            raise ConfigurationError(f"table_mapping: every key must be a str, {received(key)}")
        if not isinstance(value, str) or not value:
            raise ConfigurationError(
                f"table_mapping[{key!r}] must be a non-empty str (a physical table name), "
                f"{received(value)}"
            )
    return dict(table_mapping)
