"""The HTTP API's routes, one module a resource (docs/ledger.md, 'HTTP API').

Each module's ``router(context)`` returns a FastAPI router whose handlers read through
:class:`backend.reads.Reads` and answer with the SDK's models (:mod:`backend.answers`).
"""
