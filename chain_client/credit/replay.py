"""The credit book recomputed from the log alone, as an auditor would (docs/credit.md, 'Checking a score').

Every entry is read, its transaction's signature checked and folded into a
:class:`~chain_client.credit.book.CreditBook`. A batch's messages are judged here, against the device
bindings the same entries made (the ledger's verdict rule, :mod:`chain_client.ledger.verdict`), so the
telemetry coverage rests on signatures this code checked, not on the ledger's word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from chain_client import merkle
from chain_client.client.sync import LedgerClient
from chain_client.credit.book import CreditBook
from chain_client.credit.errors import CreditError
from chain_client.device import device_id
from chain_client.ledger.entry import decode_entry
from chain_client.ledger.errors import TransactionError
from chain_client.ledger.transaction import Transaction, decode
from chain_client.ledger.treehead import verify_tree_head
from chain_client.ledger.usage import stamp
from chain_client.ledger.verdict import Key, Verdict, judge_many

PAGE = 1000


@dataclass
class _Keys:
    """Device keys by device id, as the verdict rule reads them, their tokens and each token's active device.

    Kept from the bind/rotate/revoke entries, so that a batch is judged against the keys as they stood
    before it.
    """

    keys: dict[str, Key] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    active: dict[str, str] = field(default_factory=dict)

    def apply(self, time: int, tx: Transaction) -> None:
        token = tx.args.get("token", "")
        current = self.active.get(token, "")
        if tx.type in ("rotate_device", "revoke_device") and current in self.keys:
            status = "rotated" if tx.type == "rotate_device" else "revoked"
            self.keys[current] = self.keys[current]._replace(status=status, ended_at=time)
            del self.active[token]
        if tx.type in ("bind_device", "rotate_device"):
            device = device_id(tx.args["public_key"]).hex()
            self.keys[device] = Key(tx.args["public_key"], "active", 0)
            self.tokens[device] = token
            self.active[token] = device

    def verified(self, messages: Sequence[bytes]) -> list[tuple[str, Verdict]]:
        """The token and verdict of each message of a batch that counts as a verified reading."""
        return [
            (self.tokens[v.device], v)
            for v in judge_many(messages, self.keys)
            if not v.reason and v.kind == "reading"
        ]


def replay(entries: Iterable[bytes], batch: Callable[[int], Sequence[bytes]]) -> CreditBook:
    """Fold raw log entries (index 0 first) into a credit book; ``batch(i)`` gives entry i's messages."""
    book, keys = CreditBook(), _Keys()
    for index, raw in enumerate(entries):
        try:
            entry = decode_entry(raw)
            tx = decode(entry.tx)
        except TransactionError as exc:
            raise CreditError(f"log entry {index} does not decode: {exc}") from None
        if tx.type == "anchor_batch":
            for token, v in keys.verified(batch(index)):
                book.reading(token, stamp(v.time, v.synced, entry.time))
        keys.apply(entry.time, tx)
        book.apply(entry.time, tx)
    return book


def from_ledger(client: LedgerClient, log_key: bytes) -> CreditBook:
    """Read the whole log, check it against a tree head signed by ``log_key``, and replay it."""
    head = client.tree_head()
    verify_tree_head(head, log_key)
    raw: list[bytes] = []
    for start in range(0, head.size, PAGE):
        page = client.entries(start, min(head.size, start + PAGE))
        raw += [bytes.fromhex(e.entry) for e in page]
    raw = raw[: head.size]
    if len(raw) != head.size or merkle.root(raw) != head.root:
        raise CreditError(f"the log's entries do not make the signed tree head of size {head.size}")

    def batch(index: int) -> list[bytes]:
        return [bytes.fromhex(m) for m in client.batch(index).messages]

    return replay(raw, batch)
