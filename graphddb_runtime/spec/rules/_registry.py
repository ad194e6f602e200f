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


RULES: list[Rule] = []


def rule(*ids: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES.append(Rule(ids, check))
        return check

    return register
