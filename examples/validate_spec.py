"""Load the worked example once, the way a Lambda handler does at module scope, and show what
the runtime derived from it; then show how a broken spec is reported.

    python examples/validate_spec.py
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from graphddb_runtime import GraphDDBRuntime, SpecError

GENERATED = Path(__file__).resolve().parent / "generated"


def main() -> None:
    runtime = GraphDDBRuntime(
        None,  # the DynamoDB client; construction never calls it
        GENERATED / "manifest.json",
        GENERATED / "operations.json",
        table_mapping={"AppTable": "app-prod"},
        strict=True,
    )
    print(f"loaded with {len(runtime.spec_issues)} advisory issue(s)")

    operations = json.loads((GENERATED / "operations.json").read_text(encoding="utf-8"))
    broken = copy.deepcopy(operations)
    broken["queries"]["getUser"]["operations"][0]["keyCondition"]["PK"] = "USER#{userID}"
    broken["commands"]["createUser"]["entity"] = "UserModle"
    try:
        GraphDDBRuntime(None, GENERATED / "manifest.json", broken)
    except SpecError as exc:
        print(exc)


if __name__ == "__main__":
    main()
