"""Precompiled ``__init__`` code of the package's dataclasses (see ``_dataclass.py``).

Do not edit: run ``python -m graphddb_runtime._initsgen`` after changing a dataclass.
A test fails when this file is stale. The names these bodies use (``_setattr``, ``_FACTORY``,
``_f_<field>``) are the globals ``_dataclass`` gives each ``__init__``; this module only holds code.
"""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

from typing import Any


# graphddb_runtime._execute.batch.Batching
def _0(self, limits, sleep, gate):
    _setattr(self, 'limits', limits)
    _setattr(self, 'sleep', sleep)
    _setattr(self, 'gate', _f_gate() if gate is _FACTORY else gate)


# graphddb_runtime._execute.contracts.reads.MethodOptions
def _1(self, *, consistent, limit, after, order, context, numbers, datetimes):
    _setattr(self, 'consistent', consistent)
    _setattr(self, 'limit', limit)
    _setattr(self, 'after', after)
    _setattr(self, 'order', order)
    _setattr(self, 'context', context)
    _setattr(self, 'numbers', numbers)
    _setattr(self, 'datetimes', datetimes)


# graphddb_runtime._execute.contracts.reads._Single
def _2(self, engine, plan, query, op_id):
    _setattr(self, 'engine', engine)
    _setattr(self, 'plan', plan)
    _setattr(self, 'query', query)
    _setattr(self, 'op_id', op_id)


# graphddb_runtime._execute.engine.Engine
def _3(self, *, catalog, sender, limits, tables, cursor_secret, sleep, cache):
    _setattr(self, 'catalog', catalog)
    _setattr(self, 'sender', sender)
    _setattr(self, 'limits', limits)
    _setattr(self, 'tables', tables)
    _setattr(self, 'cursor_secret', cursor_secret)
    _setattr(self, 'sleep', sleep)
    _setattr(self, 'cache', _f_cache() if cache is _FACTORY else cache)


# graphddb_runtime._execute.fetch.Reader
def _4(self, engine, hooks, context):
    _setattr(self, 'engine', engine)
    _setattr(self, 'hooks', hooks)
    _setattr(self, 'context', context)


# graphddb_runtime._execute.reads.ReadOptions
def _5(self, *, cursor, limit, order, consistent, numbers, context, datetimes):
    _setattr(self, 'cursor', cursor)
    _setattr(self, 'limit', limit)
    _setattr(self, 'order', order)
    _setattr(self, 'consistent', consistent)
    _setattr(self, 'numbers', numbers)
    _setattr(self, 'context', context)
    _setattr(self, 'datetimes', datetimes)


# graphddb_runtime._execute.reads._Call
def _6(self, plan, params, opts, start_key, reader):
    _setattr(self, 'plan', plan)
    _setattr(self, 'params', params)
    _setattr(self, 'opts', opts)
    _setattr(self, 'start_key', start_key)
    _setattr(self, 'reader', reader)


# graphddb_runtime._execute.transactions.items.Actions
def _7(self, sets, adds, condition, collection):
    self.sets = _f_sets() if sets is _FACTORY else sets
    self.adds = _f_adds() if adds is _FACTORY else adds
    self.condition = condition
    self.collection = collection


# graphddb_runtime._execute.transactions.items.Built
def _8(self, type, body, target, origin, actions, copies, size):
    self.type = type
    self.body = body
    self.target = target
    self.origin = origin
    self.actions = actions
    self.copies = copies
    self.size = size


# graphddb_runtime._execute.transactions.rewrite._Op
def _9(self, builder, element, index, ctx):
    self.builder = builder
    self.element = element
    self.index = index
    self.ctx = ctx


# graphddb_runtime._values.templates.Template
def _10(self, *, text, literals, names, whole):
    _setattr(self, 'text', text)
    _setattr(self, 'literals', literals)
    _setattr(self, 'names', names)
    _setattr(self, 'whole', whole)


# graphddb_runtime.errors.CancellationReason
def _11(self, index, spec_item, element, code, message):
    _setattr(self, 'index', index)
    _setattr(self, 'spec_item', spec_item)
    _setattr(self, 'element', element)
    _setattr(self, 'code', code)
    _setattr(self, 'message', message)


