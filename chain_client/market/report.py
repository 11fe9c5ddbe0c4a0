"""A service's signature over the report it delivers, checkable off the ledger (docs/market.md)."""

from __future__ import annotations

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

REPORT_CONTEXT = b"LeaseChain report v1\x00"


def report_message(order: str, report: bytes) -> bytes:
    """The signed bytes: the context, the order id in UTF-8, a NUL, the report document's SHA-256."""
    return REPORT_CONTEXT + order.encode() + b"\x00" + report


def sign_report(key: SigningKey, order: str, report: bytes) -> bytes:
    """The service's 64-byte signature of report digest ``report`` delivered for ``order``."""
    return key.sign(report_message(order, report)).signature


def report_signed(public_key: bytes, order: str, report: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s signature of ``report`` for ``order``."""
    try:
        VerifyKey(public_key).verify(report_message(order, report), signature)
    except BadSignatureError:
        return False
    return True
