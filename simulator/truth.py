"""Ground truth: every message the fleet sent, what it was and what a correct system must do with it."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field

ACCEPT = "accept"
REJECT = "reject"
EITHER = "either"  # too close to a limit to predict; never counted against the system


@dataclass(slots=True)
class Sent:
    """One distinct message (by its bytes) and what happened when it was published."""

    digest: bytes
    device: str  # hex device id named by the message (or the topic, for garbage)
    boot: int
    seq: int
    kind: str  # "reading" or the fault that made it
    expect: str  # ACCEPT or REJECT
    reason: str  # the rejection reason a verifier must give ("" when accepted, "*" for any)
    size: int
    first_publish: float = 0.0  # wall-clock time of the first PUBLISH written
    acked_at: float = 0.0  # wall-clock time of the first PUBACK (0: never acknowledged)
    copies: int = 0  # PUBLISH packets written with these bytes
    run_seconds: int = 0


@dataclass
class Truth:
    """Everything sent, by digest, and the fault counts that produced it."""

    sent: dict[bytes, Sent] = field(default_factory=dict)
    injected: Counter[str] = field(default_factory=Counter)
    signed: int = 0  # genuine readings signed by devices
    dropped_by_devices: int = 0  # readings devices discarded from full outboxes
    pending_at_end: int = 0  # readings still in device outboxes when the run ended
    publish_errors: int = 0
    reconnects: int = 0

    def add(
        self,
        message: bytes,
        device: str,
        boot: int,
        seq: int,
        kind: str,
        expect: str,
        reason: str = "",
        run_seconds: int = 0,
        digest: bytes | None = None,
    ) -> Sent:
        """Register a message before its first publish (the same bytes again return the same record).

        ``digest`` is the message's SHA-256 when the caller has it already.
        """
        if digest is None:
            digest = hashlib.sha256(message).digest()
        entry = self.sent.get(digest)
        if entry is None:
            entry = Sent(
                digest, device, boot, seq, kind, expect, reason, len(message), run_seconds=run_seconds
            )
            self.sent[digest] = entry
        return entry

    @staticmethod
    def published(entry: Sent) -> None:
        """Note a PUBLISH of ``entry`` written now."""
        if not entry.copies:
            entry.first_publish = time.time()
        entry.copies += 1

    @staticmethod
    def acked(entry: Sent) -> None:
        """Note a PUBACK for ``entry``."""
        if not entry.acked_at:
            entry.acked_at = time.time()
