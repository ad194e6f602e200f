"""Template syntax, typed and text resolution, JS-compatible text (docs/format.md section 5)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from graphddb_runtime import ParameterValidationError, UnboundParameterError
from graphddb_runtime._values.templates import Bindings, parse_template, resolve, text


def test_syntax() -> None:
    t = parse_template("PERM#{resource}#{action}")
    assert (t.names, t.literals, t.whole) == (("resource", "action"), ("PERM#", "#", ""), False)
    assert parse_template("{total}").whole
    assert parse_template("PROFILE").is_literal
    assert parse_template("{old.userId}").names == ("old.userId",)
    assert parse_template("{ a }").names == (" a ",)  # verbatim, not trimmed
    assert parse_template("{a}{b}").names == ("a", "b") and not parse_template("{a}{b}").whole
    assert parse_template("x{}y").is_literal  # "{}" is not a placeholder
    assert parse_template("{{a}}").names == ("a",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10.0, "10"),
        (1.5, "1.5"),
        (99.5, "99.5"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (2.5e-6, "0.0000025"),
        (1e16, "10000000000000000"),
        (-0.0, "0"),
        (-2.5, "-2.5"),
        (123456789012345680000.0, "123456789012345680000"),
        (0.1, "0.1"),
        (1.2345e22, "1.2345e+22"),
        (0.000001, "0.000001"),
        (True, "true"),
        (False, "false"),
        (7, "7"),
        (-3, "-3"),
        ("x", "x"),
        (Decimal("1.50"), "1.5"),
        (Decimal("1E+2"), "100"),
        (Decimal("0.000"), "0"),
        (Decimal("-0"), "0"),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "2024-01-02T03:04:05.000Z"),
    ],
)
def test_text(value: Any, expected: str) -> None:
    assert text(value, op_id="q") == expected


@pytest.mark.parametrize(
    "value", [[1], {"a": 1}, {1}, b"x", float("nan"), float("inf"), Decimal("NaN"), None]
)
def test_text_rejects(value: Any) -> None:
    with pytest.raises(ParameterValidationError, match="q: cannot render"):
        text(value, op_id="q", template=parse_template("A#{x}"))


def test_typed_resolution_keeps_the_type() -> None:
    params = {"total": 7, "flag": True, "name": "n", "when": datetime(2024, 1, 1)}
    assert resolve(parse_template("{total}"), params, "q") == 7
    assert resolve(parse_template("{flag}"), params, "q") is True
    assert resolve(parse_template("T-{total}"), params, "q") == "T-7"
    assert resolve(parse_template("F#{flag}"), params, "q") == "F#true"
    assert resolve(parse_template("PROFILE"), params, "q") == "PROFILE"
    assert resolve(parse_template("{when}"), params, "q") == datetime(2024, 1, 1)


def test_unbound_parameters() -> None:
    with pytest.raises(UnboundParameterError) as caught:
        resolve(parse_template("USER#{userId}"), {"userId": None}, "getUser")
    assert (
        str(caught.value)
        == "getUser: template 'USER#{userId}' references unbound parameter 'userId'"
    )
    assert isinstance(caught.value, KeyError)
    with pytest.raises(UnboundParameterError):
        resolve(parse_template("{x}"), {}, "q")


def test_bindings_namespaces() -> None:
    env = Bindings(
        {"tenant": "t1", "item.x": "param"}, parent={"groupId": "eng"}, element={"x": "elem"}
    )
    assert resolve(parse_template("GROUP#{result.groupId}#{tenant}"), env, "q") == "GROUP#eng#t1"
    assert resolve(parse_template("{item.x}"), env, "q") == "elem"
    plain = Bindings({"item.x": "param", "result.y": "p2"})
    assert resolve(parse_template("{item.x}"), plain, "q") == "param"
    assert resolve(parse_template("{result.y}"), plain, "q") == "p2"
    with pytest.raises(UnboundParameterError):
        resolve(parse_template("{result.missing}"), env, "q")
