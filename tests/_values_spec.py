"""A small spec whose keys are built from ``datetime`` / ``date`` fields, and a recording client.

Used by the value tests (``test_values.py``, ``test_value_limits.py``) and the property suite.
``EventModel`` rows live at ``TENANT#<tenantId>`` / ``AT#<at>`` (``at``: format datetime) and are
indexed by day (``day``: format date) on GSI1; ``TenantModel`` rows carry a ``createdAt``.
"""

from __future__ import annotations

import copy
from typing import Any

from graphddb_runtime import GraphDDBRuntime

from ._fake_dynamo import Recorder

__all__ = ["EVENT", "EVENT_ITEM", "MANIFEST", "OPERATIONS", "Recorder", "events_runtime"]

S = {"type": "string", "required": True}
N = {"type": "number", "required": True}
PROJECTION = ["tenantId", "at", "day", "note", "score"]

MANIFEST: dict[str, Any] = {
    "entities": {
        "TenantModel": {
            "table": "Events",
            "key": {"pkTemplate": "TENANT#{tenantId}", "skTemplate": "META"},
            "fields": {
                "tenantId": {"type": "string"},
                "createdAt": {"type": "string", "format": "datetime"},
            },
        },
        "EventModel": {
            "table": "Events",
            "key": {"pkTemplate": "TENANT#{tenantId}", "skTemplate": "AT#{at}"},
            "gsis": [
                {
                    "indexName": "GSI1",
                    "pkTemplate": "DAY#{day}",
                    "skTemplate": "AT#{at}",
                    "inputFields": ["day", "at"],
                }
            ],
            "fields": {
                "tenantId": {"type": "string"},
                "at": {"type": "string", "format": "datetime"},
                "day": {"type": "string", "format": "date"},
                "note": {"type": "string"},
                "score": {"type": "number"},
            },
        },
    }
}


def _get_event(extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "params": {"tenantId": S, "at": S},
        "cardinality": "one",
        "operations": [
            {
                "type": "GetItem",
                "tableName": "Events",
                "entity": "EventModel",
                "keyCondition": {"PK": "TENANT#{tenantId}", "SK": "AT#{at}"},
                "projection": PROJECTION,
            },
            *(extra or []),
        ],
    }


