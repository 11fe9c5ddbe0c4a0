"""The HTTP API's routes, one module a resource (docs/ledger.md, 'HTTP API').

Each module's ``add(api, context)`` puts its routes on the app's router; their handlers read through
:class:`backend.reads.Reads` and answer with the SDK's models (:mod:`backend.answers`).
"""
