"""Plan + bound params -> boto3 request kwargs. Pure functions: no I/O, no shared state.

Every function returns a fresh dict whose key order is the one docs/format.md gives (sections 7.5,
7.6, 10.2 to 10.4 and 11), so ``explain()``, logs and snapshot tests see the exact request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._values.codec import ValueRejected, check_item_size, serialize, serialize_key
from .._values.datetimes import check_format, format_problem
from .._values.templates import Env, Template, resolve, text
from ..errors import ParameterValidationError, UnboundParameterError
from ..spec.plans import (
    CommandPlan,
    ConditionPlan,
    EntityPlan,
    Literal,
    Operand,
    ParamRef,
    ReadOpPlan,
    Value,
    thaw,
)
from .getters import param_unbound
from .keys import EntityKeys, entity_keys

__all__ = [
    "AV",
    "apply_condition",
    "batch_get_request",
    "check_formats",
    "delete_request",
    "display",
    "get_item_request",
    "key_map",
    "located",
    "param_of",
    "put_record",
    "put_request",
    "query_request",
    "update_request",
    "value_of",
]

AV = dict[str, Any]


def value_of(value: Value | ParamRef, env: Env, op_id: str) -> Any:
    """The plain value of a spec value: a template (typed), a literal, or a ``$param`` marker."""
    if type(value) is Template:
        return resolve(value, env, op_id)
    if type(value) is ParamRef:
        bound = env.get(value.name)
        if bound is None:
            raise param_unbound(op_id, value.name)
        return bound
    assert type(value) is Literal
    return thaw(value.value)


class Unresolved:
    """explain() environment wrapper: an unbound value is shown as the string AV of its template
    (``{"S": "USER#{result.userId}"}``) instead of raising (section 14)."""

    __slots__ = ("env",)

    def __init__(self, env: Env) -> None:
        self.env = env

    def get(self, name: str) -> Any:
        return self.env.get(name)


def _av(value: Value | ParamRef, env: Env | Unresolved, op_id: str, key: str | None) -> AV:
    """Resolve and serialize one value; ``key`` names a key attribute (key value rules)."""
    if isinstance(env, Unresolved):
        try:
            resolved = value_of(value, env.env, op_id)
        except UnboundParameterError:
            if type(value) is ParamRef:
                return {"S": "{" + value.name + "}"}
            assert type(value) is Template
            return {"S": value.text}
    else:
        resolved = value_of(value, env, op_id)
    try:
        if key is not None:
            return serialize_key(resolved, op_id=op_id, attribute=key)
        return serialize(resolved, op_id=op_id)
    except ValueRejected as exc:
        raise located(exc, value) from None


def located(exc: ValueRejected, value: Value | ParamRef) -> ValueRejected:
    """``exc`` naming the parameter or template the rejected value came from."""
    source = _source(value)
    return exc.at(source) if source is not None else exc


def _source(value: Value | ParamRef | None) -> str | None:
    """Where a spec value comes from, for messages: a parameter, a template, or nothing."""
    if type(value) is ParamRef:
        return f"parameter '{value.name}'"
    if type(value) is Template and value.names:
        return f"parameter '{value.names[0]}'" if value.whole else f"template '{value.text}'"
    return None


def _subject(value: Value | ParamRef | None, field: str) -> str:
    source = _source(value)
    return f"{source} for field '{field}'" if source is not None else f"field '{field}'"


def _serialize_fields(
    values: Mapping[str, Any], spec: tuple[tuple[str, Value], ...], op_id: str
) -> dict[str, AV]:
    """``{field: serialize(value)}``; a rejected value names its field and parameter."""
    try:
        return {field: serialize(value, op_id=op_id) for field, value in values.items()}
    except ValueRejected as rejected:
        sources = dict(spec)
        for field, value in values.items():
            try:
                serialize(value, op_id=op_id)
            except ValueRejected as exc:
                raise exc.at(_subject(sources.get(field), field)) from None
        raise rejected from None


def param_of(value: Value | ParamRef | None) -> str | None:
    """The parameter a spec value is exactly (a whole placeholder or a marker), else ``None``."""
    if type(value) is ParamRef:
        return value.name
    if type(value) is Template and value.whole:
        return value.names[0]
    return None


def check_formats(
    op_id: str,
    written: Mapping[str, Any],
    formats: Mapping[str, str],
    spec: tuple[tuple[str, Value], ...] = (),
) -> None:
    """Every written field with a ``datetime`` / ``date`` format holds valid ISO 8601 text for
    it (section 9.3), else ``ParameterValidationError`` naming the parameter and the field."""
    for field, fmt in formats.items():
        if field in written and format_problem(written[field], fmt) is not None:
            check_format(op_id, field, fmt, written[field], param_of(dict(spec).get(field)))


def key_map(
    pairs: tuple[tuple[str, Value], ...], env: Env | Unresolved, op_id: str
) -> dict[str, AV]:
    """A key (or key condition values) in spec order; every value must be a valid key value."""
    return {attr: _av(value, env, op_id, attr) for attr, value in pairs}


def _operands(
    values: tuple[tuple[str, Operand], ...], env: Env | Unresolved, op_id: str
) -> dict[str, AV]:
    return {alias: _av(v, env, op_id, None) for alias, v in values}


# --- reads ------------------------------------------------------------------------------------


def get_item_request(
    op: ReadOpPlan, env: Env | Unresolved, *, table: str, consistent: bool, op_id: str
) -> dict[str, Any]:
    """``get_item`` kwargs (section 7.5)."""
    request: dict[str, Any] = {"TableName": table, "Key": key_map(op.key, env, op_id)}
    if consistent:
        request["ConsistentRead"] = True
    return request


def query_request(
    op: ReadOpPlan,
    env: Env | Unresolved,
    *,
    table: str,
    consistent: bool,
    limit: int | None,
    forward: bool,
    start_key: dict[str, AV] | None,
    op_id: str,
) -> dict[str, Any]:
    """``query`` kwargs (section 7.6), keys in the order the contract gives."""
    names = dict(op.key_names)
    values = {f":k{i}": _av(v, env, op_id, attr) for i, (attr, v) in enumerate(op.key)}
    if op.range is not None:
        for alias, bound in zip(op.range.aliases, op.range.values, strict=True):
            av = _av(bound, env, op_id, op.range.key)
            if op.range.operator == "begins_with" and "S" not in av and "B" not in av:
                raise ParameterValidationError(
                    f"{op_id}: begins_with needs a string or bytes value for '{op.range.key}'"
                )
            values[alias] = av
    if op.filter is not None:
        names.update(op.filter.names)
        values.update(_operands(op.filter.values, env, op_id))
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": op.key_condition_expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    if op.index_name is not None:
        request["IndexName"] = op.index_name
    if consistent:
        request["ConsistentRead"] = True
    if limit is not None:
        request["Limit"] = limit
    if not forward:
        request["ScanIndexForward"] = False
    if op.filter is not None:
        request["FilterExpression"] = op.filter.text
    if start_key is not None:
        request["ExclusiveStartKey"] = start_key
    return request


def batch_get_request(
    op: ReadOpPlan, keys: list[dict[str, AV]], *, table: str, consistent: bool
) -> dict[str, Any]:
    """``batch_get_item`` kwargs for one chunk of keys of one table (section 19.3)."""
    entry: dict[str, Any] = {"Keys": keys}
    if op.projection_expression is not None:
        entry["ProjectionExpression"] = op.projection_expression
        entry["ExpressionAttributeNames"] = dict(op.projection_names)
    if consistent:
        entry["ConsistentRead"] = True
    return {"RequestItems": {table: entry}}


# --- conditions (section 11) ------------------------------------------------------------------


def apply_condition(
    request: dict[str, Any], condition: ConditionPlan | None, env: Env, op_id: str
) -> None:
    """Merge a condition's names and values, then set ConditionExpression."""
    names: dict[str, str] = request.pop("ExpressionAttributeNames", {})
    values: dict[str, AV] = request.pop("ExpressionAttributeValues", {})
    if condition is not None:
        names.update(condition.names)
        for alias, value in condition.values:
            values[alias] = _av(value, env, op_id, None)
    if names:
        request["ExpressionAttributeNames"] = names
    if values:
        request["ExpressionAttributeValues"] = values
    if condition is not None:
        request["ConditionExpression"] = condition.expression


