"""Writes ``_inits.py``: ``python -m graphddb_runtime._initsgen`` after changing a dataclass.

Every fast dataclass (``_dataclass.py``) records its ``__init__`` source when its module is
imported; this imports every module of the package and writes those sources as functions, so the
interpreter compiles them once into ``__pycache__`` instead of at every import.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from . import _dataclass

__all__ = ["main", "render"]

HEADER = '''"""Precompiled ``__init__`` code of the package's dataclasses (see ``_dataclass.py``).

Do not edit: run ``python -m graphddb_runtime._initsgen`` after changing a dataclass.
A test fails when this file is stale. The names these bodies use (``_setattr``, ``_FACTORY``,
``_f_<field>``) are the globals ``_dataclass`` gives each ``__init__``; this module only holds code.
"""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

from typing import Any
'''


def render() -> str:
    """The text of ``_inits.py`` for every fast class of the package."""
    package = importlib.import_module(__package__ or "graphddb_runtime")
    for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    lines, table = [HEADER], []
    for number, (qualname, source) in enumerate(sorted(_dataclass.SOURCES.items())):
        lines += ["", f"# {qualname}", source.replace("def __init__(", f"def _{number}(", 1), ""]
        table.append(f"    {qualname!r}: ({_dataclass.digest(source)!r}, _{number}),")
    lines += ["", "INITS: dict[str, tuple[str, Any]] = {", *table, "}", ""]
    return "\n".join(lines)


def main() -> None:
    """Write ``_inits.py`` next to this module."""
    path = Path(__file__).with_name("_inits.py")
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path} ({len(_dataclass.SOURCES)} classes)")


if __name__ == "__main__":
    main()
