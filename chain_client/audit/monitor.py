"""A tree-head monitor, as in Certificate Transparency: keep signed heads, prove each new one extends them.

The state file keeps the log key (pinned on first use unless given) and every
tree head seen.  Each check fetches the latest head, verifies its signature,
and asks the ledger for a consistency proof from the last head kept: a log
that shrank, forked at the same size or rewrote its history cannot produce
one.  An inconsistent head is not kept; it is recorded with the head it
contradicts, two signed statements that together prove the misbehaviour.

It also follows the C2SP checkpoint (``/checkpoint``) and tiles: the log's
vkey is pinned like its key, the checkpoint kept is compared with the new
one and with each witness's latest cosigned checkpoint
(:mod:`chain_client.audit.checkpoints`), and a witness policy says whether
enough witnesses co-signed.  Any two signed statements that cannot both be
true are a split view (``Observation.split``).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain_client.audit.checkpoints import MAX_CHECKPOINT, Seen, look
from chain_client.audit.errors import AuditError
from chain_client.client.errors import LedgerHTTPError
from chain_client.client.sync import LedgerClient
from chain_client.errors import LeaseChainError
from chain_client.ledger.treehead import TreeHead, tree_head_from_json, verify_tree_head
from chain_client.merkle import verify_consistency
from chain_client.tlog import TileError, parse_vkey, verify_checkpoint
from chain_client.tlog.policy import Policy

FORMAT = "leasechain-monitor/1"


@dataclass(frozen=True)
class Observation:
    """One check: ``ok``, the new head, the last head kept before it, and why not ok."""

    ok: bool
    head: TreeHead | None
    previous: TreeHead | None
    detail: str
    split: bool = False
    checkpoint_size: int | None = None
    witnesses: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON form for ``--json``."""
        return {
            "ok": self.ok,
            "split_view": self.split,
            "head": self.head.to_json() if self.head else None,
            "previous": self.previous.to_json() if self.previous else None,
            "detail": self.detail,
            "checkpoint_size": self.checkpoint_size,
            "witnesses": list(self.witnesses),
            "notes": list(self.notes),
        }


class MonitorState:
    """The state file: the pinned log key, the heads seen, the inconsistencies found."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.log_key = ""
        self.vkey = ""
        self.checkpoint = ""
        self.heads: list[dict[str, Any]] = []
        self.alerts: list[dict[str, Any]] = []
        if path.exists():
            try:
                data = json.loads(path.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise AuditError(f"monitor state {path} is unreadable: {exc}") from None
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise AuditError(f"{path} is not a monitor state (expected format {FORMAT!r})")
            self.log_key = str(data.get("log_key", ""))
            self.vkey = str(data.get("vkey", ""))
            self.checkpoint = str(data.get("checkpoint", ""))
            self.heads = list(data.get("heads", []))
            self.alerts = list(data.get("alerts", []))

    def last(self) -> TreeHead | None:
        """The latest head kept."""
        return tree_head_from_json(self.heads[-1]) if self.heads else None

    def save(self) -> None:
        """Write the state atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        body = {
            "format": FORMAT,
            "log_key": self.log_key,
            "vkey": self.vkey,
            "checkpoint": self.checkpoint,
            "heads": self.heads,
            "alerts": self.alerts,
        }
        tmp.write_text(json.dumps(body, indent=1) + "\n")
        os.replace(tmp, self.path)


def check_consistency(previous: TreeHead, head: TreeHead, proof: list[bytes]) -> str:
    """Why ``head`` does not extend ``previous`` (empty when it does)."""
    if head.size < previous.size:
        return f"the log shrank from {previous.size} to {head.size} entries"
    if head.size == previous.size:
        return "" if head.root == previous.root else f"two different roots were signed for size {head.size}"
    if previous.size == 0:
        return ""
    try:
        verify_consistency(previous.size, head.size, previous.root, head.root, proof)
    except LeaseChainError as exc:
        return f"the head of size {head.size} does not extend the head of size {previous.size}: {exc}"
    return ""


