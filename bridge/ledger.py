"""What the bridge reads from the ledger: the signed checkpoint, recorded anchors, tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bridge.errors import BridgeError
from chain_client.client import LedgerClient
from chain_client.client import models as m
from chain_client.client.answers import check
from chain_client.tlog import Checkpoint, VerifierKey, parse_vkey, verify_checkpoint, verify_cosignatures
from chain_client.tlog.errors import NoteError
from chain_client.tlog.note import Note

# A checkpoint note is three lines and a signature line per witness: a few KiB at most.
MAX_CHECKPOINT = 64 * 1024


@dataclass(frozen=True)
class Witnessed:
    """The ledger's checkpoint, its log signature checked, and how many witnesses co-signed it."""

    checkpoint: Checkpoint
    cosignatures: int


def count_cosignatures(note: Note, witnesses: Sequence[VerifierKey]) -> int:
    """Cosignature lines that verify under one of ``witnesses``; the log's own line never counts."""
    return len(verify_cosignatures(note, witnesses)) if witnesses else 0


class LedgerView:
    """The ledger's HTTP API, as far as the bridge needs it."""

    def __init__(
        self, client: LedgerClient, witnesses: Sequence[VerifierKey], pinned: VerifierKey | None = None
    ) -> None:
        self.client = client
        self.witnesses = tuple(witnesses)
        self.pinned = pinned
        self._log_key = pinned

    def log_key(self) -> VerifierKey:
        """The pinned log key, else the one the ledger names (``GET /v1/info``), read once."""
        if self._log_key is None:
            info = check(self.client.http.get("/v1/info"))
            self._log_key = parse_vkey(str(info["vkey"]))
        return self._log_key

    def checkpoint(self) -> Witnessed:
        """The current checkpoint (``GET /checkpoint``), verified against the log key."""
        response = self.client.http.get("/checkpoint")
        response.raise_for_status()
        if len(response.content) > MAX_CHECKPOINT:
            raise BridgeError(
                f"the ledger's checkpoint is {len(response.content)} bytes, over {MAX_CHECKPOINT}"
            )
        try:
            checkpoint, note = verify_checkpoint(response.content, self.log_key())
        except NoteError as exc:
            whose = "the pinned log key" if self.pinned is not None else "the key of /v1/info"
            raise BridgeError(
                f"the ledger's checkpoint does not verify under {whose} {self.log_key().vkey()[:80]}: {exc}"
            ) from None
        return Witnessed(checkpoint, count_cosignatures(note, self.witnesses))

    def recorded(self, chain_id: int, contract: str) -> m.RecordedAnchor | None:
        """The newest anchor the ledger holds for this chain and contract."""
        for item in check(self.client.http.get("/v1/anchors")):
            anchor = m.RecordedAnchor.model_validate(item)
            if anchor.chain_id == chain_id and anchor.contract == contract.lower():
                return anchor
        return None

    def entry_type(self, index: int) -> str:
        """The transaction type of log entry ``index``."""
        return self.client.transaction(index).type

    def tokens(self) -> list[m.Token]:
        """Every equipment token."""
        return self.client.tokens()

    def infos(self) -> dict[str, dict[str, str]]:
        """Each enterprise's registered info map, by account."""
        return {e.account: dict(e.info) for e in self.client.enterprises()}
