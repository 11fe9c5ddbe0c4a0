"""Submitting sealed batches to the ledger backend.

A batch becomes one ``anchor_batch`` transaction (docs/ledger.md, 'Telemetry
anchoring'): its id is the batch id, its args the Merkle root and the count,
signed with the gateway's service key; the original signed messages travel
beside it, in leaf order (``POST /v1/batches``).  Ed25519 is deterministic and
the batch is fixed once sealed, so every retry sends the same bytes, and the
ledger answers a repeat with ``status: "duplicate"`` instead of anchoring twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol

from nacl.signing import SigningKey

from chain_client import ledger
from chain_client.client import LedgerClient
from chain_client.client.errors import BadResponseError, LedgerHTTPError, UnreachableError
from gateway.errors import SubmitError
from gateway.store import Batch

ANCHOR_TYPE = "anchor_batch"


class Submitter(Protocol):
    """Something that anchors a batch; returns the backend's receipt as JSON text."""

    def submit(self, batch: Batch, leaves: Sequence[bytes]) -> str:
        """Anchor ``batch`` with its ``leaves``; raise :class:`SubmitError` on failure."""
        ...


def anchor_transaction(batch: Batch, leaves: Sequence[bytes], key: SigningKey, log_key: bytes) -> bytes:
    """The signed ``anchor_batch`` transaction of a batch, for the ledger whose log key is ``log_key``."""
    if len(leaves) != batch.size:
        raise SubmitError(
            f"batch {batch.id} has {len(leaves)} stored messages, expected {batch.size}", retry=False
        )
    args = {"root": batch.root, "count": batch.size}
    return ledger.sign(ANCHOR_TYPE, batch.id, args, key, ledger=log_key)


class HttpSubmitter:
    """Submits ``anchor_batch`` transactions through the ledger SDK (``POST /v1/transactions``)."""

    def __init__(self, url: str, key: SigningKey, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.key = key
        # No retries inside the SDK: the anchoring loop has its own backoff with jitter.
        self.client = LedgerClient(self.url, timeout=timeout, retries=0)
        self.log_key: bytes | None = None

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()

    def _log_key(self) -> bytes:
        # Asked once: the transactions are bound to this ledger, and a backend that later
        # answered with another log key would be another ledger, refused by it anyway.
        if self.log_key is None:
            self.log_key = bytes.fromhex(self.client.info().log_key)
        return self.log_key

    def submit(self, batch: Batch, leaves: Sequence[bytes]) -> str:
        """Post the batch's transaction; accepted and duplicate answers are both success."""
        try:
            body = anchor_transaction(batch, leaves, self.key, self._log_key())
            receipt = self.client.submit_batch(body, leaves, tx_id=batch.id)
        except LedgerHTTPError as exc:
            # 5xx and 429 are the backend's trouble; 403 and 404 are the site's enrolment (the
            # gateway's enterprise not certified yet), which an operator fixes on the ledger.
            # Every other status means this batch itself is refused: retrying cannot help.
            retry = exc.status >= 500 or exc.status in (403, 404, 429)
            raise SubmitError(
                f"backend answered {exc.status} for batch {batch.id}: {exc.reason}: {exc.detail[:500]}",
                retry=retry,
            ) from None
        except UnreachableError as exc:
            raise SubmitError(f"backend unreachable: {exc}", retry=True) from None
        except BadResponseError as exc:
            raise SubmitError(f"unreadable answer for batch {batch.id}: {exc}", retry=True) from None
        if receipt.status not in ("accepted", "duplicate"):
            raise SubmitError(f"backend did not accept batch {batch.id}: {receipt.status}", retry=False)
        return json.dumps(receipt.model_dump(mode="json"))
