"""The ``{name}`` template language, parsed once (FORMAT.md section 5).

A :class:`Template` is immutable; :func:`parse_template` caches by text because generated specs
repeat the same templates many times. Resolution (typed and text) lives with the executor; this
module only knows the syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["PLACEHOLDER_RE", "Template", "normalize", "parse_template"]

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
