"""Parameter validation (docs/format.md section 6.2): exact messages, before any call."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from graphddb_runtime import ParameterValidationError
from graphddb_runtime._params import validate_params
from graphddb_runtime.spec._context import Context

SPECS = Context.__new__(Context)
SPECS._param_plans = {}
PARAMS = SPECS.read_params(
    {
        "groupId": {"type": "string", "required": True},
        "count": {"type": "number"},
        "flag": {"type": "boolean"},
        "status": {"type": "literal", "literals": ["disabled", 3]},
        "members": {
            "type": "array",
            "element": {
                "userId": {"type": "string", "required": True},
                "age": {"type": "number"},
            },
        },
        "free": {"type": "date"},
    }
)


def _check(params: Any) -> None:
    validate_params("op", params, PARAMS)


def test_valid_params_pass() -> None:
    _check(
        {
            "groupId": "g",
            "count": Decimal("1.5"),
            "flag": False,
            "status": 3,
            "members": ({"userId": "u", "extra": 1}, {"userId": "v", "age": 3}),
            "free": "x",
        }
    )
    _check({"groupId": "g", "count": None})  # an optional param passed as None is absent


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("groupId", "g")], "op: params must be a mapping"),
        ({}, "op: missing required parameter 'groupId'"),
        ({"groupId": None}, "op: missing required parameter 'groupId'"),
        ({"groupId": 5}, "op: parameter 'groupId' must be a string"),
        ({"groupId": "g", "count": True}, "op: parameter 'count' must be a number"),
        ({"groupId": "g", "count": "1"}, "op: parameter 'count' must be a number"),
        ({"groupId": "g", "count": float("nan")}, "op: parameter 'count' must be a number"),
        ({"groupId": "g", "count": Decimal("Infinity")}, "op: parameter 'count' must be a number"),
        ({"groupId": "g", "flag": 1}, "op: parameter 'flag' must be a boolean"),
        (
            {"groupId": "g", "status": "x"},
            "op: parameter 'status' must be one of ['disabled', 3], got 'x'",
        ),
        (
            {"groupId": "g", "status": True},
            "op: parameter 'status' must be one of ['disabled', 3], got True",
        ),
        ({"groupId": "g", "members": "x"}, "op: parameter 'members' must be an array"),
        ({"groupId": "g", "members": [1]}, "op: parameter 'members[0]' must be an object"),
        (
            {"groupId": "g", "members": [{"userId": "u"}, {}]},
            "op: parameter 'members[1]' missing required field 'userId'",
        ),
        (
            {"groupId": "g", "members": [{"userId": "u", "age": "x"}]},
            "op: parameter 'members[0].age' must be a number",
        ),
        ({"groupId": "g", "free": 1}, "op: parameter 'free' must be a string"),
        ({"groupId": "g", "nope": None}, "op: unknown parameter 'nope'"),
    ],
)
def test_invalid_params(params: Any, message: str) -> None:
    with pytest.raises(ParameterValidationError) as caught:
        _check(params)
    assert str(caught.value) == message
