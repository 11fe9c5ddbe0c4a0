"""The ledger: an append-only log of signed transactions, its Merkle tree, and the state it implies.

Submissions are checked (encoding, signature, id), applied to the in-memory
state (which refuses them untouched when a rule is broken), and then written
to storage in one database transaction per call; only after that commit is a
result returned.  On start the whole state is rebuilt by replaying the stored
log, so the database holds nothing the log does not imply.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nacl.signing import SigningKey

from backend import snapshot
from backend.digest import StateDigest
from backend.domain.telemetry import reaches_judging
from backend.errors import BackendError, NotFoundError
from backend.machine import apply
from backend.readings import StoredReadings
from backend.state import State
from backend.storage import LogRow, Pending, Snapshot, Storage
from backend.tree import MerkleTree
from backend.verify import Verifier
from chain_client.ledger.entry import decode_entry, encode_entry
from chain_client.ledger.errors import TransactionError, TreeHeadError
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import TxType
from chain_client.ledger.transaction import Transaction, decode, sign
from chain_client.ledger.treehead import TreeHead, sign_tree_head, verify_tree_head
from chain_client.merkle import inclusion_proof, leaf_hash
from chain_client.tlog import Checkpoint, VerifierKey, log_verifier, sign_checkpoint
from chain_client.tlog.note import check_name

Clock = Callable[[], float]
CHECKPOINT_EVERY = 10_000  # entries between state checkpoints
CHECKPOINT_READINGS = 50_000  # or anchored readings: a start replays about this many at most
CHECKPOINT_SECONDS = 3_600  # or this long, when anything was appended
log = logging.getLogger(__name__)
ReadingListener = Callable[[list[dict[str, Any]]], None]
GENESIS_ID = "genesis"
DEFAULT_ORIGIN_PREFIX = "leasechain.invalid/"  # + the first 16 hex digits of the log key


def default_origin(log_key: bytes) -> str:
    """The checkpoint origin of a log started without ``--origin``: stable, derived from its key."""
    return DEFAULT_ORIGIN_PREFIX + log_key.hex()[:16]


@dataclass(frozen=True)
class _Seen:
    index: int
    digest: bytes | None  # None: an entry before the snapshot of the start, read when needed


@dataclass(frozen=True)
class WithMessages:
    """An ``anchor_batch`` transaction and the device messages that travel beside it."""

    raw: bytes
    messages: Sequence[bytes]


Submission = bytes | WithMessages


def _id_key(public_key: bytes, tx_id: str) -> bytes:
    """The key of a signer's transaction id in the ledger's id index."""
    return hashlib.sha256(public_key + tx_id.encode()).digest()[:16]


class Ledger:
    """One operator's log and state over a :class:`Storage`."""

    def __init__(
        self,
        storage: Storage,
        key: SigningKey | None,
        *,
        clock: Clock = _time.time,
        verify_workers: int = 2,
        checkpoint_every: int = CHECKPOINT_EVERY,
        checkpoint_seconds: int = CHECKPOINT_SECONDS,
        checkpoint_readings: int = CHECKPOINT_READINGS,
        origin: str | None = None,
    ) -> None:
        self.storage = storage
        self._origin = None if origin is None else check_name(origin)
        self._note: tuple[int, bytes] | None = None
        self.key = key
        self.clock = clock
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seconds = checkpoint_seconds
        self.checkpoint_readings = checkpoint_readings
        self.workers = verify_workers
        self.verifier = Verifier(verify_workers)
        self.readings = StoredReadings(storage)
        self.open_seconds = 0.0  # how long the last open took
        self.listeners: list[ReadingListener] = []
        self._reset()

    def _reset(self) -> None:
        self.state = State()
        self.tree = MerkleTree()
        self.last_time = 0
        self._seen: dict[bytes, _Seen] = {}
        self.last_checkpoint = 0  # log index of the newest checkpoint entry (0: none yet)
        self.last_checkpoint_time = 0
        self.readings_since_checkpoint = 0
        self.started_from = 0  # the snapshot the state was loaded from (0: a full replay)
        self._digest: tuple[int, bytes] | None = None
        self._digests = StateDigest()

    # -- opening and replay ------------------------------------------------

    def open(self, *, create: bool = True, full: bool = False) -> None:
        """Load the state: the newest good snapshot plus the entries after it, or (``full``) a replay.

        ``create`` first creates the tables that do not exist yet.
        """
        if create:
            self.storage.create()
        else:
            self.storage.check_version()
        # The state is a large graph without reference cycles: the cycle
        # collector would only rescan it again and again while it grows, and
        # later on every big batch.  Pause it during the replay and then move
        # everything loaded out of its sight.
        enabled = gc.isenabled()
        gc.disable()
        started = _time.perf_counter()
        try:
            self._load(full=full)
            self.digest()  # encode every record once now, not on the first read
            self.open_seconds = _time.perf_counter() - started
        finally:
            if enabled:
                gc.enable()
        gc.freeze()

    def _load(self, *, full: bool = False) -> None:
        self._reset()
        start = 0 if full else self._restore_snapshot()
        for row in self.storage.log_rows(start):
            self._replay(row)
        self._check_tree_heads(full)

    def _replay(self, row: LogRow) -> None:
        if leaf_hash(row.entry) != row.leaf_hash:
            raise BackendError(f"log entry {row.index}: stored leaf hash does not match the entry")
        entry = decode_entry(row.entry)
        try:
            tx = decode(entry.tx)
            # A batch's messages are stored once, in the readings table, not in its entry.
            messages = self.storage.batch_messages(row.index) if tx.type == TxType.ANCHOR_BATCH else None
            apply(
                self.state,
                tx,
                row.index,
                entry.time,
                self.verifier,
                messages,
                self.readings,
                root_at=self.tree.root,
                replaying=True,
            )
        except TransactionError as exc:
            raise BackendError(f"log entry {row.index} does not replay: {exc}") from None
        self._seen[_id_key(tx.public_key, tx.id)] = _Seen(row.index, hashlib.sha256(entry.tx).digest())
        self.tree.append(row.leaf_hash)
        self.last_time = max(self.last_time, entry.time)
        self._note_checkpoint(tx, row.index, entry.time)

    def _note_checkpoint(self, tx: Transaction, index: int, when: int) -> None:
        # The genesis starts the clock of the time-based checkpoints.
        if tx.type == TxType.CHECKPOINT or index == 0:
            self.last_checkpoint, self.last_checkpoint_time = index, when
            self.readings_since_checkpoint = 0
        elif tx.type == TxType.ANCHOR_BATCH:
            self.readings_since_checkpoint += int(tx.args.get("count", 0))

    def _restore_snapshot(self) -> int:
        """Load the newest snapshot that its checkpoint entry vouches for; the size it covers."""
        for size in self.storage.snapshot_sizes():
            try:
                state = self._vouched_snapshot(size)
            except (BackendError, TransactionError) as exc:
                log.warning("snapshot at size %d skipped: %s", size, exc)
                continue
            for row in self.storage.index_rows(size):
                self._seen[_id_key(bytes.fromhex(row.signer), row.tx_id)] = _Seen(row.index, None)
                self.tree.append(row.leaf_hash)
                self.last_time = max(self.last_time, row.time)
            self.state, self.started_from = state, size
            return size
        return 0

    def _vouched_snapshot(self, size: int) -> State:
        snap = self.storage.snapshot(size)
        row = self.storage.log_row(size)
        if snap is None or row is None:
            raise BackendError(f"log entry {size} or its snapshot is missing")
        if snapshot.digest_of(snap.data) != snap.digest:
            raise BackendError(f"the snapshot for log entry {size} does not hash to its digest")
        if leaf_hash(row.entry) != row.leaf_hash:
            raise BackendError(f"log entry {size}: stored leaf hash does not match the entry")
        tx = decode(decode_entry(row.entry).tx)
        if (
            tx.type != TxType.CHECKPOINT
            or tx.args.get("size") != size
            or tx.args.get("digest") != snap.digest
        ):
            raise BackendError(f"log entry {size} is not the checkpoint of this snapshot")
        state = snapshot.restore(snap.data)
        if tx.signer != state.operator:
            raise BackendError(f"the checkpoint at log entry {size} is not signed by the log key")
        return state

    def _check_tree_heads(self, every: bool) -> None:
        # A start checks the newest head; a full replay checks them all.
        heads = self.storage.tree_heads() if every else [h for h in [self.storage.latest_tree_head()] if h]
        for size, root, when, signature in heads:
            if size > self.tree.size:
                raise BackendError(f"a tree head was signed for size {size} but the log has {self.tree.size}")
            if self.tree.root(size) != root:
                raise BackendError(f"the log no longer matches the tree head signed for size {size}")
            head = TreeHead(size, root, when, bytes.fromhex(self.state.operator), signature)
            try:
                verify_tree_head(head, bytes.fromhex(self.state.operator))
            except TreeHeadError as exc:
                raise BackendError(f"stored tree head of size {size}: {exc}") from None

    def start(self, name: str, currency: str) -> None:
        """Open the ledger; on an empty log, append the genesis signed by the operator key."""
        self.open()
        self.begin(name, currency)

    def begin(self, name: str, currency: str) -> None:
        """On an opened ledger: append the genesis if the log is empty, and check the key is the log's."""
        if self.key is None:
            raise BackendError("the ledger needs the operator key to serve")
        if self.tree.size == 0:
            genesis = {"name": name, "currency": currency}
            log_key = bytes(self.key.verify_key)
            self.submit(sign(TxType.GENESIS, GENESIS_ID, genesis, self.key, ledger=log_key))
        if self.state.operator != bytes(self.key.verify_key).hex():
            raise BackendError(
                f"the operator key {bytes(self.key.verify_key).hex()} "
                f"is not the log's ({self.state.operator})"
            )

    def close(self) -> None:
        """Stop the verification threads, release the database and drop the in-memory state."""
        self.verifier.close()
        self.storage.close()
        # A closed ledger serves nothing: its state, tree and id index are let go now, so a ledger
        # opened again in the same process (a restart, a replay) reuses their memory instead of
        # building a second copy beside them.
        self._reset()

    # -- submission --------------------------------------------------------

    def submit(self, raw: Submission) -> dict[str, Any]:
        """Submit one signed transaction; raise :class:`TransactionError` if it is refused."""
        outcome = self.submit_many([raw])[0]
        if isinstance(outcome, TransactionError):
            raise outcome
        return outcome

    def prepare(self, item: Submission) -> None:
        """Begin judging a batch's messages before its turn (any thread; :meth:`Verifier.prepare`).

        It changes nothing: :meth:`submit_many` uses the verdicts only if the
        bindings at the batch's turn are those they were judged under.  Only a
        batch whose signed transaction is new and would reach the judging at its
        turn (:func:`reaches_judging`) is judged ahead; the state is read from
        the request's thread, so a decision may be stale, which costs at most one
        batch judged for nothing or judged at its turn.
        """
        if not isinstance(item, WithMessages) or not all(isinstance(m, bytes) for m in item.messages):
            return
        try:
            tx = decode(item.raw)
        except TransactionError:
            return
        if _id_key(tx.public_key, tx.id) not in self._seen and reaches_judging(
            self.state, tx, len(item.messages)
        ):
            self.verifier.prepare(item.messages)

    def submit_many(self, raws: Sequence[Submission]) -> list[dict[str, Any] | TransactionError]:
        """Submit transactions in order, committing every accepted one in one database transaction.

        An ``anchor_batch`` comes as :class:`WithMessages`: its messages travel beside it.
        """
        return self._append(raws)

    def _append(
        self, raws: Sequence[Submission], snap: Snapshot | None = None
    ) -> list[dict[str, Any] | TransactionError]:
        now = max(int(self.clock()), self.last_time)
        pending = Pending.empty()
        pending.snapshot = snap
        # Rules read the increments of this call's batches before they are committed.
        self.readings.pending = pending.readings
        try:
            return self._apply_and_write(raws, pending, now)
        finally:
            self.readings.pending = ()

    def _apply_and_write(
        self, raws: Sequence[Submission], pending: Pending, now: int
    ) -> list[dict[str, Any] | TransactionError]:
        outcomes: list[dict[str, Any] | TransactionError] = []
        duplicates: list[tuple[int, int, Transaction]] = []
        verified_rows: list[dict[str, Any]] = []
        for item in raws:
            raw, messages = (item.raw, item.messages) if isinstance(item, WithMessages) else (item, None)
            try:
                tx = decode(raw)
                key = _id_key(tx.public_key, tx.id)
                seen = self._seen.get(key)
                if seen is not None:
                    if self._stored_digest(seen) != hashlib.sha256(tx.raw).digest():
                        raise TransactionError(
                            TxReason.ID_CONFLICT,
                            f"signer {tx.signer} already used id {tx.id!r} for entry {seen.index}",
                        )
                    duplicates.append((len(outcomes), seen.index, tx))
                    outcomes.append({})
                    continue
                index = self.tree.size
                outcome = apply(
                    self.state, tx, index, now, self.verifier, messages, self.readings, root_at=self.tree.root
                )
            except TransactionError as exc:
                outcomes.append(exc)
                continue
            except Exception:
                # A bug, not a refusal: the state may be half changed, so nothing
                # of this call is written and the state is rebuilt from storage.
                self._load()
                raise
            entry = encode_entry(now, tx.raw)
            leaf = leaf_hash(entry)
            self.tree.append(leaf)
            self._seen[key] = _Seen(index, hashlib.sha256(tx.raw).digest())
            self._note_checkpoint(tx, index, now)
            result = self._result(index, now, tx, leaf, outcome.result, "accepted")
            pending.log.append(
                {
                    "idx": index,
                    "leaf_hash": leaf,
                    "entry": entry,
                    "signer": tx.signer,
                    "tx_id": tx.id,
                    "tx_type": tx.type,
                    "time": now,
                    "result": json.dumps(outcome.result, sort_keys=True),
                }
            )
            if outcome.batch_row is not None:
                pending.batches.append(outcome.batch_row)
            pending.readings.extend(outcome.reading_rows)
            verified_rows.extend(r for r in outcome.reading_rows if r["status"] == "verified")
            outcomes.append(result)
        if pending.log:
            try:
                self.storage.write(pending)
            except Exception:
                # The state already moved; rebuild it from what is durably stored.
                self._load()
                raise
            self.last_time = now
            self._checkpoint_if_due(now)
        for position, index, tx in duplicates:
            outcomes[position] = self._stored_result(index, tx)
        if verified_rows:
            for listener in list(self.listeners):
                listener(verified_rows)
        return outcomes

    def _stored_digest(self, seen: _Seen) -> bytes:
        if seen.digest is not None:
            return seen.digest
        row = self.storage.log_row(seen.index)
        if row is None:
            raise BackendError(f"log entry {seen.index} is known but not stored")
        return hashlib.sha256(decode_entry(row.entry).tx).digest()

    # -- checkpoints -------------------------------------------------------

    def _checkpoint_if_due(self, now: int) -> None:
        if self.key is None or not self.checkpoint_every:
            return
        # Entries appended after the newest checkpoint (or the genesis), not counting it.
        since = self.tree.size - self.last_checkpoint - 1
        many_readings = 0 < self.checkpoint_readings <= self.readings_since_checkpoint
        if (
            since >= self.checkpoint_every
            or many_readings
            or (since > 0 and now - self.last_checkpoint_time >= self.checkpoint_seconds)
        ):
            self.checkpoint()

    def checkpoint(self) -> dict[str, Any]:
        """Snapshot the state and commit its digest to the log as a ``checkpoint`` entry, atomically."""
        if self.key is None:
            raise BackendError("a checkpoint needs the operator key")
        size = self.tree.size
        data = snapshot.encode(self.state)
        digest = snapshot.digest_of(data)
        if self._digests.of(self.state) != digest:
            # A record changed without its map noticing (backend.tracked): a bug, and the digests
            # served since the last checkpoint may have been wrong.  Encode everything again.
            log.error("the kept state digest differs from the snapshot's at size %d; recomputed", size)
            self._digests = StateDigest()
        args = {"size": size, "digest": digest}
        raw = sign(TxType.CHECKPOINT, f"checkpoint-{size}", args, self.key, ledger=bytes(self.key.verify_key))
        outcome = self._append([raw], Snapshot(size, digest, data))[0]
        if isinstance(outcome, TransactionError):
            raise BackendError(f"the checkpoint at size {size} was refused: {outcome}")
        return outcome

    def _result(
        self, index: int, when: int, tx: Transaction, leaf: bytes, result: dict[str, Any], status: str
    ) -> dict[str, Any]:
        return {
            "status": status,
            "index": index,
            "id": tx.id,
            "type": tx.type,
            "signer": tx.signer,
            "time": when,
            "leaf_hash": leaf.hex(),
            "result": result,
        }

    def _stored_result(self, index: int, tx: Transaction) -> dict[str, Any]:
        row = self.storage.log_row(index)
        if row is None:
            raise BackendError(f"log entry {index} is known but not stored")
        return self._result(index, row.time, tx, row.leaf_hash, json.loads(row.result), "duplicate")

    # -- tree heads and proofs -------------------------------------------

    @property
    def size(self) -> int:
        """Number of log entries."""
        return self.tree.size

    def tree_head(self) -> TreeHead:
        """A tree head for the current size, signed now unless one exists already."""
        if self.key is None:
            raise BackendError("signing a tree head needs the operator key")
        latest = self.storage.latest_tree_head()
        if latest is not None and latest[0] == self.tree.size:
            size, root, when, signature = latest
            return TreeHead(size, root, when, bytes(self.key.verify_key), signature)
        when = max([int(self.clock()), self.last_time] + ([latest[2]] if latest else []))
        head = sign_tree_head(self.tree.size, self.tree.root(), when, self.key)
        self.storage.save_tree_head(head.size, head.root, head.time, head.signature)
        return head

    @property
    def origin(self) -> str:
        """The checkpoint origin (c2sp.org/tlog-checkpoint): configured, or derived from the log key."""
        if self._origin is not None:
            return self._origin
        if self.key is None:
            raise BackendError("the checkpoint origin of a log without its key must be configured")
        return default_origin(bytes(self.key.verify_key))

    def note_key(self) -> VerifierKey:
        """The log's note verifier key (its ``vkey()`` is published in ``/v1/info``)."""
        if self.key is None:
            raise BackendError("the log's verifier key needs the operator key")
        return log_verifier(self.origin, bytes(self.key.verify_key))

    def signed_checkpoint(self) -> bytes:
        """The current tree as a checkpoint signed by the log key (a c2sp.org signed note).

        Ed25519 is deterministic and the tree only grows, so one note per
        size is all the log ever signs for it: a checkpoint is never
        inconsistent with an earlier one.
        """
        if self.key is None:
            raise BackendError("signing a checkpoint needs the operator key")
        size = self.tree.size
        if self._note is None or self._note[0] != size:
            checkpoint = Checkpoint(self.origin, size, self.tree.root())
            self._note = (size, sign_checkpoint(checkpoint, self.key).encode())
        return self._note[1]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Audit path of entry ``index`` in the tree of ``size`` entries."""
        return self.tree.inclusion_proof(index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """Consistency proof between two tree sizes."""
        return self.tree.consistency_proof(first, second)

    def digest(self) -> bytes:
        """The state digest, computed once per log size from the records changed since the last."""
        if self._digest is None or self._digest[0] != self.tree.size:
            self._digest = (self.tree.size, self._digests.of(self.state))
        return self._digest[1]

    # -- queries -----------------------------------------------------------

    def now(self) -> int:
        """Ledger time now: the clock, never before the last entry."""
        return max(int(self.clock()), self.last_time)

    def index_of(self, signer: str, tx_id: str) -> int | None:
        """Log index of a signer's transaction id, if accepted."""
        try:
            public_key = bytes.fromhex(signer)
        except ValueError:
            return None
        seen = self._seen.get(_id_key(public_key, tx_id))
        return None if seen is None else seen.index

    def reading_proof(self, batch: int, position: int) -> dict[str, Any]:
        """Proof of one anchored message: in its batch, the batch's entry in the log, the tree head."""
        stored = self.storage.batch(batch)
        if stored is None:
            raise NotFoundError("batch", batch)
        message = self.storage.reading(batch, position)
        if message is None:
            raise NotFoundError("reading", f"{batch}/{position}")
        hashes = [leaf_hash(m) for m in self.storage.batch_messages(batch)]
        head = self.tree_head()
        row = self.storage.log_row(batch)
        if row is None:
            raise BackendError(f"batch {batch} has no log entry")
        return {
            "message": bytes(message["message"]).hex(),
            "status": message["status"],
            "reason": message["reason"],
            "batch": {
                "index": position,
                "size": len(hashes),
                "root": bytes(stored["root"]).hex(),
                "audit_path": [h.hex() for h in inclusion_proof(hashes, position)],
            },
            "log": {
                "index": batch,
                "entry": row.entry.hex(),
                "audit_path": [h.hex() for h in self.inclusion_proof(batch, head.size)],
            },
            "tree_head": head.to_json(),
        }
