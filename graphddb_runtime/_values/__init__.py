"""Values: the template language and the AttributeValue codec (the lowest layer).

Stage contract: pure (no I/O, no shared mutable state) and independent of plans: it imports
neither ``spec`` nor ``_bind`` nor ``_execute``. It owns the ``{name}`` template language
(``templates``: parse once, resolve per call), the AttributeValue codec and hydration
(``codec``), and DynamoDB's value rules and sizes (``avrules``, ``sizes``, ``datetimes``), so a
value is accepted or rejected the same way wherever it is used.
"""
