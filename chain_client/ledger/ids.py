"""Entity ids the ledger derives from signed data (docs/ledger.md, 'Entity ids').

The auditor recomputes them so that a bundle's entries are tied to the token,
lease and invoice they claim to be about.
"""

from __future__ import annotations

import hashlib


def token_id(manufacturer: str, serial: str) -> str:
    """``tok-`` + 16 hex digits of SHA-256(manufacturer public key || serial)."""
    return "tok-" + hashlib.sha256(bytes.fromhex(manufacturer) + serial.encode()).hexdigest()[:16]


def lease_id(signer: str, tx_id: str) -> str:
    """``lease-`` + 16 hex digits of SHA-256(offering signer's public key || transaction id)."""
    return "lease-" + hashlib.sha256(bytes.fromhex(signer) + tx_id.encode()).hexdigest()[:16]


def invoice_id(lease: str, period: int) -> str:
    """``<lease id>.<period index>``."""
    return f"{lease}.{period}"
