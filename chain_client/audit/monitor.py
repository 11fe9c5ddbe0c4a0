"""A tree-head monitor, as in Certificate Transparency: keep signed heads, prove each new one extends them.

The state file keeps the log key (pinned on first use unless given) and every
tree head seen.  Each check fetches the latest head, verifies its signature,
and asks the ledger for a consistency proof from the last head kept: a log
that shrank, forked at the same size or rewrote its history cannot produce
one.  An inconsistent head is not kept; it is recorded with the head it
contradicts, two signed statements that together prove the misbehaviour.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain_client.audit.errors import AuditError
from chain_client.client.sync import LedgerClient
from chain_client.errors import LeaseChainError
from chain_client.ledger.treehead import TreeHead, tree_head_from_json, verify_tree_head
from chain_client.merkle import verify_consistency

FORMAT = "leasechain-monitor/1"


@dataclass(frozen=True)
class Observation:
    """One check: ``ok``, the new head, the last head kept before it, and why not ok."""

    ok: bool
    head: TreeHead | None
    previous: TreeHead | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        """JSON form for ``--json``."""
        return {
            "ok": self.ok,
            "head": self.head.to_json() if self.head else None,
            "previous": self.previous.to_json() if self.previous else None,
            "detail": self.detail,
        }


class MonitorState:
    """The state file: the pinned log key, the heads seen, the inconsistencies found."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.log_key = ""
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
            self.heads = list(data.get("heads", []))
            self.alerts = list(data.get("alerts", []))

    def last(self) -> TreeHead | None:
        """The latest head kept."""
        return tree_head_from_json(self.heads[-1]) if self.heads else None

    def save(self) -> None:
        """Write the state atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        body = {"format": FORMAT, "log_key": self.log_key, "heads": self.heads, "alerts": self.alerts}
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


def observe(client: LedgerClient, state_path: Path, log_key: str | None = None) -> Observation:
    """Fetch the latest head, check it against the state file, and keep it if consistent."""
    state = MonitorState(state_path)
    if log_key and state.log_key and log_key != state.log_key:
        raise AuditError(f"{state_path} pins log key {state.log_key}, not {log_key}")
    key = log_key or state.log_key or client.info().log_key
    state.log_key = key
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
        state.alerts.append(
            {
                "seen": int(time.time()),
                "detail": problem,
                "previous": previous.to_json() if previous else None,
                "head": head.to_json(),
            }
        )
        state.save()
        return Observation(False, head, previous, problem)
    if previous is None or head.size != previous.size:
        state.heads.append(head.to_json())
    state.save()
    return Observation(True, head, previous, "")
