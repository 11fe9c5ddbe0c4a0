"""Ed25519 checks of many signatures at once, with the interpreter lock released for all of them.

A verifier thread that calls PyNaCl once per message must win the GIL back
after every signature; beside the gateway's busy Python threads it waits a
switch interval each time and verifies only a few hundred messages a
second.  :func:`verify_many` hands the whole list to the small C helper
``chain_client._sigbatch``, which calls libsodium's ``crypto_sign_verify_detached``
(the check behind PyNaCl's ``VerifyKey.verify``), found by the helper itself
in the libsodium PyNaCl loads, in one loop without the GIL, so the outcome of
every check is PyNaCl's.

The helper is built with the package when a C compiler and the Python
headers are present (``pip install`` says so if it was skipped).  Without it
:func:`verify_many` checks one signature per PyNaCl call: the same answers,
more slowly.  :data:`BATCHED` tells which path is in use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

_VerifyMany = Callable[[Sequence[bytes], Sequence[bytes], Sequence[bytes]], bytes]


def _load_helper() -> _VerifyMany | None:
    try:
        from chain_client._sigbatch import verify_many as helper
    except ImportError:  # not built, or PyNaCl's libsodium not found or failing the helper's self-test
        return None
    return helper


_HELPER = _load_helper()
BATCHED = _HELPER is not None


def _open_one(key: bytes, signature: bytes, message: bytes) -> bool:
    if len(key) != 32 or len(signature) != 64:  # PyNaCl's binding would read past a shorter key
        return False
    try:
        crypto_sign_open(signature + message, key)
    except (BadSignatureError, ValueError):
        return False
    return True


def verify_many(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """For each (public key, signature, message): whether the Ed25519 signature verifies.

    A key that is not 32 bytes or a signature that is not 64 bytes counts as
    not verifying.
    """
    if _HELPER is None:
        return [_open_one(*item) for item in items]
    keys, signatures, messages = zip(*items, strict=True) if items else ((), (), ())
    return [ok == 1 for ok in _HELPER(keys, signatures, messages)]