# graphddb_runtime.errors.SpecIssue
def _12(self, file, pointer, message, rule, severity):
    _setattr(self, 'file', file)
    _setattr(self, 'pointer', pointer)
    _setattr(self, 'message', message)
    _setattr(self, 'rule', rule)
    _setattr(self, 'severity', severity)


# graphddb_runtime.limits.RuntimeLimits
def _13(self, *, max_operations, max_items, max_depth, max_batch_get_items, max_batch_write_items, max_transaction_items, max_transaction_bytes, batch_max_retries, batch_backoff_base_ms, batch_backoff_cap_ms, batch_backoff_jitter, batch_concurrency, numbers, datetimes):
    _setattr(self, 'max_operations', max_operations)
    _setattr(self, 'max_items', max_items)
    _setattr(self, 'max_depth', max_depth)
    _setattr(self, 'max_batch_get_items', max_batch_get_items)
    _setattr(self, 'max_batch_write_items', max_batch_write_items)
    _setattr(self, 'max_transaction_items', max_transaction_items)
    _setattr(self, 'max_transaction_bytes', max_transaction_bytes)
    _setattr(self, 'batch_max_retries', batch_max_retries)
    _setattr(self, 'batch_backoff_base_ms', batch_backoff_base_ms)
    _setattr(self, 'batch_backoff_cap_ms', batch_backoff_cap_ms)
    _setattr(self, 'batch_backoff_jitter', batch_backoff_jitter)
    _setattr(self, 'batch_concurrency', batch_concurrency)
    _setattr(self, 'numbers', numbers)
    _setattr(self, 'datetimes', datetimes)
    self.__post_init__()


# graphddb_runtime.middleware.MiddlewareRuntime
def _14(self, before, after_fetch, on_error, op_before, op_after_fetch, op_on_error, request, op):
    _setattr(self, 'before', before)
    _setattr(self, 'after_fetch', after_fetch)
    _setattr(self, 'on_error', on_error)
    _setattr(self, 'op_before', op_before)
    _setattr(self, 'op_after_fetch', op_after_fetch)
    _setattr(self, 'op_on_error', op_on_error)
    _setattr(self, 'request', request)
    _setattr(self, 'op', op)
    self.__post_init__()


# graphddb_runtime.middleware.PersistCtx
def _15(self, *, items, origins, context, state, transaction):
    self.items = items
    self.origins = origins
    self.context = context
    self.state = _f_state() if state is _FACTORY else state
    self.transaction = transaction


# graphddb_runtime.middleware.ReadOpCtx
def _16(self, *, kind, model, context, operation, relation_path, state):
    self.kind = kind
    self.model = model
    self.context = context
    self.operation = operation
    self.relation_path = relation_path
    self.state = _f_state() if state is _FACTORY else state


# graphddb_runtime.middleware.ReadRequestCtx
def _17(self, *, kind, model, context, params, state):
    self.kind = kind
    self.model = model
    self.context = context
    self.params = params
    self.state = _f_state() if state is _FACTORY else state


# graphddb_runtime.middleware.WriteCtx
def _18(self, *, kind, model, context, input, state, transaction):
    self.kind = kind
    self.model = model
    self.context = context
    self.input = input
    self.state = _f_state() if state is _FACTORY else state
    self.transaction = transaction


# graphddb_runtime.middleware.WriteRuntime
def _19(self, before, after, on_error, persist_before, persist_after, persist_on_error, logical, persist):
    _setattr(self, 'before', before)
    _setattr(self, 'after', after)
    _setattr(self, 'on_error', on_error)
    _setattr(self, 'persist_before', persist_before)
    _setattr(self, 'persist_after', persist_after)
    _setattr(self, 'persist_on_error', persist_on_error)
    _setattr(self, 'logical', logical)
    _setattr(self, 'persist', persist)
    self.__post_init__()


# graphddb_runtime.spec.LoadedSpec
def _20(self, catalog, issues):
    _setattr(self, 'catalog', catalog)
    _setattr(self, 'issues', issues)


# graphddb_runtime.spec._context.EntityInfo
def _21(self, name, table, key, pk, sk, gsis, fields, raw):
    self.name = name
    self.table = table
    self.key = key
    self.pk = pk
    self.sk = sk
    self.gsis = gsis
    self.fields = fields
    self.raw = raw


