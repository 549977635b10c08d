"""The Whoosh search backend: the only code of the project that imports ``whoosh``.

Kept empty on purpose: extraction workers import ``kb.whoosh_backend.prepare`` (pure Python)
through this package, and must not load Whoosh. ``kb.backend.open_backend`` imports the engine
(``kb.whoosh_backend.engine``) when a base is opened. Modules that lean on private parts of
Whoosh are in ``internals``, one per concern, each checked by ``tests/engine``.
"""
