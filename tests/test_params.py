"""Parameter validation (docs/format.md section 6.2): exact messages, before any call."""

from __future__ import annotations

from datetime import datetime, time, timezone
from decimal import Decimal
from typing import Any

import pytest

from graphddb_runtime import ParameterValidationError
from graphddb_runtime._bind.params import validate_params
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
        ([("groupId", "g")], "op: params must be a mapping, got list [('groupId', 'g')]"),
        ({}, "op: missing required parameter 'groupId'"),
        ({"groupId": None}, "op: missing required parameter 'groupId'"),
        ({"groupId": 5}, "op: parameter 'groupId' must be a string, got int 5"),
        ({"groupId": "g", "count": True}, "op: parameter 'count' must be a number, got bool True"),
        ({"groupId": "g", "count": "1"}, "op: parameter 'count' must be a number, got str '1'"),
        (
            {"groupId": "g", "count": float("nan")},
            "op: parameter 'count' must be a number, got float nan",
        ),
        (
            {"groupId": "g", "count": Decimal("Infinity")},
            "op: parameter 'count' must be a number, got Decimal Decimal('Infinity')",
        ),
        ({"groupId": "g", "flag": 1}, "op: parameter 'flag' must be a boolean, got int 1"),
        (
            {"groupId": "g", "status": "x"},
            "op: parameter 'status' must be one of ['disabled', 3], got str 'x'",
        ),
        (
            {"groupId": "g", "status": True},
            "op: parameter 'status' must be one of ['disabled', 3], got bool True",
        ),
        (
            {"groupId": "g", "members": "x"},
            "op: parameter 'members' must be an array, got str 'x'",
        ),
        (
            {"groupId": "g", "members": [1]},
            "op: parameter 'members[0]' must be an object, got int 1",
        ),
        (
            {"groupId": "g", "members": [{"userId": "u"}, {}]},
            "op: parameter 'members[1]' missing required field 'userId'",
        ),
        (
            {"groupId": "g", "members": [{"userId": "u", "age": "x"}]},
            "op: parameter 'members[0].age' must be a number, got str 'x'",
        ),
        ({"groupId": "g", "free": 1}, "op: parameter 'free' must be a string, got int 1"),
        ({"groupId": "g", "nope": None}, "op: unknown parameter 'nope'"),
        # Section 6.2 step 2: undeclared names first, with a did-you-mean, so a misspelt
        # required param is reported as the typo it is.
        ({"groupid": "g"}, "op: unknown parameter 'groupid'; did you mean 'groupId'?"),
        ({"groupId": "g", "flags": True}, "op: unknown parameter 'flags'; did you mean 'flag'?"),
        ({"count": 1, "nope": 1}, "op: unknown parameter 'nope'"),
        (
            {"groupId": "g", "created": datetime(2024, 1, 2, tzinfo=timezone.utc)},
            "op: unknown parameter 'created'",
        ),
        # A datetime or date is a string param's value (section 6.2); a time of day is not.
        (
            {"groupId": time(3, 4, 5, tzinfo=timezone.utc)},
            "op: parameter 'groupId' must be a string, got time "
            "datetime.time(3, 4, 5, tzinfo=datetime.timezone.utc)",
        ),
        (
            {"groupId": "g", "count": "9" * 100},
            "op: parameter 'count' must be a number, got str '" + "9" * 56 + "...",
        ),
    ],
)
def test_invalid_params(params: Any, message: str) -> None:
    with pytest.raises(ParameterValidationError) as caught:
        _check(params)
    assert str(caught.value) == message


def _required(names: str) -> Any:
    ctx = Context.__new__(Context)
    ctx._param_plans = {}
    return ctx.read_params({n: {"type": "string", "required": True} for n in names.split()})


def test_missing_required_params_are_all_named_first_one_first() -> None:
    specs = _required("a b c")
    with pytest.raises(ParameterValidationError) as caught:
        validate_params("op", {"b": "x"}, specs)
    assert str(caught.value) == "op: missing required parameter 'a' (also missing: 'c')"
    with pytest.raises(ParameterValidationError) as caught:
        validate_params("op", {}, specs)
    assert str(caught.value) == "op: missing required parameter 'a' (also missing: 'b', 'c')"
    with pytest.raises(ParameterValidationError) as caught:
        validate_params("op", {"a": "x", "b": "y"}, specs)
    assert str(caught.value) == "op: missing required parameter 'c'"