# graphddb_runtime.spec._context.GsiInfo
def _22(self, index_name, pk, sk, input_fields, dependencies, position):
    self.index_name = index_name
    self.pk = pk
    self.sk = sk
    self.input_fields = input_fields
    self.dependencies = dependencies
    self.position = position


# graphddb_runtime.spec._context.OpInfo
def _23(self, index, pointer, raw, type, table, index_name, key_condition, range, projection, result_path, tokens, parent_tokens, property, connection, path_issue, node, producer, depth, entity):
    self.index = index
    self.pointer = pointer
    self.raw = raw
    self.type = type
    self.table = table
    self.index_name = index_name
    self.key_condition = key_condition
    self.range = range
    self.projection = projection
    self.result_path = result_path
    self.tokens = tokens
    self.parent_tokens = parent_tokens
    self.property = property
    self.connection = connection
    self.path_issue = path_issue
    self.node = node
    self.producer = producer
    self.depth = depth
    self.entity = entity


# graphddb_runtime.spec._context.QueryInfo
def _24(self, id, pointer, raw, params, many_root, ops):
    self.id = id
    self.pointer = pointer
    self.raw = raw
    self.params = params
    self.many_root = many_root
    self.ops = _f_ops() if ops is _FACTORY else ops


# graphddb_runtime.spec._context.TableInfo
def _25(self, name, has_sort_key, indexes):
    self.name = name
    self.has_sort_key = has_sort_key
    self.indexes = indexes


# graphddb_runtime.spec._read.Document
def _26(self, file, data, issues):
    _setattr(self, 'file', file)
    _setattr(self, 'data', data)
    _setattr(self, 'issues', issues)


# graphddb_runtime.spec.plans.Catalog
def _27(self, *, entities, tables, queries, commands, transactions, contracts):
    _setattr(self, 'entities', entities)
    _setattr(self, 'tables', tables)
    _setattr(self, 'queries', queries)
    _setattr(self, 'commands', commands)
    _setattr(self, 'transactions', transactions)
    _setattr(self, 'contracts', contracts)


# graphddb_runtime.spec.plans.CommandMethodPlan
def _28(self, *, contract, name, single_mode, single_target, batch_mode, batch_target, readback):
    _setattr(self, 'contract', contract)
    _setattr(self, 'name', name)
    _setattr(self, 'single_mode', single_mode)
    _setattr(self, 'single_target', single_target)
    _setattr(self, 'batch_mode', batch_mode)
    _setattr(self, 'batch_target', batch_target)
    _setattr(self, 'readback', readback)


# graphddb_runtime.spec.plans.CommandPlan
def _29(self, *, id, type, table, entity, params, item, key, changes, condition):
    _setattr(self, 'id', id)
    _setattr(self, 'type', type)
    _setattr(self, 'table', table)
    _setattr(self, 'entity', entity)
    _setattr(self, 'params', params)
    _setattr(self, 'item', item)
    _setattr(self, 'key', key)
    _setattr(self, 'changes', changes)
    _setattr(self, 'condition', condition)


# graphddb_runtime.spec.plans.ComposeEdgePlan
def _30(self, *, as_, contract, method, bind):
    _setattr(self, 'as_', as_)
    _setattr(self, 'contract', contract)
    _setattr(self, 'method', method)
    _setattr(self, 'bind', bind)


# graphddb_runtime.spec.plans.ConditionPlan
def _31(self, *, kind, expression, names, values):
    _setattr(self, 'kind', kind)
    _setattr(self, 'expression', expression)
    _setattr(self, 'names', names)
    _setattr(self, 'values', values)


# graphddb_runtime.spec.plans.ContractPlan
def _32(self, *, name, kind, methods):
    _setattr(self, 'name', name)
    _setattr(self, 'kind', kind)
    _setattr(self, 'methods', methods)


# graphddb_runtime.spec.plans.EntityPlan
def _33(self, *, name, table, pk, sk, gsis, formats, types, meta):
    _setattr(self, 'name', name)
    _setattr(self, 'table', table)
    _setattr(self, 'pk', pk)
    _setattr(self, 'sk', sk)
    _setattr(self, 'gsis', gsis)
    _setattr(self, 'formats', formats)
    _setattr(self, 'types', types)
    _setattr(self, 'meta', meta)


