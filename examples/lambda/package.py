"""Build the Lambda deployment package (``function.zip``) of the worked example.

    python examples/lambda/package.py --out build/function.zip
    python examples/lambda/package.py --out build/function.zip \\
        --platform manylinux2014_x86_64 --python-version 3.12      # for a real deployment

The zip holds, at its root: ``handler.py``, ``generated/{manifest,operations}.json`` (from
``examples/generated``), the ``graphddb_runtime`` package from this source tree, and its runtime
dependency ``jsonschema`` with jsonschema's own dependencies. boto3 and botocore are not vendored:
the Lambda Python runtime provides them.

By default the dependencies are copied from the distributions installed in the running
interpreter's environment (found with ``importlib.metadata``), so the zip works only on a Lambda
runtime of the same Python version and platform (``rpds-py`` is compiled). ``--platform`` instead
runs ``pip install --target`` for that platform and Python version (this needs the network).

Python files are also compiled to ``__pycache__/*.pyc`` (unchecked hash-based, for the running
interpreter's version; a different version ignores them): ``/var/task`` is read-only, so without
them every cold start compiles every module from source. Entries are sorted and carry a fixed
timestamp, so the same inputs give the same zip.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import py_compile
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PACKAGE = ROOT / "graphddb_runtime"
GENERATED = ROOT / "examples" / "generated"
DEPENDENCY = "jsonschema"
#: Provided by the Lambda Python runtime: never vendored, and not followed as dependencies.
PROVIDED = frozenset({"boto3", "botocore"})
EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest timestamp a zip entry can carry
#: Subpackages of the dependencies that nothing imports at run time.
UNUSED = frozenset({"tests", "benchmarks"})


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wanted(requirement: str) -> str | None:
    """The distribution name a ``Requires-Dist`` line needs here, or ``None``."""
    name, _, marker = requirement.partition(";")
    if marker:
        if "extra" in marker:
            return None
        try:
            from packaging.markers import Marker  # noqa: PLC0415 (optional)
        except ImportError:  # without packaging, keep it: an unneeded extra file is harmless
            pass
        else:
            if not Marker(marker).evaluate():
                return None
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", name)
    return _normalize(match.group(1)) if match else None


def installed_closure(root: str) -> list[importlib.metadata.Distribution]:
    """``root`` and everything it needs, as installed in this environment (minus PROVIDED)."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = [_normalize(root)]
    while pending:
        name = pending.pop()
        if name in found or name in PROVIDED:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise SystemExit(f"{name} is not installed in this environment") from None
        found[name] = dist
        pending.extend(w for r in dist.requires or () if (w := _wanted(r)) is not None)
    return [found[n] for n in sorted(found)]


def _skipped(parts: tuple[str, ...]) -> bool:
    return "__pycache__" in parts or parts[-1].endswith(".pyc")


def _unused(arcname: str) -> bool:
    parts = arcname.split("/")
    return len(parts) > 2 and parts[1] in UNUSED


def distribution_files(dist: importlib.metadata.Distribution) -> Iterator[tuple[str, Path]]:
    """(name in the zip, file on disk) for every installed file of ``dist`` in site-packages."""
    if dist.files is None:
        raise SystemExit(f"{dist.metadata['Name']}: no RECORD, cannot list its files")
    for file in dist.files:
        # Console scripts are recorded outside site-packages, as "../../bin/<name>".
        if file.parts[0] == ".." or _skipped(file.parts) or _unused(file.as_posix()):
            continue
        yield file.as_posix(), Path(str(dist.locate_file(file)))


def tree_files(folder: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    """(name in the zip, file on disk) for every file under ``folder``, without bytecode."""
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if path.is_file() and not _skipped(relative.parts):
            yield f"{prefix}{relative.as_posix()}", path


def pip_target_files(platform: str, python_version: str, target: Path) -> list[tuple[str, Path]]:
    """Install DEPENDENCY for a Lambda platform into ``target`` with pip (needs the network)."""
    version = importlib.metadata.version(DEPENDENCY)
    command = [
        *(sys.executable, "-m", "pip", "install", "--quiet", "--no-compile"),
        *("--target", str(target), "--platform", platform, "--implementation", "cp"),
        *("--python-version", python_version, "--only-binary=:all:"),
        f"{DEPENDENCY}=={version}",
    ]
    subprocess.run(command, check=True)
    files = tree_files(target, "")
    return [(a, p) for a, p in files if not a.startswith("bin/") and not _unused(a)]


def _bytecode(arcname: str, source: Path, scratch: Path) -> tuple[str, bytes]:
    cfile = scratch / "module.pyc"
    py_compile.compile(
        str(source),
        cfile=str(cfile),
        dfile=arcname,
        doraise=True,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    folder, _, name = arcname.rpartition("/")
    cached = f"__pycache__/{name[:-3]}.{sys.implementation.cache_tag}.pyc"
    return f"{folder}/{cached}" if folder else cached, cfile.read_bytes()


def _write_zip(out: Path, entries: Iterable[tuple[str, bytes]]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for arcname, data in sorted(entries):
            info = zipfile.ZipInfo(arcname, date_time=EPOCH)
            info.external_attr = 0o644 << 16  # rw-r--r--: readable by the Lambda runtime user
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def build(
    out: Path,
    *,
    platform: str | None = None,
    python_version: str | None = None,
    compile_bytecode: bool = True,
) -> Path:
    """Write the deployment zip to ``out`` and return it."""
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        files = [
            ("handler.py", HERE / "handler.py"),
            ("generated/manifest.json", GENERATED / "manifest.json"),
            ("generated/operations.json", GENERATED / "operations.json"),
            *tree_files(PACKAGE, "graphddb_runtime/"),
        ]
        if platform is None:
            files += [f for d in installed_closure(DEPENDENCY) for f in distribution_files(d)]
        else:
            target = scratch / "target"
            files += pip_target_files(platform, python_version or current, target)
        counts = Counter(arcname for arcname, _ in files)
        duplicates = sorted(n for n, count in counts.items() if count > 1)
        if duplicates:
            raise SystemExit(f"two files for one zip entry: {duplicates}")
        entries = [(arcname, path.read_bytes()) for arcname, path in files]
        if compile_bytecode and (python_version or current) == current:
            entries += [_bytecode(a, p, scratch) for a, p in files if a.endswith(".py")]
        _write_zip(out, entries)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/function.zip"))
    parser.add_argument(
        "--platform",
        help="pip platform tag of the Lambda architecture, e.g. manylinux2014_x86_64 or "
        "manylinux2014_aarch64 (downloads jsonschema and its dependencies for it)",
    )
    parser.add_argument(
        "--python-version",
        help="Python version of the Lambda runtime, e.g. 3.12 (default: this interpreter's)",
    )
    parser.add_argument("--no-compile", action="store_true", help="do not add .pyc files")
    args = parser.parse_args(argv)
    if args.python_version and not args.platform:
        parser.error("--python-version needs --platform (local copies match this interpreter)")
    out = build(
        args.out,
        platform=args.platform,
        python_version=args.python_version,
        compile_bytecode=not args.no_compile,
    )
    with zipfile.ZipFile(out) as archive:
        infos = archive.infolist()
    unpacked = sum(i.file_size for i in infos)
    print(
        f"wrote {out}: {len(infos)} files, {out.stat().st_size / 1024:.0f} KiB "
        f"({unpacked / 1024:.0f} KiB unpacked)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
