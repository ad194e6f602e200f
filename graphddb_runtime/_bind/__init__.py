"""Binding: a compiled plan plus a caller's params becomes exact boto3 request kwargs.

Stage contract: pure functions (no I/O, no shared mutable state; never imports ``_execute``).
``params`` validates the caller's params against a plan (section 6.2); ``requests`` resolves the
plan's templates into AttributeValues and builds the request dicts in
the key order docs/format.md gives; ``keys`` derives base and GSI keys (the one deriver of
commands and transactions); ``getters`` compiles a plan value into a closure for paths
that resolve the same template many times.
"""