# graphddb_runtime.spec.plans.ExpressionPlan
def _34(self, *, text, names, values):
    _setattr(self, 'text', text)
    _setattr(self, 'names', names)
    _setattr(self, 'values', values)


# graphddb_runtime.spec.plans.GsiPlan
def _35(self, *, index_name, pk, sk, dependencies):
    _setattr(self, 'index_name', index_name)
    _setattr(self, 'pk', pk)
    _setattr(self, 'sk', sk)
    _setattr(self, 'dependencies', dependencies)


# graphddb_runtime.spec.plans.Literal
def _36(self, *, value):
    _setattr(self, 'value', value)


# graphddb_runtime.spec.plans.MaintainField
def _37(self, *, attribute, op, length, input_field):
    _setattr(self, 'attribute', attribute)
    _setattr(self, 'op', op)
    _setattr(self, 'length', length)
    _setattr(self, 'input_field', input_field)


# graphddb_runtime.spec.plans.MaintainPlan
def _38(self, *, kind, projection, collection_field, counter_attribute, counter_delta):
    _setattr(self, 'kind', kind)
    _setattr(self, 'projection', projection)
    _setattr(self, 'collection_field', collection_field)
    _setattr(self, 'counter_attribute', counter_attribute)
    _setattr(self, 'counter_delta', counter_delta)


# graphddb_runtime.spec.plans.ParamPlan
def _39(self, *, name, type, required, literals, element):
    _setattr(self, 'name', name)
    _setattr(self, 'type', type)
    _setattr(self, 'required', required)
    _setattr(self, 'literals', literals)
    _setattr(self, 'element', element)


# graphddb_runtime.spec.plans.ParamRef
def _40(self, *, name):
    _setattr(self, 'name', name)


# graphddb_runtime.spec.plans.QueryMethodPlan
def _41(self, *, contract, name, operation, resolution, input_arity, compose, stages, concurrency):
    _setattr(self, 'contract', contract)
    _setattr(self, 'name', name)
    _setattr(self, 'operation', operation)
    _setattr(self, 'resolution', resolution)
    _setattr(self, 'input_arity', input_arity)
    _setattr(self, 'compose', compose)
    _setattr(self, 'stages', stages)
    _setattr(self, 'concurrency', concurrency)


# graphddb_runtime.spec.plans.QueryPlan
def _42(self, *, id, params, cardinality, operations, stages, concurrency, explain_groups, depth, max_static_limit, indexed_ops):
    _setattr(self, 'id', id)
    _setattr(self, 'params', params)
    _setattr(self, 'cardinality', cardinality)
    _setattr(self, 'operations', operations)
    _setattr(self, 'stages', stages)
    _setattr(self, 'concurrency', concurrency)
    _setattr(self, 'explain_groups', explain_groups)
    _setattr(self, 'depth', depth)
    _setattr(self, 'max_static_limit', max_static_limit)
    _setattr(self, 'indexed_ops', indexed_ops)


# graphddb_runtime.spec.plans.RangePlan
def _43(self, *, operator, key, values, clause, aliases):
    _setattr(self, 'operator', operator)
    _setattr(self, 'key', key)
    _setattr(self, 'values', values)
    _setattr(self, 'clause', clause)
    _setattr(self, 'aliases', aliases)


# graphddb_runtime.spec.plans.ReadOpPlan
def _44(self, *, index, type, table, index_name, entity, key, range, scan_forward, filter, projection, formats, limit, key_condition_expression, key_names, projection_expression, projection_names, cursor_attributes, partition_attribute, result_path, tokens, parent_tokens, property, connection, producer, depth, relation_path, source_field, result_fields, continuation, filter_spec):
    _setattr(self, 'index', index)
    _setattr(self, 'type', type)
    _setattr(self, 'table', table)
    _setattr(self, 'index_name', index_name)
    _setattr(self, 'entity', entity)
    _setattr(self, 'key', key)
    _setattr(self, 'range', range)
    _setattr(self, 'scan_forward', scan_forward)
    _setattr(self, 'filter', filter)
    _setattr(self, 'projection', projection)
    _setattr(self, 'formats', formats)
    _setattr(self, 'limit', limit)
    _setattr(self, 'key_condition_expression', key_condition_expression)
    _setattr(self, 'key_names', key_names)
    _setattr(self, 'projection_expression', projection_expression)
    _setattr(self, 'projection_names', projection_names)
    _setattr(self, 'cursor_attributes', cursor_attributes)
    _setattr(self, 'partition_attribute', partition_attribute)
    _setattr(self, 'result_path', result_path)
    _setattr(self, 'tokens', tokens)
    _setattr(self, 'parent_tokens', parent_tokens)
    _setattr(self, 'property', property)
    _setattr(self, 'connection', connection)
    _setattr(self, 'producer', producer)
    _setattr(self, 'depth', depth)
    _setattr(self, 'relation_path', relation_path)
    _setattr(self, 'source_field', source_field)
    _setattr(self, 'result_fields', result_fields)
    _setattr(self, 'continuation', continuation)
    _setattr(self, 'filter_spec', filter_spec)


