"""The ``{name}`` template language (docs/format.md section 5): parsed once, resolved per call.

A :class:`Template` is immutable; :func:`parse_template` caches by text because generated specs
repeat the same templates many times. :func:`resolve` keeps a whole placeholder's type (a number
stays a number) and renders mixed templates with JS-compatible :func:`text`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Context, Decimal
from functools import lru_cache
from typing import Any, Protocol

from .._dataclass import dataclass
from ..errors import ParameterValidationError, UnboundParameterError
from .avrules import number_reason
from .datetimes import date_text, datetime_text

__all__ = [
    "PLACEHOLDER_RE",
    "Bindings",
    "Env",
    "Template",
    "normalize",
    "parse_template",
    "render",
    "resolve",
    "text",
]

PLACEHOLDER_RE = re.compile(r"\{([^{}]+)\}")

#: Stands for any placeholder when templates are compared (entity inference, continuations).
WILDCARD = "\x00*\x00"


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    """A parsed template string.

    ``literals`` has one more element than ``names``: the text is
    ``literals[0] + {names[0]} + literals[1] + ... + literals[-1]``.
    """

    text: str
    literals: tuple[str, ...]
    names: tuple[str, ...]
    whole: bool  # exactly one placeholder and nothing else: typed resolution

    @property
    def is_literal(self) -> bool:
        return not self.names

    @property
    def prefix(self) -> str:
        """Literal text before the first placeholder (the whole text for a literal)."""
        return self.literals[0]


@lru_cache(maxsize=8192)
def parse_template(text: str) -> Template:
    literals: list[str] = []
    names: list[str] = []
    pos = 0
    for match in PLACEHOLDER_RE.finditer(text):
        literals.append(text[pos : match.start()])
        names.append(match.group(1))
        pos = match.end()
    literals.append(text[pos:])
    whole = len(names) == 1 and literals[0] == "" and literals[1] == ""
    return Template(text=text, literals=tuple(literals), names=tuple(names), whole=whole)


@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """The template with every placeholder replaced by one wildcard token."""
    return PLACEHOLDER_RE.sub(WILDCARD, text)


# --- resolution (section 5.3) -----------------------------------------------------------------


class Bindings:
    """Name lookup for one template environment (section 5.2).

    ``{result.f}`` binds the parent record of a relation op, ``{item.f}`` the current forEach
    element, anything else the caller params. A value of ``None`` counts as unbound.
    """

    __slots__ = ("element", "params", "parent")

    def __init__(
        self,
        params: Mapping[str, Any],
        *,
        parent: Mapping[str, Any] | None = None,
        element: Mapping[str, Any] | None = None,
    ) -> None:
        self.params = params
        self.parent = parent
        self.element = element

    def get(self, name: str) -> Any:
        if self.parent is not None and name.startswith("result."):
            return self.parent.get(name[7:])
        if self.element is not None and name.startswith("item."):
            return self.element.get(name[5:])
        return self.params.get(name)


class Env(Protocol):
    """Anything that looks names up: a params mapping, :class:`Bindings`, a derivation."""

    def get(self, name: str, /) -> Any: ...


def unbound(op_id: str, template: Template, name: str) -> UnboundParameterError:
    return UnboundParameterError(
        f"{op_id}: template '{template.text}' references unbound parameter '{name}'"
    )


def resolve(template: Template, env: Env, op_id: str) -> Any:
    """Typed resolution for a whole placeholder, text resolution for a mixed template."""
    names = template.names
    if not names:
        return template.text
    if template.whole:
        value = env.get(names[0])
        if value is None:
            raise unbound(op_id, template, names[0])
        return value
    return render(template, env, op_id)


def render(template: Template, env: Env, op_id: str) -> str:
    """Text resolution: every placeholder replaced by ``text(value)`` (section 5.4)."""
    literals = template.literals
    out = [literals[0]]
    for i, name in enumerate(template.names):
        value = env.get(name)
        if value is None:
            raise unbound(op_id, template, name)
        out.append(value if type(value) is str else text(value, op_id=op_id, template=template))
        out.append(literals[i + 1])
    return "".join(out)


#: Normalizes any DynamoDB number exactly (at most 38 significant digits).
_NUMBERS = Context(prec=38)


def text(value: Any, *, op_id: str, template: Template | None = None) -> str:
    """JS-compatible text of a value (section 5.4); a number must be a DynamoDB number."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not -(10**38) < value < 10**38:  # str() of a huge int would raise ValueError
            _storable(value, op_id, template)
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        _storable(value, op_id, template)
        return _float_text(value)
    if isinstance(value, Decimal) and value.is_finite():
        _storable(value, op_id, template)
        return "0" if value.is_zero() else format(value.normalize(_NUMBERS), "f")
    if isinstance(value, datetime):
        return datetime_text(value)
    if isinstance(value, date):
        return date_text(value)
    raise ParameterValidationError(
        f"{op_id}: cannot render {type(value).__name__}{_into(template)}"
    )


def _into(template: Template | None) -> str:
    return f" into template '{template.text}'" if template is not None else ""


def _storable(value: int | float | Decimal, op_id: str, template: Template | None) -> None:
    reason = number_reason(value)
    if reason is not None:
        raise ParameterValidationError(
            f"{op_id}: cannot render {type(value).__name__}{_into(template)}: {reason}"
        )


def _float_text(x: float) -> str:
    """ECMAScript Number.prototype.toString for a finite float (section 5.4)."""
    if x == 0:
        return "0"
    if x < 0:
        return "-" + _float_text(-x)
    # The shortest round-trip digits, as x = 0.<s> * 10**n.
    _, digits, exponent = Decimal(repr(x)).as_tuple()
    s = "".join(map(str, digits)).lstrip("0")
    stripped = s.rstrip("0")
    assert isinstance(exponent, int)
    n = len(s) + exponent
    s, k = stripped, len(stripped)
    if k <= n <= 21:
        return s + "0" * (n - k)
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + s
    e = n - 1
    return (s if k == 1 else s[0] + "." + s[1:]) + "e" + (f"+{e}" if e >= 0 else f"-{-e}")
