"""The rule table: ``@rule("QY007")`` registers a checker under its ids."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..._dataclass import dataclass
from ...errors import SpecIssue
from .._context import Context

__all__ = ["RULES", "Check", "Rule", "rule"]

Check = Callable[[Context], Iterator[SpecIssue]]


@dataclass(frozen=True, slots=True)
class Rule:
    ids: tuple[str, ...]
    check: Check
    strict_only: bool = False  # LD003: unknown fields are reported only under strict=True


RULES: list[Rule] = []


def rule(*ids: str, strict_only: bool = False) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES.append(Rule(ids, check, strict_only))
        return check

    return register