# graphddb_runtime.spec.plans.TableSchema
def _45(self, *, name, key_attributes, indexes):
    _setattr(self, 'name', name)
    _setattr(self, 'key_attributes', key_attributes)
    _setattr(self, 'indexes', indexes)


# graphddb_runtime.spec.plans.TransactionItemPlan
def _46(self, *, index, type, table, entity, literal_key, item, key, changes, add, maintain, condition, for_each, when):
    _setattr(self, 'index', index)
    _setattr(self, 'type', type)
    _setattr(self, 'table', table)
    _setattr(self, 'entity', entity)
    _setattr(self, 'literal_key', literal_key)
    _setattr(self, 'item', item)
    _setattr(self, 'key', key)
    _setattr(self, 'changes', changes)
    _setattr(self, 'add', add)
    _setattr(self, 'maintain', maintain)
    _setattr(self, 'condition', condition)
    _setattr(self, 'for_each', for_each)
    _setattr(self, 'when', when)


# graphddb_runtime.spec.plans.TransactionPlan
def _47(self, *, id, params, items, max_items):
    _setattr(self, 'id', id)
    _setattr(self, 'params', params)
    _setattr(self, 'items', items)
    _setattr(self, 'max_items', max_items)


# graphddb_runtime.spec.plans.WhenPlan
def _48(self, *, left, op, right):
    _setattr(self, 'left', left)
    _setattr(self, 'op', op)
    _setattr(self, 'right', right)


# graphddb_runtime.spec.rules._registry.Rule
def _49(self, ids, check):
    _setattr(self, 'ids', ids)
    _setattr(self, 'check', check)


# graphddb_runtime.spec.rules._sites.Scope
def _50(self, owner, params, relation, producer, producer_projection, for_each, element):
    self.owner = owner
    self.params = params
    self.relation = relation
    self.producer = producer
    self.producer_projection = producer_projection
    self.for_each = for_each
    self.element = element


# graphddb_runtime.spec.rules._sites.TreeReport
def _51(self, issues, markers, clauses):
    self.issues = issues
    self.markers = markers
    self.clauses = clauses


