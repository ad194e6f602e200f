"""Generated Python source: the emitter shared by the transaction compilers.

The technique is the one :mod:`dataclasses` uses for ``__init__``: write a specialised function
as source text, ``exec`` it once, call it many times. One rule keeps it safe: **no spec string
ever becomes source text.** Every attribute name, template, literal and helper reaches the
generated code as a global of the function's namespace (``_k3``, ``_t1``, ``_serialize``);
the source contains only identifiers made from counters and fixed Python.

:func:`Source.build` registers the text with :mod:`linecache`, so tracebacks through generated
code show its lines; :meth:`Source.listing` (see ``transactions.items.source_of``) prints the code
with
its constants, for debugging.
"""

from __future__ import annotations

import hashlib
import linecache
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from types import CodeType
from typing import Any

__all__ = ["Source"]


@lru_cache(maxsize=1024)
def _code(text: str) -> CodeType:
    """Compiled once per distinct source (runtimes built from one spec share them)."""
    digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]
    filename = f"<graphddb-generated {digest}>"
    # mtime None: linecache.checkcache keeps the entry (the file does not exist on disk).
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    return compile(text, filename, "exec")


class Source:
    """Lines of one generated module and the globals it runs with."""

    def __init__(self, helpers: dict[str, Any]) -> None:
        self.namespace: dict[str, Any] = dict(helpers)
        self._helpers = frozenset(helpers)
        self.lines: list[str] = []
        self.depth = 0
        self._constants: dict[tuple[type, str, Any], str] = {}
        self._counters: dict[str, int] = {}

    def const(self, value: Any, prefix: str = "_k") -> str:
        """The global name under which the generated code sees ``value``.

        Values are shared only when they are the same constant: equal, of the same type and
        with the same ``repr``, so ``-0.0`` and ``0.0`` (or ``Decimal("1.0")`` and
        ``Decimal("1")``, ``(1,)`` and ``(True,)``), which are equal, each keep their own.
        """
        try:
            key = (type(value), repr(value), value)
            known = self._constants.get(key)
        except TypeError:  # unhashable (a list literal): never shared
            key, known = None, None
        if known is not None:
            return known
        name = self.local(prefix)
        self.namespace[name] = value
        if key is not None:
            self._constants[key] = name
        return name

    def local(self, prefix: str) -> str:
        """A fresh identifier: ``prefix`` plus a counter (``prefix`` is always ours)."""
        n = self._counters.get(prefix, 0)
        self._counters[prefix] = n + 1
        return f"{prefix}{n}"

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        """``header`` (ending with ``:``) and an indented body."""
        self.emit(header)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def build(self, name: str) -> Callable[..., Any]:
        """Execute the source and return the function it defines as ``name``."""
        # Safe to execute: spec strings are never part of the source (module docstring).
        exec(_code(self.text), self.namespace)
        function: Callable[..., Any] = self.namespace[name]
        return function

    def listing(self) -> str:
        """The source, then every constant it refers to (helpers excluded), for debugging."""
        shown = [self.text.rstrip("\n"), ""]
        for name, value in self.namespace.items():
            if name not in self._helpers and not name.startswith("__") and not callable(value):
                shown.append(f"# {name} = {value!r}")
        return "\n".join(shown) + "\n"
