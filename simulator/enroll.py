"""Enrol the fleet on the ledger: one equipment token per device, its key bound, some revoked.

Through the SDK (chain_client.client).  Every transaction has an id derived
from the device's serial, so enrolling the same fleet again (same seed)
changes nothing: the ledger answers ``duplicate`` or the device is skipped
because its key is already bound.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nacl.signing import SigningKey

from chain_client.client import LedgerClient, NotFoundError, RejectedError
from chain_client.client.transactions import SignedTx
from chain_client.ledger import TxReason
from simulator.errors import SimError

CHUNK = 400  # transactions per batch request
_HARMLESS = {TxReason.DUPLICATE_TOKEN, TxReason.DEVICE_ALREADY_BOUND, TxReason.DEVICE_IN_USE}


@dataclass(frozen=True)
class Enrolment:
    """One device to enrol: its token serial and model, its key, whether to revoke it afterwards."""

    serial: str
    model: str
    public_key: bytes
    revoke: bool = False


def token_id(manufacturer: bytes, serial: str) -> str:
    """The ledger's id of the token a manufacturer mints under ``serial`` (docs/ledger.md)."""
    return "tok-" + hashlib.sha256(manufacturer + serial.encode()).hexdigest()[:16]


def certify(url: str, key: SigningKey, name: str, roles: Sequence[str], reviewer: SigningKey | None) -> None:
    """Make sure ``key``'s enterprise is certified in ``roles``; approve it with ``reviewer`` if needed."""
    account = bytes(key.verify_key).hex()
    with LedgerClient(url, key) as client:
        try:
            status = client.enterprise(account).status
        except NotFoundError:
            status = ""
        if status == "approved":
            return
        if status != "pending":
            client.register_enterprise(name, list(roles), {"source": "leasechain-sim"})
    if reviewer is None:
        raise SimError(
            f"enterprise {account} ({name}) is not certified on {url}; pass a reviewer key "
            "(--reviewer-key, e.g. the backend's operator.key) to approve it"
        )
    with LedgerClient(url, reviewer) as review:
        review.approve_enterprise(account, "fleet simulator")


def _submit(client: LedgerClient, txs: list[SignedTx]) -> None:
    for start in range(0, len(txs), CHUNK):
        chunk = txs[start : start + CHUNK]
        for tx, outcome in zip(chunk, client.submit_many(tx.raw for tx in chunk), strict=True):
            if isinstance(outcome, RejectedError) and outcome.tx_reason not in _HARMLESS:
                raise SimError(f"the ledger refused {tx.type} {tx.id}: {outcome.reason} ({outcome.detail})")


def enroll(
    url: str,
    manufacturer: SigningKey,
    devices: Sequence[Enrolment],
    progress: Callable[[str], None] | None = None,
    fee_terms: Sequence[tuple[str, int]] = (),
) -> dict[str, str]:
    """Mint (with ``fee_terms``), bind and (where asked) revoke; return public key hex -> token id."""
    maker = bytes(manufacturer.verify_key)
    tokens = {d.public_key.hex(): token_id(maker, d.serial) for d in devices}
    with LedgerClient(url, manufacturer, timeout=120) as client:
        known = {b.public_key: b for b in client.devices().devices}
        tx = client.tx
        binds: list[SignedTx] = []
        for d in devices:
            if d.public_key.hex() in known:
                continue
            binds.append(
                tx.mint_token(
                    d.serial,
                    d.model,
                    price=100_000,
                    salvage_value=10_000,
                    shares=100,
                    share_price=1_000,
                    specs={"sensor": "leasechain-sim"},
                    fee_terms=fee_terms,
                    tx_id=f"mint-{d.serial}",
                )
            )
            binds.append(tx.bind_device(tokens[d.public_key.hex()], d.public_key, tx_id=f"bind-{d.serial}"))
        if progress is not None:
            progress(f"enrolling {len(binds) // 2} devices ({len(devices) - len(binds) // 2} already bound)")
        _submit(client, binds)
        revokes: list[SignedTx] = []
        for d in devices:
            binding = known.get(d.public_key.hex())
            if d.revoke and (binding is None or binding.status == "active"):
                token = tokens[d.public_key.hex()]
                revokes.append(tx.revoke_device(token, "simulated revocation", tx_id=f"revoke-{d.serial}"))
        _submit(client, revokes)
    return tokens