# --- writes -----------------------------------------------------------------------------------


def _derived_key(keys: EntityKeys | None, attr: str, value: Any, op_id: str) -> AV:
    """A derived key value, serialized; a rejected one names the entity's template."""
    try:
        return serialize_key(value, op_id=op_id, attribute=attr)
    except ValueRejected as exc:
        template = keys.template(attr) if keys is not None else None
        raise (located(exc, template) if template is not None else exc) from None


def _finish(
    request: dict[str, Any],
    command: CommandPlan,
    params: Env,
    return_values: str | None,
    op_id: str,
) -> dict[str, Any]:
    """The condition (section 11), then ``ReturnValues``; the item size checked (section 1.4)."""
    apply_condition(request, command.condition, params, op_id)
    if return_values is not None:
        request["ReturnValues"] = return_values
    check_item_size(op_id, request)
    return request


def put_record(
    command: CommandPlan,
    entity: EntityPlan,
    params: Env,
    op_id: str,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The resolved item record (with ``overrides`` applied) and its derived keys (10.2)."""
    record = {field: value_of(value, params, op_id) for field, value in command.item}
    if overrides:
        record.update(overrides)
    return record, entity_keys(entity).derive(record, params, None, op_id)


def put_request(
    command: CommandPlan,
    entity: EntityPlan,
    params: Env,
    *,
    table: str,
    return_values: str | None,
    op_id: str,
    overrides: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``put_item`` kwargs with derived base and GSI keys (section 10.2).

    ``overrides`` replace resolved record fields before derivation and ``extra`` attributes
    follow the derived keys (both only used by a W1 rewrite, section 39).
    """
    record, derived = put_record(command, entity, params, op_id, overrides)
    spec = command.item
    if overrides:
        spec = tuple(pair for pair in spec if pair[0] not in overrides)
    if entity.formats:
        check_formats(op_id, record, entity.formats, spec)
        if extra:
            check_formats(op_id, extra, entity.formats)
    item = _serialize_fields(record, spec, op_id)
    keys = entity_keys(entity)
    for attr, value in derived:
        item[attr] = _derived_key(keys, attr, value, op_id)
    if extra:
        item.update(_serialize_fields(extra, (), op_id))
    request: dict[str, Any] = {"TableName": table, "Item": item}
    return _finish(request, command, params, return_values, op_id)


def update_request(
    command: CommandPlan,
    entity: EntityPlan | None,
    params: Env,
    *,
    table: str,
    return_values: str | None,
    op_id: str,
    extra_changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``update_item`` kwargs: SET changes, then re-derived GSI keys (section 10.3)."""
    changes = {field: value_of(value, params, op_id) for field, value in command.changes}
    spec = command.changes
    if extra_changes:
        changes.update(extra_changes)
        spec = tuple(pair for pair in spec if pair[0] not in extra_changes)
    if entity is not None and entity.formats:
        check_formats(op_id, changes, entity.formats, spec)
    parts: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, AV] = {}
    for i, (field, av) in enumerate(_serialize_fields(changes, spec, op_id).items()):
        parts.append(f"#c{i} = :c{i}")
        names[f"#c{i}"] = field
        values[f":c{i}"] = av
    keys = entity_keys(entity) if entity is not None else None
    for n, attr, value in keys.rederive(changes, params, None, op_id) if keys else ():
        alias = f"gsi{n}"
        parts.append(f"#{alias} = :{alias}")
        names[f"#{alias}"] = attr
        values[f":{alias}"] = _derived_key(keys, attr, value, op_id)
    request: dict[str, Any] = {"TableName": table, "Key": key_map(command.key, params, op_id)}
    if parts:
        request["UpdateExpression"] = "SET " + ", ".join(parts)
        request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = values
    return _finish(request, command, params, return_values, op_id)


def delete_request(
    command: CommandPlan,
    params: Env,
    *,
    table: str,
    return_values: str | None,
    op_id: str,
) -> dict[str, Any]:
    """``delete_item`` kwargs (section 10.4)."""
    request: dict[str, Any] = {"TableName": table, "Key": key_map(command.key, params, op_id)}
    return _finish(request, command, params, return_values, op_id)


def display(value: Value, env: Env, op_id: str) -> Any:
    """An explain() display value (section 14): text resolution, where a placeholder with no
    bound value (a ``{result.*}`` one, or an absent param) stays as written."""
    if type(value) is Literal:
        return thaw(value.value)
    assert type(value) is Template
    out = [value.literals[0]]
    for i, name in enumerate(value.names):
        bound = None if name.startswith("result.") else env.get(name)
        out.append("{" + name + "}" if bound is None else text(bound, op_id=op_id))
        out.append(value.literals[i + 1])
    return "".join(out)
