"""Device bindings of one token, rebuilt from its bind, rotate and revoke entries in log order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chain_client.device import device_id
from chain_client.ledger.schema import TxType


@dataclass
class Binding:
    """A device key's life on the token: bound at one log index, maybe ended (rotated/revoked) at another."""

    device: str
    public_key: bytes
    bound_index: int
    end_index: int | None = None
    end_time: int = 0
    end_status: str = ""  # rotated | revoked

    def status_before(self, index: int) -> tuple[str, int] | None:
        """``(status, ended_at)`` when the ledger judged a batch at log ``index``; None if not yet bound."""
        if index <= self.bound_index:
            return None
        if self.end_index is not None and self.end_index < index:
            return self.end_status, self.end_time
        return "active", 0


@dataclass
class Timeline:
    """Bindings by device id, and the problems found while rebuilding them."""

    bindings: dict[str, Binding]
    problems: list[tuple[int, str]]


def rebuild(entries: list[tuple[int, int, Any]], token: str) -> Timeline:
    """Bindings of ``token`` from ``(index, time, transaction)`` entries, in log order."""
    bindings: dict[str, Binding] = {}
    problems: list[tuple[int, str]] = []
    active: Binding | None = None
    for index, when, tx in sorted(entries, key=lambda e: e[0]):
        if tx.type not in (TxType.BIND_DEVICE, TxType.ROTATE_DEVICE, TxType.REVOKE_DEVICE):
            continue
        if tx.args.get("token") != token:
            continue
        if tx.type == TxType.REVOKE_DEVICE:
            if active is None:
                problems.append((index, f"revokes a device of {token} while none is active"))
                continue
            active.end_index, active.end_time, active.end_status = index, when, "revoked"
            active = None
            continue
        public_key = tx.args.get("public_key")
        if not isinstance(public_key, bytes) or len(public_key) != 32:
            problems.append((index, "carries no 32-byte public key"))
            continue
        dev = device_id(public_key).hex()
        if dev in bindings:
            problems.append((index, f"binds device {dev} a second time"))
            continue
        if tx.type == TxType.BIND_DEVICE and active is not None:
            problems.append((index, f"binds a device while {active.device} is still active"))
        if tx.type == TxType.ROTATE_DEVICE:
            if active is None:
                problems.append((index, f"rotates a device of {token} while none is active"))
            else:
                active.end_index, active.end_time, active.end_status = index, when, "rotated"
        bindings[dev] = active = Binding(dev, public_key, index)
    return Timeline(bindings, problems)
