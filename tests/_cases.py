"""Loading of the validation case files under tests/cases (format: tests/cases/README.md)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ._jsonpatch import apply_patch

TESTS = Path(__file__).parent
CASES = TESTS / "cases"
SPECS = TESTS / "specs"


@cache
def _base(name: str) -> dict[str, Any]:
    folder = SPECS / name
    return {
        "manifest": json.loads((folder / "manifest.json").read_text(encoding="utf-8")),
        "operations": json.loads((folder / "operations.json").read_text(encoding="utf-8")),
    }


@dataclass
class Case:
    id: str
    path: Path
    data: dict[str, Any]

    @property
    def strict(self) -> bool:
        return bool(self.data.get("strict", False))

    @property
    def unknown_fields(self) -> str:
        return str(self.data.get("unknown_fields", "error"))

    @property
    def expected(self) -> list[dict[str, Any]]:
        return list(self.data["expected"])

    def documents(self) -> dict[str, Any]:
        """{"manifest": doc-or-None, "operations": doc-or-None} (None when given as raw text)."""
        docs: dict[str, Any] = {"manifest": {}, "operations": {}}
        if "base" in self.data:
            docs = copy.deepcopy(_base(self.data["base"]))
        for name in ("manifest", "operations"):
            if name in self.data:
                docs[name] = copy.deepcopy(self.data[name])
        if "patch" in self.data:
            docs = apply_patch(docs, self.data["patch"])
        if self.data.get("swap"):
            docs = {"manifest": docs["operations"], "operations": docs["manifest"]}
        for name in ("manifest", "operations"):
            if f"{name}_text" in self.data:
                docs[name] = None
        return docs

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Write both documents as files named manifest.json / operations.json."""
        docs = self.documents()
        paths = []
        for name in ("manifest", "operations"):
            path = folder / f"{name}.json"
            if docs[name] is None:
                path.write_text(self.data[f"{name}_text"], encoding="utf-8")
            else:
                path.write_text(json.dumps(docs[name], indent=1), encoding="utf-8")
            paths.append(path)
        return paths[0], paths[1]


def all_cases() -> list[Case]:
    out = []
    for path in sorted(CASES.glob("*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out.append(Case(id=f"{path.parent.name}/{path.stem}", path=path, data=data))
    return out
