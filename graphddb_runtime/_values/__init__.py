"""Values: from a caller's params and a plan's templates to DynamoDB AttributeValues.

Stage contract: everything here is pure (no I/O, no shared mutable state, never imports
``_execute``). It owns the ``{name}`` template language (``templates``), parameter validation
(``params``), value and key resolution into request dicts (``requests``, ``getters``), the
AttributeValue codec and hydration (``codec``), and DynamoDB's value rules and sizes
(``avrules``, ``sizes``, ``datetimes``). A value is accepted or rejected the same way wherever
it is used, before any DynamoDB call.
"""
