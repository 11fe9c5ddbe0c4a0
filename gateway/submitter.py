"""Submitting sealed batches to the ledger backend.

A batch becomes one ``anchor_batch`` transaction (docs/ledger.md, 'Telemetry
anchoring'): its id is the batch id, its args the Merkle root, the count and
the original signed messages in leaf order, signed with the gateway's
service key.  Ed25519 is deterministic and the batch is fixed once sealed,
so every retry sends the same bytes, and the ledger answers a repeat with
``status: "duplicate"`` instead of anchoring twice.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Protocol

from nacl.signing import SigningKey

from chain_client import ledger
from gateway.errors import SubmitError
from gateway.store import Batch

ANCHOR_TYPE = "anchor_batch"


class Submitter(Protocol):
    """Something that anchors a batch; returns the backend's receipt as JSON text."""

    def submit(self, batch: Batch, leaves: Sequence[bytes]) -> str:
        """Anchor ``batch`` with its ``leaves``; raise :class:`SubmitError` on failure."""
        ...


def anchor_transaction(batch: Batch, leaves: Sequence[bytes], key: SigningKey) -> bytes:
    """The signed ``anchor_batch`` transaction of a batch."""
    if len(leaves) != batch.size:
        raise SubmitError(
            f"batch {batch.id} has {len(leaves)} stored messages, expected {batch.size}", retry=False
        )
    args = {"root": batch.root, "count": batch.size, "messages": list(leaves)}
    return ledger.sign(ANCHOR_TYPE, batch.id, args, key)


class HttpSubmitter:
    """Submits ``anchor_batch`` transactions with ``POST /v1/transactions``."""

    def __init__(self, url: str, key: SigningKey, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/") + "/v1/transactions"
        self.key = key
        self.timeout = timeout

    def submit(self, batch: Batch, leaves: Sequence[bytes]) -> str:
        """Post the batch's transaction; accepted and duplicate answers are both success."""
        body = anchor_transaction(batch, leaves, self.key)
        request = urllib.request.Request(  # noqa: S310 - the URL scheme is validated as http(s) in config
            self.url, data=body, method="POST", headers={"Content-Type": "application/cbor"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - see above
                text: str = response.read().decode()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            # 5xx and 429 are the backend's trouble; 403 and 404 are the site's enrolment (the
            # gateway's enterprise not certified yet), which an operator fixes on the ledger.
            # Every other status means this batch itself is refused: retrying cannot help.
            retry = exc.code >= 500 or exc.code in (403, 404, 429)
            raise SubmitError(
                f"backend answered {exc.code} for batch {batch.id}: {detail}", retry=retry
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SubmitError(f"backend unreachable at {self.url}: {reason}", retry=True) from None
        try:
            receipt = json.loads(text)
        except ValueError:
            raise SubmitError(
                f"backend answered with non-JSON for batch {batch.id}: {text[:200]!r}", retry=True
            ) from None
        status = receipt.get("status") if isinstance(receipt, dict) else None
        if status not in ("accepted", "duplicate"):
            raise SubmitError(f"backend did not accept batch {batch.id}: {text[:500]}", retry=False)
        return text
