"""Contract rules CT002 to CT011 (section 42.7)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..._suggest import did_you_mean
from ...errors import SpecIssue
from .._context import Context, as_dict, as_list, is_int
from .._shape import pointer
from ._registry import rule


def _methods(ctx: Context, kind: str) -> Iterator[tuple[str, str, dict[str, Any], str]]:
    for name, spec, ptr in ctx.section("contracts"):
        if spec["kind"] == kind:
            for method, mspec in spec["methods"].items():
                yield name, method, mspec, f"{ptr}{pointer(('methods', method))}"


def _query_ops(ctx: Context, query_id: Any) -> list[Any] | None:
    """The raw operations of a query, or None when there is no such query."""
    queries = as_dict(ctx.operations.get("queries"))
    if not isinstance(query_id, str) or query_id not in queries:
        return None
    return as_list(as_dict(queries[query_id]).get("operations"))


def _query_method(ctx: Context, contract: Any, method: Any) -> dict[str, Any] | None:
    spec = as_dict(as_dict(ctx.operations.get("contracts")).get(contract))
    if spec.get("kind") != "query":
        return None
    found = as_dict(spec.get("methods")).get(method)
    return found if isinstance(found, dict) else None


@rule("CT002", "CT003", "CT005")
def query_methods(ctx: Context) -> Iterator[SpecIssue]:
    for _, _, spec, ptr in _methods(ctx, "query"):
        operation = spec.get("operation")
        ops = _query_ops(ctx, operation)
        if ops is None:
            yield ctx.issue(
                ctx.at(ptr, spec, "operation"),
                f"referenced operation {operation!r} is not present in 'queries'"
                + did_you_mean(operation, as_dict(ctx.operations.get("queries"))),
                "CT002",
            )
            continue
        if len(ops) != 1:
            yield ctx.issue(
                f"{ptr}/operation",
                "a contract query method must resolve to exactly one read operation, found "
                f"{len(ops)}",
                "CT003",
            )
            continue
        op_type = as_dict(ops[0]).get("type")
        resolution, arity = spec["resolution"], spec.get("inputArity")
        problem = None
        if resolution == "range":
            if op_type != "Query":
                problem = "a range method needs a Query operation"
            elif arity not in (None, "single"):
                problem = "a range method needs inputArity 'single' (or none)"
        elif arity == "either" and op_type != "GetItem":
            problem = "a point method with inputArity 'either' needs a GetItem operation"
        elif op_type == "Query" and arity != "single":
            problem = "a point method over a Query operation needs inputArity 'single'"
        if problem is not None:
            yield ctx.issue(ptr, problem, "CT005")


def _bind_ok(path: Any) -> bool:
    if path == "$":
        return True
    return isinstance(path, str) and path.startswith("$.") and "" not in path[2:].split(".")


@rule("CT006", "CT011")
def compose_edges(ctx: Context) -> Iterator[SpecIssue]:
    for _, _, spec, ptr in _methods(ctx, "query"):
        seen: set[str] = set()
        for k, edge in enumerate(as_list(spec.get("compose"))):
            here = f"{ptr}/compose/{k}"
            problem = _edge_problem(ctx, edge)
            if problem is not None:
                yield ctx.issue(here, problem, "CT006")
            name = as_dict(edge).get("as")
            if isinstance(name, str):
                if name in seen:
                    yield ctx.issue(
                        f"{here}/as",
                        f"property {name!r} is composed twice",
                        "CT011",
                        advisory=True,
                    )
                seen.add(name)
        if "compose" in spec and not isinstance(spec["compose"], list):
            yield ctx.issue(f"{ptr}/compose", "compose must be an array", "CT006")


def _edge_problem(ctx: Context, edge: Any) -> str | None:
    if not isinstance(edge, dict):
        return "a compose edge must be an object"
    for field in ("as", "contract", "method"):
        if not (isinstance(edge.get(field), str) and edge[field]):
            return f"compose edge needs {field!r}"
    if not isinstance(edge.get("bind"), dict) or not edge["bind"]:
        return "compose edge needs a non-empty 'bind' object"
    if edge.get("resolution", "point") != "point":
        return "compose edge resolution must be 'point'"
    bad = [p for p in edge["bind"].values() if not _bind_ok(p)]
    if bad:
        return f"bind paths must be '$' or '$.a.b', got {bad}"
    child = f"{edge['contract']}.{edge['method']}"
    method = _query_method(ctx, edge["contract"], edge["method"])
    if method is None:
        return f"composed child {child!r} is not a query method"
    if method.get("resolution") != "point":
        return f"composed child {child!r} must be a point method"
    ops = _query_ops(ctx, method.get("operation")) or []
    if len(ops) != 1 or as_dict(ops[0]).get("type") != "GetItem":
        return f"composed child {child!r} must read with one GetItem operation"
    return None


@rule("CT007")
def composition_plan(ctx: Context) -> Iterator[SpecIssue]:
    for _, _, spec, ptr in _methods(ctx, "query"):
        if "compositionPlan" not in spec:
            continue
        plan = spec["compositionPlan"]
        here = f"{ptr}/compositionPlan"
        count = len(as_list(spec.get("compose")))
        stages = as_dict(plan).get("stages")
        if not isinstance(stages, list) or not all(
            isinstance(s, list) and all(is_int(i) for i in s) for s in stages
        ):
            yield ctx.issue(here, "stages must be an array of integer arrays", "CT007")
            continue
        flat = [i for s in stages for i in s]
        for i in flat:
            if not 0 <= i < count:
                yield ctx.issue(here, f"compose index {i} out of range ({count} edges)", "CT007")
        for i in range(count):
            if flat.count(i) != 1:
                state = "is not in any stage" if i not in flat else "appears more than once"
                yield ctx.issue(here, f"compose index {i} {state}", "CT007")
        concurrency = as_dict(plan).get("concurrency", 16)
        if not (is_int(concurrency) and concurrency >= 1):
            yield ctx.issue(here, "concurrency must be a positive integer", "CT007")


@rule("CT008", "CT009", "CT010")
def command_methods(ctx: Context) -> Iterator[SpecIssue]:
    commands = as_dict(ctx.operations.get("commands"))
    transactions = as_dict(ctx.operations.get("transactions"))
    for contract, method, spec, ptr in _methods(ctx, "command"):
        single = spec.get("single")
        if not isinstance(single, dict):
            yield ctx.issue(ctx.at(ptr, spec, "single"), "command method needs 'single'", "CT008")
        else:
            problem = _target_problem(single, ("op", "transaction"), commands, transactions)
            if problem is not None:
                yield ctx.issue(f"{ptr}/single", problem, "CT008")
        if "batch" in spec:
            batch = as_dict(spec["batch"])
            problem = _target_problem(batch, ("transaction", "parallel"), commands, transactions)
            if problem is None and batch.get("mode") == "transaction":
                params = as_dict(as_dict(transactions[batch["transaction"]]).get("params"))
                if as_dict(params.get("keys")).get("type") != "array":
                    problem = (
                        f"batch transaction {batch['transaction']!r} must declare an array "
                        "parameter 'keys'"
                    )
            if problem is not None:
                yield ctx.issue(f"{ptr}/batch", problem, "CT009")
        if spec.get("returnSelection"):
            readback = f"{contract}__{method}__readback"
            ops = _query_ops(ctx, readback)
            if ops is None:
                problem = f"read-back query {readback!r} is missing"
            elif (
                len(ops) != 1
                or as_dict(ops[0]).get("type") != "GetItem"
                or ("indexName" in as_dict(ops[0]))
            ):
                problem = f"read-back query {readback!r} must have one base-table GetItem"
            else:
                problem = None
            if problem is not None:
                yield ctx.issue(f"{ptr}/returnSelection", problem, "CT010")


def _target_problem(
    spec: dict[str, Any],
    modes: tuple[str, ...],
    commands: dict[str, Any],
    transactions: dict[str, Any],
) -> str | None:
    mode = spec.get("mode", "op")
    if mode == "batchWrite" and "transaction" in modes and "op" not in modes:
        return "mode 'batchWrite' is a format 1.2 batch mode that this runtime does not support"
    if mode not in modes:
        return f"mode must be one of {list(modes)}, got {mode!r}" + did_you_mean(mode, modes)
    if mode == "transaction":
        target = spec.get("transaction")
        if not isinstance(target, str) or target not in transactions:
            return f"referenced transaction {target!r} does not exist" + did_you_mean(
                target, transactions
            )
    else:
        target = spec.get("operation")
        if not isinstance(target, str) or target not in commands:
            return f"referenced command {target!r} does not exist" + did_you_mean(target, commands)
    return None