INITS: dict[str, tuple[str, Any]] = {
    'graphddb_runtime._execute.batch.Batching': ('298ef1f664b1a057', _0),
    'graphddb_runtime._execute.contracts.reads.MethodOptions': ('d7c823bf1d9a8dbc', _1),
    'graphddb_runtime._execute.contracts.reads._Single': ('7b59b4aa367bc1fa', _2),
    'graphddb_runtime._execute.engine.Engine': ('7f14a4817ce6d9a9', _3),
    'graphddb_runtime._execute.fetch.Reader': ('003ed147f511d42d', _4),
    'graphddb_runtime._execute.reads.ReadOptions': ('2e087ddb10064d74', _5),
    'graphddb_runtime._execute.reads._Call': ('ef4c9425316b5e34', _6),
    'graphddb_runtime._execute.transactions.items.Actions': ('3c344e6151ec3b1b', _7),
    'graphddb_runtime._execute.transactions.items.Built': ('15f6d69700bcbd7a', _8),
    'graphddb_runtime._execute.transactions.rewrite._Op': ('5bb0e595402410de', _9),
    'graphddb_runtime._values.templates.Template': ('5a2a22a2d5a37925', _10),
    'graphddb_runtime.errors.CancellationReason': ('b22ea1558c5b05ea', _11),
    'graphddb_runtime.errors.SpecIssue': ('87b786b07f150ae4', _12),
    'graphddb_runtime.limits.RuntimeLimits': ('5fdf9115472b8f20', _13),
    'graphddb_runtime.middleware.MiddlewareRuntime': ('49bce0aa859cd2ec', _14),
    'graphddb_runtime.middleware.PersistCtx': ('358f768081251dff', _15),
    'graphddb_runtime.middleware.ReadOpCtx': ('7ec030cb4f9f8eec', _16),
    'graphddb_runtime.middleware.ReadRequestCtx': ('65ad8fd86d40a460', _17),
    'graphddb_runtime.middleware.WriteCtx': ('f06ba8e4b20a48e3', _18),
    'graphddb_runtime.middleware.WriteRuntime': ('bdd2adcb638d8ce9', _19),
    'graphddb_runtime.spec.LoadedSpec': ('20b4dbe136b17f3b', _20),
    'graphddb_runtime.spec._context.EntityInfo': ('039a6c703e4e3fed', _21),
    'graphddb_runtime.spec._context.GsiInfo': ('1f271f9318482bd8', _22),
    'graphddb_runtime.spec._context.OpInfo': ('cd9b7d0f9dbcac28', _23),
    'graphddb_runtime.spec._context.QueryInfo': ('80aed3ff54008493', _24),
    'graphddb_runtime.spec._context.TableInfo': ('94eb332b5f09fc12', _25),
    'graphddb_runtime.spec._read.Document': ('0cc5eaf359f308da', _26),
    'graphddb_runtime.spec.plans.Catalog': ('c657bca1429e47fa', _27),
    'graphddb_runtime.spec.plans.CommandMethodPlan': ('3da4dac1a9948bde', _28),
    'graphddb_runtime.spec.plans.CommandPlan': ('669a1fa2a6e9b1ad', _29),
    'graphddb_runtime.spec.plans.ComposeEdgePlan': ('2c57781f94c52e93', _30),
    'graphddb_runtime.spec.plans.ConditionPlan': ('d252385d5ecc9257', _31),
    'graphddb_runtime.spec.plans.ContractPlan': ('7919779e8c6907c8', _32),
    'graphddb_runtime.spec.plans.EntityPlan': ('6ff19da27afa651c', _33),
    'graphddb_runtime.spec.plans.ExpressionPlan': ('1dc06069eaed2596', _34),
    'graphddb_runtime.spec.plans.GsiPlan': ('b1dc505cab6c8125', _35),
    'graphddb_runtime.spec.plans.Literal': ('d1158301b2cc31fc', _36),
    'graphddb_runtime.spec.plans.MaintainField': ('024fafa16895b15c', _37),
    'graphddb_runtime.spec.plans.MaintainPlan': ('0c1bff2cc71a05dd', _38),
    'graphddb_runtime.spec.plans.ParamPlan': ('3ce4da8e5805f130', _39),
    'graphddb_runtime.spec.plans.ParamRef': ('fab1e90949aa626b', _40),
    'graphddb_runtime.spec.plans.QueryMethodPlan': ('8bc8754f082b398a', _41),
    'graphddb_runtime.spec.plans.QueryPlan': ('b1d4a9e63c4348f8', _42),
    'graphddb_runtime.spec.plans.RangePlan': ('2d5068dc63d9d626', _43),
    'graphddb_runtime.spec.plans.ReadOpPlan': ('ea3249dfb10382d3', _44),
    'graphddb_runtime.spec.plans.TableSchema': ('5ae02949e5984a13', _45),
    'graphddb_runtime.spec.plans.TransactionItemPlan': ('34046442ea832ead', _46),
    'graphddb_runtime.spec.plans.TransactionPlan': ('0d7e410e371237ea', _47),
    'graphddb_runtime.spec.plans.WhenPlan': ('e7d925730be84060', _48),
    'graphddb_runtime.spec.rules._registry.Rule': ('6a9c49a484304842', _49),
    'graphddb_runtime.spec.rules._sites.Scope': ('0f7c5435ea2db438', _50),
    'graphddb_runtime.spec.rules._sites.TreeReport': ('405de51792241751', _51),
}
