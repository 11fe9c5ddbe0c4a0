"""``add-checkpoint`` as c2sp.org/tlog-witness says, in its order of checks and with its status codes.

=====  ==========================================================================
400    malformed body or checkpoint; old size larger than the checkpoint's
403    no signature of a configured log key, or one that fails
404    the origin is not a configured log
409    old size is not the size this witness last cosigned (body: that size)
422    size 0 without the empty root; a proof with old size 0; same size, other
       root (a fork); a consistency proof that does not verify
200    one cosignature/v1 line, after the new view is on disk
=====  ==========================================================================
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nacl.signing import SigningKey

from chain_client.errors import LeaseChainError
from chain_client.merkle import EMPTY_ROOT, verify_consistency
from chain_client.tlog import note
from chain_client.tlog.checkpoint import Checkpoint, cosign, cosigner, parse_text
from chain_client.tlog.errors import NoteError
from chain_client.tlog.note import Note, VerifierKey
from chain_client.tlog.witness import SIZE_MEDIA_TYPE, AddCheckpoint, parse_add_checkpoint, with_signatures
from witness.state import View, Views

LOG = logging.getLogger(__name__)
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, body and content type."""

    status: int
    body: bytes
    media_type: str = TEXT


def _no(status: int, why: str) -> Answer:
    return Answer(status, (why[:300] + "\n").encode())


class Witness:
    """A witness: its name and key, the logs it trusts (origin -> keys), and its views."""

    def __init__(
        self,
        name: str,
        key: SigningKey,
        logs: Sequence[VerifierKey],
        views: Views,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.key = key
        self.vkey = cosigner(name, bytes(key.verify_key))
        self.logs: dict[str, list[VerifierKey]] = {}
        for log in logs:
            self.logs.setdefault(log.name, []).append(log)
        self.views = views
        self.clock = clock
        self._lock = threading.Lock()  # checking the old size and storing the new view are one step

    def add_checkpoint(self, body: bytes) -> Answer:
        """Check a request and cosign its checkpoint, or refuse it."""
        try:
            request = parse_add_checkpoint(body)
            signed = note.parse(request.checkpoint)
            checkpoint = parse_text(signed.text)
        except NoteError as exc:
            return _no(400, f"malformed request: {exc}")
        keys = self.logs.get(checkpoint.origin)
        if keys is None:
            return _no(404, f"unknown log origin {checkpoint.origin[:80]!r}")
        try:
            trusted = note.verify(signed, keys)
        except NoteError as exc:
            return _no(403, f"log signature: {exc}")
        if request.old_size > checkpoint.size:
            return _no(400, f"old size {request.old_size} is over the checkpoint size {checkpoint.size}")
        with self._lock:
            return self._locked(request, checkpoint, signed, trusted)

    def _locked(
        self, request: AddCheckpoint, checkpoint: Checkpoint, signed: Note, trusted: list[VerifierKey]
    ) -> Answer:
        view = self.views.get(checkpoint.origin)
        held = view.size if view else 0
        if request.old_size != held:
            return Answer(409, f"{held}\n".encode(), SIZE_MEDIA_TYPE)
        problem = _inconsistent(request, checkpoint, view)
        if problem:
            LOG.warning("refused %s size %d: %s", checkpoint.origin, checkpoint.size, problem)
            return _no(422, problem)
        # Never date a cosignature before the previous one of this log, whatever the clock says.
        timestamp = max(int(self.clock()), view.timestamp if view else 0, 1)
        line = cosign(signed.text, self.name, self.key, timestamp)
        ids = {(k.name, k.key_id) for k in trusted}
        kept = Note(signed.text, tuple(s for s in signed.signatures if (s.name, s.key_id) in ids))
        served = with_signatures(kept, [line]).encode()
        self.views.put(View(checkpoint.origin, checkpoint.size, checkpoint.root, timestamp, served))
        return Answer(200, line.line().encode())

    def latest(self, origin: str) -> bytes | None:
        """The latest cosigned checkpoint of ``origin`` (log signatures and this witness's cosignature)."""
        view = self.views.get(origin)
        return view.checkpoint if view else None


def _inconsistent(request: AddCheckpoint, checkpoint: Checkpoint, view: View | None) -> str:
    """Why ``checkpoint`` does not extend the witness's view (empty when it does)."""
    if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
        return "a checkpoint of size 0 must carry the root of the empty tree"
    if request.old_size == 0:
        return "a proof was sent with old size 0" if request.proof else ""
    assert view is not None  # old size == held > 0
    if request.old_size == checkpoint.size:
        if request.proof:
            return "a proof was sent between equal sizes"
        if checkpoint.root != view.root:
            return f"size {checkpoint.size} with a root other than the one cosigned: a fork"
        return ""
    try:
        verify_consistency(view.size, checkpoint.size, view.root, checkpoint.root, request.proof)
    except LeaseChainError as exc:
        return f"consistency proof from size {view.size}: {exc}"
    return ""
