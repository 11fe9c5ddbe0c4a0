"""COSE_Sign1 (RFC 9052) builder, restricted as docs/protocol.md section 2 says.

Tag 18; protected header ``{1: -8, 4: kid}`` (alg EdDSA, kid = device id);
empty unprotected map; attached payload; 64-byte Ed25519 signature over the
Sig_structure ``["Signature1", protected, h'', payload]``.
"""

from . import cbor
from .const import const

_TAG_SIGN1 = const(18)
_ALG_EDDSA = const(-8)
_HEADER_ALG = const(1)
_HEADER_KID = const(4)
_MAX_MESSAGE_SIZE = const(1024)


class MessageTooLargeError(ValueError):
    """The signed message would exceed the protocol's 1024-byte limit."""


def protected_header(kid):
    """Canonical bytes of the protected header for ``kid``."""
    return cbor.dumps({_HEADER_ALG: _ALG_EDDSA, _HEADER_KID: kid})


def sig_structure(protected, payload):
    """The bytes the signature covers (RFC 9052 section 4.4, empty external AAD)."""
    return cbor.dumps(["Signature1", protected, b"", payload])


def sign1(payload, signer, kid):
    """Sign ``payload`` (encoded CBOR) into a complete COSE_Sign1 message.

    ``signer`` is anything with ``sign(data) -> 64 bytes``; ``kid`` the 16-byte
    device id.  Raises MessageTooLargeError past 1024 bytes.
    """
    protected = protected_header(kid)
    signature = signer.sign(sig_structure(protected, payload))
    message = cbor.dumps(cbor.Tag(_TAG_SIGN1, [protected, {}, payload, signature]))
    if len(message) > _MAX_MESSAGE_SIZE:
        raise MessageTooLargeError("message is %d bytes, limit %d" % (len(message), _MAX_MESSAGE_SIZE))
    return message
