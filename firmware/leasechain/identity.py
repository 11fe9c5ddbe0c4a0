"""The device's identity: an Ed25519 key created on the board at first boot.

The 32-byte seed is the only secret.  It is drawn from the hardware RNG
(``os.urandom`` on the ESP32), written once and atomically to ``key.bin``,
and never leaves the device; the public key and device id are derived from
it at every boot.  A key file that exists but is damaged stops the device:
making a new key silently would turn it into a different, unenrolled device.
"""

import hashlib
import os

from . import ed25519

KEY_FILE = "key.bin"
_MAGIC = b"LCK1"


class IdentityError(Exception):
    """The key file exists but is not a valid key."""


def device_id(public_key):
    """First 16 bytes of SHA-256(public key) (docs/protocol.md section 1)."""
    return hashlib.sha256(bytes(public_key)).digest()[:16]


def device_hex(device):
    """Text form of a device id: 32 lowercase hex digits."""
    return "".join("%02x" % b for b in device)


def _pack(seed):
    return _MAGIC + seed + hashlib.sha256(_MAGIC + seed).digest()[:4]


def _unpack(data):
    if len(data) != 40 or data[:4] != _MAGIC:
        raise IdentityError(
            "key file is %d bytes or has the wrong magic; expected a 40-byte LCK1 record" % len(data)
        )
    seed = data[4:36]
    if hashlib.sha256(_MAGIC + seed).digest()[:4] != data[36:]:
        raise IdentityError("key file fails its checksum")
    return seed


def load_or_create(store, rng=None, make_key=None):
    """The device's signing key and whether it was created now.

    ``rng(n)`` gives n random bytes (default ``os.urandom``); ``make_key(seed)``
    builds the signer (default the firmware's own Ed25519; the fleet simulator
    passes a libsodium one, which signs the same bytes).
    """
    make_key = make_key or ed25519.SigningKey
    data = store.read(KEY_FILE)
    if data is not None:
        return make_key(_unpack(data)), False
    seed = (rng or os.urandom)(32)
    if len(seed) != 32 or len(set(seed)) < 8:
        # A stuck or unseeded RNG must not become a key anyone could guess.
        raise IdentityError(
            "random source gave %d bytes with %d distinct values" % (len(seed), len(set(seed)))
        )
    store.write(KEY_FILE, _pack(seed))
    return make_key(seed), True
