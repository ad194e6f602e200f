"""Did-you-mean suggestions for unknown names (spec rules and catalog look-ups)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(name: object, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` naming the closest candidates, or ``""`` when none is close."""
    if not isinstance(name, str):
        return ""
    import difflib  # noqa: PLC0415 - only on an error path: 0.5 ms off every cold start

    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.75)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
