"""Ids the ledger derives for marketplace records (docs/market.md, 'Ids').

Like a lease's, each is a prefix and 16 hex digits of SHA-256 over the signer's public key and the
transaction id, so a client knows the id of what it submits before the ledger answers.
"""

from __future__ import annotations

import hashlib

REQUEST = "req-"
LISTING = "list-"
GUARANTEE = "guar-"
ORDER = "order-"


def derived_id(prefix: str, signer: str, tx_id: str) -> str:
    """``prefix`` + 16 hex digits of SHA-256(signer public key || transaction id in UTF-8)."""
    return prefix + hashlib.sha256(bytes.fromhex(signer) + tx_id.encode()).hexdigest()[:16]
