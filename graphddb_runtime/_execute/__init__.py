"""Execution: run one call of a compiled plan against DynamoDB.

Stage contract: an executor takes the :class:`~graphddb_runtime._execute.engine.Engine` (fixed at
construction), validates the call's params and options, runs every pre-flight check, and only
then sends requests built by the pure functions of ``_values`` through
:class:`~graphddb_runtime._execute.client.Sender`, the only caller of the botocore client.
Modules: ``engine`` (leaf), ``client`` (send and translate errors), ``options`` (call options),
``fetch`` (one page), ``reads`` (queries and ``explain``), ``legs`` and ``relations`` (relation
stages), ``writes`` (commands), ``batch`` (BatchGetItem / BatchWriteItem with retries),
``transactions/``, ``contracts/`` and ``hooks/`` (middleware).
"""
