"""Middleware around the executors (docs/format.md sections 35 to 41): ``writes`` runs W1 to W5
around one command, ``transactions`` runs them around a transaction's logical ops. Read hooks
(R1 to R5) run in ``_execute.fetch``.
"""
