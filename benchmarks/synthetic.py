"""A synthetic graphddb spec of a given number of operations, shaped like generator output.

``build(operations=500)`` returns ``(manifest, operations)`` documents that load with no issue in
strict mode: entities with key and GSI templates and datetime fields; single-op GetItem and
Query reads with range conditions and filters; three-op relation queries with an executionPlan;
Put/Update/Delete commands with conditions; forEach transactions with when guards, ADD counters
and uniqueness markers; and query/command contracts. Used by the load benchmark and its tests.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["build", "write"]


def _entity(i: int) -> dict[str, Any]:
    return {
        "table": "AppTable",
        "key": {"pkTemplate": f"E{i}#{{id}}", "skTemplate": f"META{i}"},
        "gsis": [
            {
                "indexName": "GSI1",
                "pkTemplate": f"E{i}BY#{{ownerId}}",
                "skTemplate": f"E{i}#{{id}}",
                "inputFields": ["ownerId", "id"],
            },
        ],
        "fields": {
            "id": {"type": "string"},
            "ownerId": {"type": "string"},
            "name": {"type": "string"},
            "status": {"type": "string"},
            "count": {"type": "number"},
            "createdAt": {"type": "string", "format": "datetime"},
        },
    }


def _child(i: int) -> dict[str, Any]:
    return {
        "table": "AppTable",
        "key": {"pkTemplate": f"E{i}#{{parentId}}", "skTemplate": f"C{i}#{{id}}"},
        "fields": {
            "parentId": {"type": "string"},
            "id": {"type": "string"},
            "role": {"type": "string"},
            "joinedAt": {"type": "string", "format": "datetime"},
        },
    }


def _params(*names: str) -> dict[str, Any]:
    return {n: {"type": "string", "required": True} for n in names}


def build(operations: int = 500) -> tuple[dict[str, Any], dict[str, Any]]:
    entity_count = max(1, operations // 10)
    entities = {}
    for i in range(entity_count):
        entities[f"Entity{i}Model"] = _entity(i)
        entities[f"Child{i}Model"] = _child(i)
    queries: dict[str, Any] = {}
    commands: dict[str, Any] = {}
    transactions: dict[str, Any] = {}
    contracts: dict[str, Any] = {}
    kinds = ("get", "list", "tree", "put", "update", "delete", "tx", "get", "list", "put")
    for n in range(operations):
        i = n % entity_count
        kind = kinds[n % len(kinds)]
        if kind == "get":
            queries[f"get{n}"] = {
                "params": _params("id"),
                "cardinality": "one",
                "operations": [
                    {
                        "type": "GetItem",
                        "tableName": "AppTable",
                        "keyCondition": {"PK": f"E{i}#{{id}}", "SK": f"META{i}"},
                        "projection": ["id", "ownerId", "name", "status", "createdAt"],
                    }
                ],
            }
            contracts[f"ById{n}"] = {
                "kind": "query",
                "methods": {
                    "get": {"operation": f"get{n}", "resolution": "point", "inputArity": "either"}
                },
            }
        elif kind == "list":
            queries[f"list{n}"] = {
                "params": {**_params("ownerId"), "minCount": {"type": "number"}},
                "operations": [
                    {
                        "type": "Query",
                        "tableName": "AppTable",
                        "indexName": "GSI1",
                        "keyCondition": {"GSI1PK": f"E{i}BY#{{ownerId}}"},
                        "rangeCondition": {
                            "operator": "begins_with",
                            "key": "GSI1SK",
                            "value": f"E{i}#",
                        },
                        "filter": {
                            "declarative": {
                                "status": {"in": ["active", "pending"]},
                                "count": {"ge": {"$param": "minCount"}},
                            }
                        },
                        "projection": ["id", "name", "status", "count", "createdAt"],
                        "limit": 50,
                    }
                ],
            }
        elif kind == "tree":
            queries[f"tree{n}"] = {
                "params": _params("id"),
                "cardinality": "one",
                "operations": [
                    {
                        "type": "GetItem",
                        "tableName": "AppTable",
                        "keyCondition": {"PK": f"E{i}#{{id}}", "SK": f"META{i}"},
                        "projection": ["id", "ownerId", "name"],
                    },
                    {
                        "type": "Query",
                        "tableName": "AppTable",
                        "keyCondition": {"PK": f"E{i}#{{result.id}}"},
                        "rangeCondition": {
                            "operator": "begins_with",
                            "key": "SK",
                            "value": f"C{i}#",
                        },
                        "projection": ["parentId", "id", "role", "joinedAt"],
                        "limit": 25,
                        "resultPath": "$.children.items",
                        "sourceField": "id",
                    },
                    {
                        "type": "BatchGetItem",
                        "tableName": "AppTable",
                        "keyCondition": {"PK": f"E{i}#{{result.id}}", "SK": f"META{i}"},
                        "projection": ["id", "name"],
                        "resultPath": "$.children.items.detail",
                        "sourceField": "id",
                    },
                ],
                "executionPlan": {"groups": [[0], [1], [2]], "concurrency": 8},
            }
        elif kind == "put":
            commands[f"put{n}"] = {
                "type": "PutItem",
                "tableName": "AppTable",
                "entity": f"Entity{i}Model",
                "params": {
                    **_params("id", "ownerId", "name", "createdAt"),
                    "count": {"type": "number", "required": True},
                },
                "item": {
                    "id": "{id}",
                    "ownerId": "{ownerId}",
                    "name": "{name}",
                    "status": "active",
                    "count": "{count}",
                    "createdAt": "{createdAt}",
                },
                "condition": {"kind": "notExists"},
            }
        elif kind == "update":
            commands[f"update{n}"] = {
                "type": "UpdateItem",
                "tableName": "AppTable",
                "entity": f"Entity{i}Model",
                "params": {**_params("id", "status"), "version": {"type": "number"}},
                "keyCondition": {"PK": f"E{i}#{{id}}", "SK": f"META{i}"},
                "changes": {"status": "{status}"},
                "condition": {
                    "kind": "expr",
                    "declarative": {
                        "and": [
                            {"status": {"ne": "deleted"}},
                            {"count": {"lt": {"$param": "version"}}},
                        ]
                    },
                },
            }
        elif kind == "delete":
            commands[f"delete{n}"] = {
                "type": "DeleteItem",
                "tableName": "AppTable",
                "entity": f"Entity{i}Model",
                "params": _params("id"),
                "keyCondition": {"PK": f"E{i}#{{id}}", "SK": f"META{i}"},
                "condition": {"kind": "attributeExists", "field": "PK"},
            }
            contracts[f"Commands{n}"] = {
                "kind": "command",
                "methods": {
                    "remove": {
                        "single": {"mode": "op", "operation": f"delete{n}"},
                        "batch": {"mode": "parallel", "operation": f"delete{n}"},
                    }
                },
            }
        else:
            transactions[f"tx{n}"] = {
                "params": {
                    **_params("id", "joinedAt"),
                    "members": {
                        "type": "array",
                        "required": True,
                        "element": {
                            "userId": {"type": "string", "required": True},
                            "role": {"type": "string", "required": True},
                        },
                    },
                },
                "maxItems": 50,
                "items": [
                    {
                        "type": "Put",
                        "tableName": "AppTable",
                        "entity": f"Child{i}Model",
                        "forEach": {"source": "members"},
                        "when": {"left": "{item.role}", "op": "ne", "right": ""},
                        "item": {
                            "parentId": "{id}",
                            "id": "{item.userId}",
                            "role": "{item.role}",
                            "joinedAt": "{joinedAt}",
                        },
                        "condition": {"kind": "notExists"},
                    },
                    {
                        "type": "Update",
                        "tableName": "AppTable",
                        "entity": f"Entity{i}Model",
                        "forEach": {"source": "members"},
                        "keyCondition": {"PK": f"E{i}#{{id}}", "SK": f"META{i}"},
                        "add": {"count": "1"},
                    },
                    {
                        "type": "Put",
                        "tableName": "AppTable",
                        "entity": "__marker__",
                        "literalKey": True,
                        "item": {"PK": f"UNIQUE#e{i}#{{id}}", "SK": "VALUE#{joinedAt}"},
                        "condition": {"kind": "attributeNotExists", "field": "PK"},
                    },
                ],
            }
    manifest = {"entities": entities}
    ops = {
        "queries": queries,
        "commands": commands,
        "transactions": transactions,
        "contracts": contracts,
    }
    return manifest, ops


def write(folder: Path, operations: int = 500) -> tuple[Path, Path]:
    manifest, ops = build(operations)
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / "manifest.json", folder / "operations.json")
    for path, doc in zip(paths, (manifest, ops), strict=True):
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return paths


if __name__ == "__main__":
    out = write(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 500)
    print(*out)
