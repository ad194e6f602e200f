"""The hook stages the executors run (docs/format.md sections 35 to 41): ``reads`` runs R1 to R5
around a read call and each physical read, ``writes`` runs W1 to W5 around one command (the
persist stage is shared with transactions, whose W1 rewrites are ``transactions.rewrite``).
"""
