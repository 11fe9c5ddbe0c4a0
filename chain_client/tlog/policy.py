"""Witness policies in the c2sp.org/tlog-policy format: which logs, which witnesses, what quorum.

::

    log <vkey> [<url>]
    witness <name> <vkey> [<url>]
    group <name> all|any|<k> <member>...
    quorum <name>|none

The log uses one to know where to send its checkpoints and when one counts
(``leasechain-backend serve --witness-policy``); verifiers use one to decide
whether a checkpoint's cosignatures are enough (``leasechain audit verify``,
``leasechain log monitor``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from chain_client.tlog.checkpoint import verify_cosignatures
from chain_client.tlog.errors import NoteError
from chain_client.tlog.note import COSIGNATURE_V1, ED25519, Note, VerifierKey, parse_vkey

MAX_ITEMS = 32  # logs, witnesses and groups each; the spec asks for at least 32
MAX_POLICY = 64 * 1024


@dataclass(frozen=True)
class Witness:
    """A witness of the policy: its policy name, its cosigner key, and its submission prefix."""

    name: str
    key: VerifierKey
    url: str = ""


@dataclass(frozen=True)
class Group:
    """At least ``threshold`` of ``members`` (witnesses or groups) must have witnessed."""

    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    """A parsed policy; ``quorum`` is a witness or group name, or ``none``."""

    logs: tuple[tuple[VerifierKey, str], ...] = ()
    witnesses: dict[str, Witness] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    quorum: str = "none"

    def keys(self) -> list[VerifierKey]:
        """The cosigner keys of every witness."""
        return [w.key for w in self.witnesses.values()]

    def witnessed(self, name: str, cosigned: set[str]) -> bool:
        """Whether the witness or group ``name`` witnessed, given the witnesses that ``cosigned``."""
        if name == "none":
            return True
        if name in self.witnesses:
            return name in cosigned
        group = self.groups[name]
        return sum(self.witnessed(m, cosigned) for m in group.members) >= group.threshold

    def met(self, cosigned: Iterable[str]) -> bool:
        """Whether the witnesses (policy names) that cosigned meet the quorum."""
        return self.witnessed(self.quorum, set(cosigned))

    def cosigners(self, signed: Note) -> list[str]:
        """Policy names of the witnesses whose cosignature on ``signed`` verifies."""
        found = verify_cosignatures(signed, self.keys())
        return sorted(name for name, w in self.witnesses.items() if w.key.name in found)


def parse_policy(text: str) -> Policy:
    """Parse a policy file; NoteError names the line that is wrong."""
    if len(text) > MAX_POLICY:
        raise NoteError(f"policy of {len(text)} characters is over {MAX_POLICY}")
    builder = _Builder()
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip(" \t")
        if not line or line.startswith("#"):
            continue
        try:
            builder.add(line.replace("\t", " ").split())
        except NoteError as exc:
            raise NoteError(f"policy line {number} ({line[:60]!r}): {exc}") from None
    if builder.quorum is None:
        raise NoteError("the policy has no quorum line")
    return Policy(tuple(builder.logs), builder.witnesses, builder.groups, builder.quorum)


class _Builder:
    def __init__(self) -> None:
        self.logs: list[tuple[VerifierKey, str]] = []
        self.witnesses: dict[str, Witness] = {}
        self.groups: dict[str, Group] = {}
        self.quorum: str | None = None

    def add(self, words: list[str]) -> None:
        kind, rest = words[0], words[1:]
        if kind == "log" and len(rest) in (1, 2):
            self._log(rest)
        elif kind == "witness" and len(rest) in (2, 3):
            self._witness(rest)
        elif kind == "group" and len(rest) >= 3:
            self._group(rest[0], rest[1], rest[2:])
        elif kind == "quorum" and len(rest) == 1:
            if self.quorum is not None:
                raise NoteError("a second quorum line")
            self._known(rest[0], allow_none=True)
            self.quorum = rest[0]
        else:
            raise NoteError("expected 'log <vkey> [url]', 'witness <name> <vkey> [url]', 'group', 'quorum'")

    def _log(self, rest: list[str]) -> None:
        key = parse_vkey(rest[0])
        if key.kind != ED25519:
            raise NoteError("a log key must be an Ed25519 note key (type 0x01)")
        if any(k.public_key == key.public_key for k, _ in self.logs) or len(self.logs) >= MAX_ITEMS:
            raise NoteError("a duplicate log, or more than 32 logs")
        self.logs.append((key, rest[1] if len(rest) == 2 else ""))

    def _witness(self, rest: list[str]) -> None:
        name, key = rest[0], parse_vkey(rest[1])
        if key.kind != COSIGNATURE_V1:
            raise NoteError("a witness key must be a cosignature/v1 key (type 0x04)")
        self._fresh(name)
        if any(w.key.public_key == key.public_key for w in self.witnesses.values()):
            raise NoteError("two witnesses with one public key")
        if len(self.witnesses) >= MAX_ITEMS:
            raise NoteError(f"more than {MAX_ITEMS} witnesses")
        self.witnesses[name] = Witness(name, key, rest[2] if len(rest) == 3 else "")

    def _group(self, name: str, threshold: str, members: list[str]) -> None:
        self._fresh(name)
        if len(set(members)) != len(members):
            raise NoteError("a group lists a member twice")
        for member in members:
            self._known(member, allow_none=False)
        if threshold in ("all", "any"):
            k = len(members) if threshold == "all" else 1
        elif threshold.isascii() and threshold.isdigit() and threshold[0] != "0":
            k = int(threshold)
        else:
            raise NoteError(f"threshold {threshold[:20]!r} is not all, any or a number")
        if not 1 <= k <= len(members) or len(self.groups) >= MAX_ITEMS:
            raise NoteError(f"threshold {k} is outside 1..{len(members)}, or more than 32 groups")
        self.groups[name] = Group(k, tuple(members))

    def _fresh(self, name: str) -> None:
        if name == "none" or name in self.witnesses or name in self.groups:
            raise NoteError(f"name {name[:40]!r} is reserved or already defined")

    def _known(self, name: str, *, allow_none: bool) -> None:
        if not ((allow_none and name == "none") or name in self.witnesses or name in self.groups):
            raise NoteError(f"name {name[:40]!r} is not defined on an earlier line")
