"""The shipped documentation stays consistent with itself and with the code.

- Every section citation (``section 7.4``, ``sections 16 to 21 and 23``, ``docs/format.md 35-37,
  41``, ...) in the package, its JSON Schemas, the README, docs/, examples/, benchmarks/ and tests/
  names a heading of docs/format.md (``## N.`` or ``### N.M``). Citations of the format 1.2
  supplement's sections are written ``S3.2`` and so never look like one of these.
- No file names the internal spec by its old file name any more (CHANGELOG.md history aside),
  and the README links to docs/format.md.
- Every property and every ``$defs`` entry of both JSON Schemas has a ``description``.
- The README quickstart's two commands are the documented ones, and ``.ci/run`` runs its test
  command.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphddb_runtime.demo import run_demo
from graphddb_runtime.spec._shape import load_schema

ROOT = Path(__file__).resolve().parent.parent
FORMAT = ROOT / "docs" / "format.md"
TEXT_SUFFIXES = {".py", ".md", ".json", ".txt", ".toml", ".cfg", ".ini", ".yaml", ".yml", ""}
SKIPPED_DIRS = {"__pycache__", "build", "dist", "node_modules"}

_NUM = r"\d+(?:\.\d+)*"
# Between two numbers of one citation: ", ", ", and ", ", with ", " and ", " or ", "-", " to ".
_SEP = r"(?:\s*,\s*(?:and\s+|or\s+|with\s+)?|\s+(?:and|or|to)\s+|\s*[-\u2013]\s*)"
CITATION = re.compile(rf"(?:\b[Ss]ections?|docs/format\.md)\s+({_NUM}(?:{_SEP}{_NUM})*)")
_RANGE = re.compile(rf"({_NUM})(\s*[-\u2013]\s*|\s+to\s+)(?=({_NUM}))")


def cited_sections(text: str) -> Iterator[tuple[int, str, list[str]]]:
    """``(offset, citation, section numbers)`` for every citation in ``text``.

    A range of whole sections (``16 to 21``) stands for every section in it; a range of
    subsections (``12.1-12.3``) for its two ends.
    """
    for match in CITATION.finditer(text):
        numbers = re.findall(_NUM, match.group(1))
        for start, _, end in _RANGE.findall(match.group(1)):
            if "." not in start and "." not in end:
                numbers.extend(str(n) for n in range(int(start), int(end) + 1))
        yield match.start(), match.group(0), numbers


def headings() -> set[str]:
    text = FORMAT.read_text(encoding="utf-8")
    return set(re.findall(r"^## (\d+)\. ", text, re.MULTILINE)) | set(
        re.findall(r"^### (\d+\.\d+) ", text, re.MULTILINE)
    )


def _text_files(*roots: Path) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
            continue
        for path in sorted(root.rglob("*")):
            parts = path.relative_to(ROOT).parts[:-1]
            if any(
                p in SKIPPED_DIRS or p.startswith(".") or p.endswith(".egg-info") for p in parts
            ):
                continue
            if path.is_file() and path.suffix in TEXT_SUFFIXES:
                yield path


def citing_files() -> list[Path]:
    package = ROOT / "graphddb_runtime"
    return [
        *sorted(package.rglob("*.py")),
        *sorted(package.rglob("*.json")),
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
        *_text_files(ROOT / "examples", ROOT / "benchmarks", ROOT / "tests"),
    ]


def test_the_citation_pattern_reads_every_form_in_use() -> None:
    samples = {
        "(docs/format.md section 7.4)": ["7.4"],
        "Section 39.": ["39"],
        "sections 7.6, 8.5 and 11.": ["7.6", "8.5", "11"],
        "section 7.5, 7.6 or 19.3": ["7.5", "7.6", "19.3"],
        "sections 12.1-12.3 and 32": ["12.1", "12.3", "32"],
        "sections 24 to 28, 13.3 and 43.6": ["24", "28", "13.3", "43.6", "25", "26", "27"],
        "(docs/format.md 35-37, 41)": ["35", "37", "41", "36"],
        "sections 35 to 41, with 13, 15": ["35", "41", "13", "15", "36", "37", "38", "39", "40"],
        "section S3.2 of the supplement": [],
        "step 2, rule TP001": [],
    }
    for text, expected in samples.items():
        found = {n for _, _, numbers in cited_sections(text) for n in numbers}
        assert found == set(expected), text


def test_every_section_citation_names_a_heading_of_the_format_reference() -> None:
    known = headings()
    assert {"0", "1.1", "15.6", "43.6"} <= known
    unresolved, count = [], 0
    for path in citing_files():
        text = path.read_text(encoding="utf-8")
        for offset, citation, numbers in cited_sections(text):
            count += 1
            line = text.count("\n", 0, offset) + 1
            unresolved += [
                f"{path.relative_to(ROOT)}:{line}: {citation!r} cites {n}"
                for n in numbers
                if n not in known
            ]
    assert count > 400  # the pattern still finds the citations (about 600 today)
    assert not unresolved, "\n".join(unresolved)


def test_no_file_names_the_internal_spec_file() -> None:
    needle = "FORMAT" + ".md"  # spelled apart so this file does not match itself
    roots = [p for p in ROOT.iterdir() if p.name not in {"CHANGELOG.md", *SKIPPED_DIRS}]
    roots = [p for p in roots if not p.name.startswith(".") or p.name == ".ci"]
    roots = [p for p in roots if not (p / "pyvenv.cfg").exists()]
    offending = [
        str(path.relative_to(ROOT))
        for path in _text_files(*roots)
        if needle in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert offending == []


def test_the_readme_links_the_format_reference() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "[`docs/format.md`](docs/format.md)" in readme.split("\n## ", 1)[0]  # near the top
    development = readme.split("\n## Development\n", 1)[1]
    assert "(docs/format.md)" in development


def _undescribed(node: Any, pointer: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("properties", "$defs") and isinstance(value, dict):
                for name, sub in value.items():
                    where = f"{pointer}/{key}/{name}"
                    if not (isinstance(sub, dict) and isinstance(sub.get("description"), str)):
                        yield where
                    yield from _undescribed(sub, where)
            else:
                yield from _undescribed(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _undescribed(value, f"{pointer}/{index}")


@pytest.mark.parametrize("name", ["manifest", "operations"])
def test_every_schema_property_has_a_description(name: str) -> None:
    schema = load_schema(name)
    assert list(_undescribed(schema)) == []
    assert list(_undescribed({"properties": {"x": {"type": "string"}}})) == ["/properties/x"]
    described = json.dumps(schema)
    assert described.count('"description": "') > 20


def _quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return block.strip().splitlines()


def test_the_quickstart_runs_the_demo_with_the_demo_extra_then_the_tests() -> None:
    assert _quickstart_commands() == [
        "python3 -m venv .venv && .venv/bin/pip install -e '.[demo]'"
        " && .venv/bin/graphddb-runtime demo",
        ".venv/bin/pip install -e '.[dev]' && .venv/bin/python -m pytest",
    ]


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _quickstart_commands()[1].split(" && ")[-1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci
    assert any("install" in line and "-e '.[dev]'" in line for line in ci)


def test_the_demo_extra_is_the_embedded_dynamodb_only() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    assert extras["demo"] == ["moto[dynamodb]>=5.0"]
    assert "moto[server]>=5.0" in extras["dev"]  # the HTTP integration tests need the server


def test_without_moto_the_demo_names_the_demo_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)  # import moto now raises ImportError
    lines: list[str] = []
    assert run_demo(lines.append) == 2
    assert lines == ["the demo needs moto: pip install 'graphddb-runtime[demo]'"]
