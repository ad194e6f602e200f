"""Declarative transactions (docs/format.md sections 24 to 28).

``items`` expands ``forEach`` / ``when`` into built items (compiled once per runtime by
``compile`` / ``values`` / ``derive`` / ``validate`` on the ``source`` emitter); ``execute``
collapses same-row items, runs the pre-flight (cap, sizes) and sends one TransactWriteItems.
"""
