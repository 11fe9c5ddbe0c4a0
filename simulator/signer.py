"""libsodium (PyNaCl) signing for virtual devices, in the firmware's key interface.

The firmware's identity module takes a ``make_key(seed)`` factory
(firmware/leasechain/identity.py); this is the one the simulator passes.
Ed25519 is deterministic, so these signatures are byte-identical to the
firmware's own pure-Python signer for the same seed (tests/simulator/test_signer.py).
"""

from __future__ import annotations

from nacl.bindings import crypto_sign, crypto_sign_seed_keypair


class NaclSigner:
    """An Ed25519 key with ``public_key`` (32 bytes) and ``sign(data) -> 64 bytes``."""

    __slots__ = ("_secret", "public_key")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError(f"an Ed25519 seed is 32 bytes, got {len(seed)}")
        self.public_key, self._secret = crypto_sign_seed_keypair(bytes(seed))

    def sign(self, data: bytes) -> bytes:
        """The 64-byte signature of ``data``."""
        return bytes(crypto_sign(bytes(data), self._secret)[:64])

    @property
    def seed(self) -> bytes:
        """The 32-byte seed (libsodium keeps it as the first half of the secret key)."""
        return bytes(self._secret[:32])
