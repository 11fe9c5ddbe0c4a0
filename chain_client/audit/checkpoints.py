"""The monitor's checks of the log's C2SP checkpoints, tiles and witnesses, for split views.

A split view is two statements the log signed that cannot both be true: two
checkpoints of one size with different roots, or two checkpoints that no
consistency proof links.  The monitor compares the checkpoint it is served
with the last one it kept (proof computed from the log's tiles, not asked of
the log) and with each witness's latest cosigned checkpoint of the log
(``<witness URL>/<sha256(origin)>/checkpoint``, c2sp.org/tlog-witness): the
witnesses saw what other clients were served.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from chain_client.errors import LeaseChainError
from chain_client.merkle import verify_consistency
from chain_client.tlog import Checkpoint, NoteError, TileError, verify_checkpoint, verify_cosignatures
from chain_client.tlog.note import Note, VerifierKey
from chain_client.tlog.policy import Policy, Witness
from chain_client.tlog.tiles import Fetch, TileTree
from chain_client.tlog.witness import origin_hash

MAX_CHECKPOINT = 64 * 1024
WITNESS_TIMEOUT = 10.0


@dataclass
class Seen:
    """What one look found: the checkpoint served, its cosigners, and any split view (with evidence)."""

    checkpoint: Checkpoint | None = None
    note: bytes = b""
    cosigners: list[str] = field(default_factory=list)
    quorum: bool = True
    split: str = ""
    evidence: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def split_between(fetch: Fetch, a: Checkpoint, b: Checkpoint) -> str:
    """Why checkpoints ``a`` and ``b`` cannot both be true (empty when they can); proofs from the tiles.

    TileError when the tiles to prove it are not there.
    """
    if a.size == b.size:
        return "" if a.root == b.root else f"two checkpoints of size {a.size} with different roots"
    small, large = (a, b) if a.size < b.size else (b, a)
    if small.size == 0:
        return ""
    tree = TileTree(fetch, large.size)
    if tree.root() != large.root:
        return f"the tiles of size {large.size} do not give its checkpoint's root"
    try:
        verify_consistency(small.size, large.size, small.root, large.root, tree.consistency_proof(small.size))
    except LeaseChainError as exc:
        return (
            f"the checkpoint of size {small.size} is not consistent with the one of size {large.size}: {exc}"
        )
    return ""


def witness_checkpoint(witness: Witness, origin: str, log_key: VerifierKey) -> tuple[Checkpoint, Note] | None:
    """The witness's latest cosigned checkpoint of the log, checked; None if it has none."""
    url = f"{witness.url.rstrip('/')}/{origin_hash(origin)}/checkpoint"
    try:
        with httpx.stream("GET", url, timeout=WITNESS_TIMEOUT) as response:
            if response.status_code == 404:
                return None
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_CHECKPOINT:
                    raise NoteError(f"witness {witness.name} served over {MAX_CHECKPOINT} bytes")
            if response.status_code != 200:
                raise NoteError(f"witness {witness.name} answered {response.status_code} at {url}")
    except httpx.HTTPError as exc:
        raise NoteError(f"witness {witness.name} at {url}: {exc}") from None
    checkpoint, signed = verify_checkpoint(body, log_key)
    if witness.key.name not in verify_cosignatures(signed, [witness.key]):
        raise NoteError(f"the checkpoint witness {witness.name} serves lacks its cosignature")
    return checkpoint, signed


def look(
    served: bytes,
    fetch: Fetch,
    log_key: VerifierKey,
    kept: tuple[Checkpoint, bytes] | None,
    policy: Policy | None,
    ask: Callable[[Witness, str, VerifierKey], tuple[Checkpoint, Note] | None] = witness_checkpoint,
) -> Seen:
    """Check the ``served`` checkpoint against the one ``kept`` and against each witness's."""
    checkpoint, signed = verify_checkpoint(served, log_key)
    seen = Seen(checkpoint, served)
    if policy is not None:
        seen.cosigners = policy.cosigners(signed)
        seen.quorum = policy.met(seen.cosigners)
    others: list[tuple[str, Checkpoint, bytes]] = []
    if kept is not None:
        others.append(("the checkpoint kept from an earlier look", kept[0], kept[1]))
    for witness in policy.witnesses.values() if policy is not None else ():
        if not witness.url:
            continue
        try:
            found = ask(witness, checkpoint.origin, log_key)
        except LeaseChainError as exc:
            seen.notes.append(str(exc))
            continue
        if found is not None:
            others.append((f"witness {witness.name}'s checkpoint", found[0], found[1].encode()))
    for what, other, raw in others:
        try:
            problem = split_between(fetch, checkpoint, other)
        except TileError as exc:
            seen.notes.append(f"{what} (size {other.size}) not checked: {exc}")
            continue
        if problem and not seen.split:
            seen.split = f"split view against {what}: {problem}"
            seen.evidence = [served.decode(), raw.decode()]
    return seen
