"""Same-row writes that cannot be collapsed: the error that says where and how (sections 27, 21.2).

Both collapses (transaction items, section 27; BatchWriteItem requests, section 21.2) keep one of
several writes of a row only when they are identical, compared as encoded AttributeValues (so
``{"N": "-0.0"}`` and ``{"N": "0.0"}`` differ). When they are not, the error names the writes
(``items[0] (element 1)``, or ``keys[3]`` in a contract batch), the row, and the first
difference. These helpers run on the error path only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import Origin, TransactionCollapseError

__all__ = ["collapse_error", "item_difference", "show", "where"]

_LONG = 60


def where(origin: Origin) -> str:
    """``items[<i>]``, ``items[<i>] (element <e>)`` or, for a contract batch, ``keys[<k>]``."""
    spec_item, element = origin
    if spec_item is None:
        return f"keys[{element}]"
    return f"items[{spec_item}]" if element is None else f"items[{spec_item}] (element {element})"


def show(av: Any) -> str:
    """An AttributeValue as a message shows it: ``N '5'``, ``S 'text'``, cut when long."""
    if isinstance(av, Mapping) and len(av) == 1:
        ((kind, value),) = av.items()
        text = f"{kind} {value!r}"
    else:
        text = repr(av)
    return text if len(text) <= _LONG else text[: _LONG - 3] + "..."


def _key_text(key: Mapping[str, Any]) -> str:
    parts = []
    for attr, av in key.items():
        if isinstance(av, Mapping) and len(av) == 1 and ("S" in av or "N" in av):
            value = repr(av["S"]) if "S" in av else str(av["N"])
        else:
            value = show(av)
        parts.append(f"{attr}={value}")
    return ", ".join(parts)


def item_difference(
    first: Mapping[str, Any], second: Mapping[str, Any], names: tuple[str, str]
) -> str | None:
    """The first attribute in which two Items differ (``names`` are the two writes), or None."""
    for attr, av in first.items():
        if attr not in second:
            return f"attribute {attr!r} is only in {names[0]}"
        if second[attr] != av:
            return f"attribute {attr!r} differs ({show(av)} vs {show(second[attr])})"
    for attr in second:
        if attr not in first:
            return f"attribute {attr!r} is only in {names[1]}"
    return None


def collapse_error(  # noqa: PLR0917 - private, every argument is part of the message
    op_id: str,
    headline: str,
    pair: tuple[Origin, Origin],
    detail: str,
    origins: Sequence[Origin],
    target: tuple[str, Mapping[str, Any]],
) -> TransactionCollapseError:
    """``"<id>: <headline>: <first> and <second> (table '<t>', key <k>); <detail>"``."""
    table, key = target
    message = (
        f"{op_id}: {headline}: {where(pair[0])} and {where(pair[1])} "
        f"(table {table!r}, key {_key_text(key)}); {detail}"
    )
    return TransactionCollapseError(
        message, items=origins, target={"table": table, "key": dict(key)}
    )
