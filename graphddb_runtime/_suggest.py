"""Error-message helpers: did-you-mean for unknown names, and what a rejected value was."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["did_you_mean", "received", "short"]


def did_you_mean(name: object, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` naming the closest candidates, or ``""`` when none is close."""
    if not isinstance(name, str):
        return ""
    import difflib  # noqa: PLC0415 - only on an error path: 0.5 ms off every cold start

    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.75)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"


def short(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters (ending ``...``). Never raises: an int too
    long for ``repr`` (Python's int/str conversion limit) is shown by its size."""
    try:
        shown = repr(value)
    except ValueError:  # an int beyond sys.get_int_max_str_digits()
        size = value.bit_length() if isinstance(value, int) else 0
        shown = f"<{size}-bit integer>"
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def received(value: object) -> str:
    """``"got str '10'"``: the type and a :func:`short` repr of a rejected value."""
    return f"got {type(value).__name__} {short(value)}"