def observe(
    client: LedgerClient,
    state_path: Path,
    log_key: str | None = None,
    *,
    log_vkey: str | None = None,
    policy: Policy | None = None,
) -> Observation:
    """Fetch the latest head and checkpoint, check them against the state file, keep them if consistent."""
    state = MonitorState(state_path)
    if log_key and state.log_key and log_key != state.log_key:
        raise AuditError(f"{state_path} pins log key {state.log_key}, not {log_key}")
    if log_vkey and state.vkey and log_vkey != state.vkey:
        raise AuditError(f"{state_path} pins log vkey {state.vkey}, not {log_vkey}")
    info = client.info() if not (log_key or state.log_key) or not (log_vkey or state.vkey) else None
    key = log_key or state.log_key or (info.log_key if info else "")
    state.log_key = key
    state.vkey = log_vkey or state.vkey or (info.vkey if info else "")
    head = client.tree_head()
    previous = state.last()
    try:
        verify_tree_head(head, bytes.fromhex(key))
    except LeaseChainError as exc:
        return Observation(False, head, previous, f"tree head signature: {exc}")
    problem = ""
    if previous is not None and head.size > previous.size > 0:
        proof = client.consistency_proof(previous.size, head.size).proof
        problem = check_consistency(previous, head, [bytes.fromhex(p) for p in proof])
    elif previous is not None:
        problem = check_consistency(previous, head, [])
    if problem:
        _alert(state, problem, previous.to_json() if previous else None, head.to_json())
        return Observation(False, head, previous, problem, split=True)
    if previous is None or head.size != previous.size:
        state.heads.append(head.to_json())
    seen = _checkpoint(client, state, policy)
    state.save()
    if seen is None:
        return Observation(True, head, previous, "", notes=("the log serves no checkpoint yet",))
    detail = seen.split or (
        "" if seen.quorum else "the checkpoint's cosignatures do not meet the witness policy"
    )
    size = seen.checkpoint.size if seen.checkpoint else None
    return Observation(
        not detail, head, previous, detail, bool(seen.split), size, tuple(seen.cosigners), tuple(seen.notes)
    )


def _alert(state: MonitorState, detail: str, previous: Any, head: Any) -> None:  # noqa: ANN401 - JSON
    state.alerts.append({"seen": int(time.time()), "detail": detail, "previous": previous, "head": head})
    state.save()


def _checkpoint(client: LedgerClient, state: MonitorState, policy: Policy | None) -> Seen | None:
    """Look at the served checkpoint; keep it unless it shows a split view (then record both notes)."""
    if not state.vkey:
        return None
    log_key = parse_vkey(state.vkey)
    try:
        served = client.static("checkpoint", MAX_CHECKPOINT)
    except LedgerHTTPError as exc:
        if exc.status in (404, 503):  # an older ledger, or none witnessed yet
            return None
        raise

    def fetch(path: str) -> bytes:
        try:
            return client.static(path)
        except LedgerHTTPError as exc:
            raise TileError(f"{path}: {exc}") from None

    kept = None
    if state.checkpoint:
        kept = (verify_checkpoint(state.checkpoint.encode(), log_key)[0], state.checkpoint.encode())
    seen = look(served, fetch, log_key, kept, policy)
    if kept is not None and seen.checkpoint is not None and seen.checkpoint.size < kept[0].size:
        seen.notes.append(
            f"the log serves a checkpoint of size {seen.checkpoint.size}, older than {kept[0].size}"
        )
    if seen.split:
        state.alerts.append({"seen": int(time.time()), "detail": seen.split, "checkpoints": seen.evidence})
    elif seen.checkpoint is not None and (kept is None or seen.checkpoint.size >= kept[0].size):
        state.checkpoint = served.decode()
    return seen
