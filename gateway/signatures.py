"""Ed25519 checks of many signatures at once, with the interpreter lock released for all of them.

A verifier thread that calls PyNaCl once per message must win the GIL back
after every signature; beside the gateway's busy Python threads it waits a
switch interval each time and verifies only a few hundred messages a
second.  :func:`verify_many` hands the whole list to the small C helper
``gateway._sigbatch``, which calls the same libsodium function PyNaCl calls
(``crypto_sign_open``, taken from PyNaCl's own libsodium) in one loop
without the GIL, so the outcome of every check is PyNaCl's.

The helper is built with the package when a C compiler and the Python
headers are present (``pip install`` says so if it was skipped).  Without it
:func:`verify_many` checks one signature per PyNaCl call: the same answers,
more slowly.  :data:`BATCHED` tells which path is in use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

_OpenMany = Callable[[int, Sequence[bytes], Sequence[bytes]], bytes]


def _load_helper() -> tuple[_OpenMany, int] | None:
    try:
        from gateway._sigbatch import open_many

        # PyNaCl's bundled libsodium, the one its own verify calls (a compiled module without hints).
        sodium = importlib.import_module("nacl._sodium")
        address = int(sodium.ffi.cast("uintptr_t", sodium.lib.crypto_sign_open))
    except (ImportError, AttributeError):  # not built, or a PyNaCl laid out otherwise
        return None
    return open_many, address


_HELPER = _load_helper()
BATCHED = _HELPER is not None


def _open_one(signed: bytes, key: bytes) -> bool:
    if len(key) != 32:  # PyNaCl's binding would read past a shorter key
        return False
    try:
        crypto_sign_open(signed, key)
    except (BadSignatureError, ValueError):
        return False
    return True


def verify_many(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """For each (public key, signature, message): whether the Ed25519 signature verifies.

    A key that is not 32 bytes or a signature that is not 64 bytes counts as
    not verifying.
    """
    keys = [key for key, _, _ in items]
    signed = [signature + message if len(signature) == 64 else b"" for _, signature, message in items]
    if _HELPER is None:
        return [_open_one(s, k) for s, k in zip(signed, keys, strict=True)]
    open_many, address = _HELPER
    return [ok == 1 for ok in open_many(address, signed, keys)]
