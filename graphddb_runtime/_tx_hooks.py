"""``execute_transaction`` with middleware (FORMAT.md section 40)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .middleware import WriteRuntime

if TYPE_CHECKING:
    from ._reads import Engine

__all__ = ["execute_transaction"]


def execute_transaction(
    engine: Engine,
    transaction_id: object,
    params: object,
    options: object,
    client_request_token: object,
    *,
    hooks: WriteRuntime,
) -> None:
    raise NotImplementedError("transaction hooks (section 40) land with the next commit")
