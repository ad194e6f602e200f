"""``graphddb-runtime`` command line: validate specs and print the shipped JSON Schemas.

    graphddb-runtime validate generated/manifest.json generated/operations.json [--strict]
                     [--unknown-fields error|warn] [--json]
    graphddb-runtime schema operations > operations.schema.json
    graphddb-runtime demo

``validate`` always runs the full JSON Schema validator (not only the cold-start fast path) and
prints every issue; it exits 0 when the spec loads, 1 when it does not, 2 on usage errors. An
unknown field fails like any error unless ``--unknown-fields warn`` (then it is an advisory,
which ``--strict`` still fails on).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .errors import ConfigurationError
from .spec import UNKNOWN_FIELDS, check_spec
from .spec._shape import load_schema

__all__ = ["main"]


def _validate(args: argparse.Namespace) -> int:
    try:
        issues, ctx = check_spec(
            args.manifest,
            args.operations,
            strict=args.strict,
            full_schema=True,
            unknown_fields=args.unknown_fields,
        )
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = ctx is None or any(args.strict or i.severity == "error" for i in issues)
    if args.json:
        payload = {
            "ok": not failed,
            "issues": [
                {
                    "rule": i.rule,
                    "severity": i.severity,
                    "file": i.file,
                    "pointer": i.pointer,
                    "message": i.message,
                }
                for i in issues
            ],
        }
        print(json.dumps(payload, indent=2))
    else:
        for issue in issues:
            print(f"{issue.severity:<9}{issue}")
        errors = sum(1 for i in issues if i.severity == "error")
        print(
            f"{'FAILED' if failed else 'OK'}: {errors} error(s), "
            f"{len(issues) - errors} advisory(ies)"
        )
    return 1 if failed else 0


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(load_schema(args.name), indent=2))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo  # noqa: PLC0415 - imports boto3 and moto only when asked

    return run_demo()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="graphddb-runtime", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check manifest.json and operations.json")
    validate.add_argument("manifest")
    validate.add_argument("operations")
    validate.add_argument(
        "--strict", action="store_true", help="advisories and unknown fields fail too"
    )
    validate.add_argument(
        "--unknown-fields",
        choices=UNKNOWN_FIELDS,
        default="error",
        help="an unknown field is an error (default) or an advisory (warn)",
    )
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.set_defaults(run=_validate)
    demo = commands.add_parser(
        "demo", help="run the worked example on an embedded DynamoDB (needs the demo extra)"
    )
    demo.set_defaults(run=_demo)
    schema = commands.add_parser("schema", help="print a shipped JSON Schema")
    schema.add_argument("name", choices=("manifest", "operations"))
    schema.set_defaults(run=_schema)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code
