"""Sign, decode and verify protocol messages (COSE_Sign1 over a payload map).

Verification works on the exact bytes received: the signature is checked
over the Sig_structure built from the received protected-header and payload
bytes, never over a re-encoding of decoded values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import cbor2
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from chain_client import cbor, cose
from chain_client.device import device_id
from chain_client.errors import ProtocolError
from chain_client.payload import (
    BIRTH_KEY_ORDER,
    K_READINGS,
    K_USAGE,
    READING_KEY_ORDER,
    USAGE_KEY_ORDER,
    Birth,
    Reading,
    from_map,
)
from chain_client.reasons import Reason


@dataclass(frozen=True)
class Message:
    """A structurally valid message: envelope plus validated payload."""

    envelope: cose.Sign1
    body: Reading | Birth

    @property
    def raw(self) -> bytes:
        """The exact bytes as received."""
        return self.envelope.raw

    @property
    def device_id(self) -> bytes:
        """The sending device's id (kid, equal to the payload's device id)."""
        return self.envelope.kid

    @property
    def digest(self) -> bytes:
        """SHA-256 of the exact message bytes: the link in the device's hash chain."""
        return digest(self.envelope.raw)


def digest(message: bytes) -> bytes:
    """SHA-256 of the message bytes; the next reading's ``prev`` must equal it."""
    return hashlib.sha256(message).digest()


def sign(body: Reading | Birth, key: SigningKey) -> bytes:
    """Encode ``body`` and sign it with the device's key into a COSE_Sign1 message."""
    kid = device_id(bytes(key.verify_key))
    if body.device_id != kid:
        raise ProtocolError(
            Reason.KID_MISMATCH, f"payload device id {body.device_id.hex()} is not the key's {kid.hex()}"
        )
    fields = body.to_map()
    from_map(fields)  # never sign what a verifier would refuse
    protected = cose.protected_header(kid)
    payload = cbor.dumps(fields)
    signature = key.sign(cose.sig_structure(protected, payload)).signature
    message = cose.assemble(protected, payload, signature)
    if len(message) > cose.MAX_MESSAGE_SIZE:
        raise ProtocolError(
            Reason.OVERSIZE, f"message would be {len(message)} bytes, limit is {cose.MAX_MESSAGE_SIZE}"
        )
    return message


_INT_ONLY = {int}


def _payload_fast(data: bytes) -> Reading | Birth | None:
    """The payload of a conforming sender in one decoder pass; ``None`` means "take the general path".

    It accepts exactly what the general path (``cbor.loads`` then ``from_map``)
    accepts, in about half the time, because ``from_map`` already checks every
    value's type and range: what is left is map-key order (compared against
    the one canonical order) and shortest heads (the re-encoding must equal
    the bytes received).  Anything else, valid or not, returns ``None`` and
    goes through the general path, which names the precise reason.
    """
    try:
        value = cbor.strict_decode(data)
    except Exception:  # noqa: BLE001 - the general path reports it
        return None
    if type(value) is not dict:
        return None
    keys = tuple(value)
    # Compared by type too: CBOR true and 1.0 are equal to 1 as dictionary keys, yet other items.
    if (keys != READING_KEY_ORDER and keys != BIRTH_KEY_ORDER) or set(map(type, keys)) != _INT_ONLY:
        return None
    try:
        body = from_map(value)
    except ProtocolError:
        return None
    if isinstance(body, Reading):
        sensors = list(value[K_READINGS])
        # Sensor ids are unsigned integers (checked by from_map), whose canonical order is numeric.
        usage = tuple(value[K_USAGE])
        if usage != USAGE_KEY_ORDER or set(map(type, usage)) != _INT_ONLY or sensors != sorted(sensors):
            return None
    if cbor2.dumps(value) != data:
        return None
    return body


def decode(data: bytes) -> Message:
    """Parse and validate a message without checking its signature."""
    envelope = cose.parse(data)
    body = _payload_fast(envelope.payload) or from_map(cbor.loads(envelope.payload, what="payload"))
    if body.device_id != envelope.kid:
        raise ProtocolError(
            Reason.KID_MISMATCH,
            f"kid {envelope.kid.hex()} differs from payload device id {body.device_id.hex()}",
        )
    return Message(envelope=envelope, body=body)


def check_signature(message: Message, public_key: bytes, verified: bool | None = None) -> None:
    """Check the signature of a decoded message against ``public_key``.

    ``verified`` is the outcome of the Ed25519 check when it has been made
    already (:func:`chain_client.signatures.verify_many` checks many at
    once); the device id is checked against the key either way.
    """
    if verified is None and device_id(public_key) == message.device_id:
        try:
            VerifyKey(public_key).verify(message.envelope.to_be_signed(), message.envelope.signature)
            verified = True
        except BadSignatureError:
            verified = False
    check_outcome(message.device_id, public_key, bool(verified))


def check_outcome(device: bytes, public_key: bytes, verified: bool) -> None:
    """:func:`check_signature` of a message of ``device`` once the Ed25519 outcome is known."""
    if device_id(public_key) != device:
        raise ProtocolError(Reason.KID_MISMATCH, f"public key does not belong to device {device.hex()}")
    if not verified:
        raise ProtocolError(Reason.BAD_SIGNATURE, f"signature does not verify for device {device.hex()}")


def verify(data: bytes, public_key: bytes) -> Message:
    """Decode ``data`` and check it was signed by ``public_key``."""
    message = decode(data)
    check_signature(message, public_key)
    return message


def verify_birth(data: bytes) -> Message:
    """Decode a birth message and check it against the public key it carries."""
    message = decode(data)
    if not isinstance(message.body, Birth):
        raise ProtocolError(Reason.BAD_PAYLOAD, "expected a birth message (type 2), got a reading")
    check_signature(message, message.body.public_key)
    return message
