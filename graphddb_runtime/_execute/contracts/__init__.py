"""Contract methods (docs/format.md sections 30 to 34): ``reads`` runs query methods (point,
range, key arrays, compositions), ``writes`` runs command methods (single, transaction, batch,
read-back) on the command and transaction executors.
"""