OPERATIONS: dict[str, Any] = {
    "queries": {
        "getEvent": _get_event(),
        "getEventWithTenant": _get_event(
            [
                {
                    "type": "BatchGetItem",
                    "tableName": "Events",
                    "entity": "TenantModel",
                    "keyCondition": {"PK": "TENANT#{result.tenantId}", "SK": "META"},
                    "projection": ["tenantId", "createdAt"],
                    "resultPath": "$.tenant",
                    "sourceField": "tenantId",
                }
            ]
        ),
        "getTenant": {
            "params": {"tenantId": S},
            "cardinality": "one",
            "operations": [
                {
                    "type": "GetItem",
                    "tableName": "Events",
                    "entity": "TenantModel",
                    "keyCondition": {"PK": "TENANT#{tenantId}", "SK": "META"},
                    "projection": ["tenantId", "createdAt"],
                },
                {
                    "type": "Query",
                    "tableName": "Events",
                    "entity": "EventModel",
                    "keyCondition": {"PK": "TENANT#{result.tenantId}"},
                    "rangeCondition": {"operator": "begins_with", "key": "SK", "value": "AT#"},
                    "projection": PROJECTION,
                    "resultPath": "$.events.items",
                    "sourceField": "tenantId",
                },
            ],
        },
        "listEvents": {
            "params": {"tenantId": S, "from": S, "to": S},
            "operations": [
                {
                    "type": "Query",
                    "tableName": "Events",
                    "entity": "EventModel",
                    "keyCondition": {"PK": "TENANT#{tenantId}"},
                    "rangeCondition": {
                        "operator": "between",
                        "key": "SK",
                        "value": ["AT#{from}", "AT#{to}"],
                    },
                    "filter": {"declarative": {"note": {"ne": {"$param": "from"}}}},
                    "projection": PROJECTION,
                }
            ],
        },
        "eventsOfDay": {
            "params": {"day": S},
            "operations": [
                {
                    "type": "Query",
                    "tableName": "Events",
                    "indexName": "GSI1",
                    "entity": "EventModel",
                    "keyCondition": {"GSI1PK": "DAY#{day}"},
                    "projection": PROJECTION,
                }
            ],
        },
        "EventCommands__put__readback": _get_event(),
    },
    "commands": {
        "putEvent": {
            "type": "PutItem",
            "tableName": "Events",
            "entity": "EventModel",
            "params": {"tenantId": S, "at": S, "day": S, "note": S, "score": N},
            "item": {
                "tenantId": "{tenantId}",
                "at": "{at}",
                "day": "{day}",
                "note": "{note}",
                "score": "{score}",
            },
        },
        "noteEvent": {
            "type": "UpdateItem",
            "tableName": "Events",
            "entity": "EventModel",
            "params": {"tenantId": S, "at": S, "day": S, "note": S},
            "keyCondition": {"PK": "TENANT#{tenantId}", "SK": "AT#{at}"},
            "changes": {"note": "{note}", "day": "{day}"},
            "condition": {"kind": "expr", "declarative": {"note": {"ne": {"$param": "note"}}}},
        },
        "dropEvent": {
            "type": "DeleteItem",
            "tableName": "Events",
            "entity": "EventModel",
            "params": {"tenantId": S, "at": S},
            "keyCondition": {"PK": "TENANT#{tenantId}", "SK": "AT#{at}"},
        },
        "putTenant": {
            "type": "PutItem",
            "tableName": "Events",
            "entity": "TenantModel",
            "params": {"tenantId": S, "createdAt": S},
            "item": {"tenantId": "{tenantId}", "createdAt": "{createdAt}"},
        },
    },
    "transactions": {
        "putEvents": {
            "params": {
                "tenantId": S,
                "score": N,
                "events": {
                    "type": "array",
                    "required": True,
                    "element": {"at": S, "day": S, "note": S},
                },
            },
            "items": [
                {
                    "type": "Put",
                    "tableName": "Events",
                    "entity": "EventModel",
                    "forEach": {"source": "events"},
                    "item": {
                        "tenantId": "{tenantId}",
                        "at": "{item.at}",
                        "day": "{item.day}",
                        "note": "{item.note}",
                        "score": "{score}",
                    },
                }
            ],
        },
        "renoteEvent": {
            "params": {"tenantId": S, "at": S, "day": S, "note": S},
            "items": [
                {
                    "type": "Update",
                    "tableName": "Events",
                    "entity": "EventModel",
                    "keyCondition": {"PK": "TENANT#{tenantId}", "SK": "AT#{at}"},
                    "changes": {"note": "{note}", "day": "{day}"},
                }
            ],
        },
    },
    "contracts": {
        "Events": {
            "kind": "query",
            "methods": {
                "get": {"operation": "getEvent", "resolution": "point", "inputArity": "either"}
            },
        },
        "EventCommands": {
            "kind": "command",
            "methods": {
                "put": {
                    "single": {"mode": "op", "operation": "putEvent"},
                    "returnSelection": {name: True for name in PROJECTION},
                }
            },
        },
    },
}

#: A valid write of ``putEvent`` (and the row ``getEvent`` reads back).
EVENT = {
    "tenantId": "t1",
    "at": "2024-01-02T03:04:05.000Z",
    "day": "2024-01-02",
    "note": "hello",
    "score": 7,
}
#: The stored item of :data:`EVENT`.
EVENT_ITEM: dict[str, Any] = {
    "tenantId": {"S": "t1"},
    "at": {"S": "2024-01-02T03:04:05.000Z"},
    "day": {"S": "2024-01-02"},
    "note": {"S": "hello"},
    "score": {"N": "7"},
    "PK": {"S": "TENANT#t1"},
    "SK": {"S": "AT#2024-01-02T03:04:05.000Z"},
    "GSI1PK": {"S": "DAY#2024-01-02"},
    "GSI1SK": {"S": "AT#2024-01-02T03:04:05.000Z"},
}


def events_runtime(client: Any, **kwargs: Any) -> GraphDDBRuntime:
    return GraphDDBRuntime(client, copy.deepcopy(MANIFEST), copy.deepcopy(OPERATIONS), **kwargs)
