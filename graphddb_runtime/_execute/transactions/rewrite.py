"""A transaction's logical ops and their W1 rewrites (docs/format.md section 40).

``execute.execute_transaction`` runs these steps when the call has write hooks:

1. Validation, expansion, collapse and pre-flight run first, without hooks; zero items means no
   hook and no call.
2. The logical ops are the expanded Put, Update and Delete items (not ConditionChecks), in spec
   then element order. Each gets a ``WriteCtx`` whose ``input`` is flat: the caller params, then
   ``item.<k>`` per element field, then each element field by bare name. **W1** runs FIFO for
   every op; a raise aborts before any call.
3. Every op is rebuilt from its input (``{name}`` reads ``input[name]``, ``{item.f}`` reads
   ``input["item.f"]``), re-validated, with ``input["changes"]`` as extra SETs of an update and
   ``ctx.kind`` rewrites as in section 39; collapse and pre-flight run again.
4. **W3** once with every item and one origin per logical op, the send (W5-persist, W4), then
   **W2** once per op with ``{}``. There is no W5-logical level.

The rebuild uses the interpreted per-item builders (``items._Builder``), the reference the
generated fast path is tested against; hooks are not the hot path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..._bind.params import check_element, check_param
from ..._dataclass import dataclass
from ..._values.codec import deserialize_item
from ...errors import GraphDDBError
from ...middleware import WriteCtx, model_of
from ...spec.plans import Literal, TransactionPlan
from .items import Built, _Builder

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["logical_ops", "rebuild"]

_KINDS = {"Put": "put", "Update": "update", "Delete": "delete"}
_TYPES = {"put": "Put", "update": "Update", "delete": "Delete"}


@dataclass(slots=True)
class _Op:
    """One expanded item: its builder and element; ``ctx`` for a logical op."""

    builder: _Builder
    element: Mapping[str, Any] | None
    index: int | None
    ctx: WriteCtx | None = None


def logical_ops(
    engine: Engine,
    builders: list[_Builder],
    params: Mapping[str, Any],
    context: dict[str, Any],
    transaction: dict[str, Any],
) -> list[_Op]:
    """Every expanded item (section 40 step 2); each Put, Update and Delete gets the
    ``WriteCtx`` of a logical op, whose flat ``input`` W1 may rewrite."""
    ops = list(_expanded(builders, params))
    for op in ops:
        if op.builder.item.type == "ConditionCheck":
            continue
        entity = engine.catalog.entities.get(op.builder.item.entity or "")
        flat = dict(params)
        if op.element is not None:
            flat.update({f"item.{k}": v for k, v in op.element.items()})
            flat.update(op.element)
        op.ctx = WriteCtx(
            kind=_KINDS[op.builder.item.type],
            model=model_of(entity),
            context=context,
            input=flat,
            transaction=transaction,
        )
    return ops


def _expanded(builders: list[_Builder], params: Mapping[str, Any]) -> Iterator[_Op]:
    """Every expanded item in spec then element order, after ``when`` (section 25.1)."""
    for builder in builders:
        source = builder.for_each
        if source is None:
            if builder.holds(params, None):
                yield _Op(builder, None, None)
            continue
        for index, element in enumerate(params.get(source) or ()):
            if builder.holds(params, element):
                yield _Op(builder, element, index)


# --- rebuilding one op from its (possibly rewritten) input --------------------------------------


def rebuild(engine: Engine, plan: TransactionPlan, op: _Op, params: Mapping[str, Any]) -> Built:
    builder, ctx = op.builder, op.ctx
    if ctx is None:  # a ConditionCheck: not a logical op, built as expanded
        return builder.build(params, op.element, op.index)
    data = ctx.input
    if not isinstance(data, Mapping):
        raise GraphDDBError(f"{plan.id}: a write.before hook left ctx.input that is not a mapping")
    element = _revalidate(plan, op, data)
    source, target = _KINDS[builder.item.type], ctx.kind
    if target not in _TYPES:
        raise GraphDDBError(f"{plan.id}: W1 set an unknown write kind {target!r}")
    if target == "put" and source != "put":
        raise GraphDDBError(f"{plan.id}: W1 cannot rewrite a {source} into a put")
    changes = data.get("changes") if "changes" not in plan.params else None
    if changes is not None and not isinstance(changes, Mapping):
        raise GraphDDBError(
            f"{plan.id}: a write.before hook left input['changes'] that is not a mapping"
        )
    extra = dict(changes or {}) if target == "update" else {}
    item = builder.item
    if source == "put" and target != "put":
        built = builder.build(data, element, op.index)
        written = deserialize_item(built.body["Item"])
        key = tuple((a, Literal(value=written[a])) for a in builder.key_attributes if a in written)
        fields = {name: written[name] for name, _ in item.item if name in written}
        item = dataclasses.replace(item, item=(), key=key)
        if target == "delete":
            item = dataclasses.replace(item, type="Delete")
            return _Builder(engine, plan.id, item).build(data, element, op.index)
        extra = {**fields, **extra}
    if target == source and not extra:
        return builder.build(data, element, op.index)
    if target == "delete":
        item = dataclasses.replace(item, type="Delete", changes=(), add=(), maintain=None)
    else:
        keep = item.changes if source == "update" else ()
        sets = tuple((name, Literal(value=value)) for name, value in extra.items())
        item = dataclasses.replace(item, type="Update", changes=keep + sets)
        if source != "update":
            item = dataclasses.replace(item, add=(), maintain=None)
    return _Builder(engine, plan.id, item).build(data, element, op.index)


def _revalidate(plan: TransactionPlan, op: _Op, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """Declared params present in the input, then the element fields (section 40 step 4)."""
    for name, spec in plan.params.items():
        if name in data:
            check_param(plan.id, name, data[name], spec)
    if op.element is None:
        return None
    element = {k[5:]: v for k, v in data.items() if k.startswith("item.")}
    source = op.builder.for_each
    assert source is not None
    declared = plan.params.get(source)
    fields = declared.element if declared is not None else None
    check_element(plan.id, f"{source}[{op.index}]", element, fields or {})
    return element
