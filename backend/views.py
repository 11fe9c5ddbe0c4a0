"""JSON views of ledger entities for the HTTP API (bytes as lowercase hex)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from backend.books import Posting
from backend.state import Binding, ChainAnchor, Enterprise, Invoice, Lease, State, Token
from chain_client.ledger.evidence import Evidence
from chain_client.message import decode
from chain_client.payload import Reading


def enterprise(found: Enterprise) -> dict[str, Any]:
    """An enterprise with its credit record."""
    out = dataclasses.asdict(found)
    credit = found.credit
    out["credit"]["mean_rating"] = (
        round(credit.rating_sum / credit.reviews_received, 3) if credit.reviews_received else None
    )
    return out


def binding(found: Binding) -> dict[str, Any]:
    """A device binding (one row of a gateway's registry)."""
    out = dataclasses.asdict(found)
    out["public_key"] = found.public_key.hex()
    return out


def token(found: Token, state: State, now: int) -> dict[str, Any]:
    """A token: ERC-721 owner and approval, ERC-4907 user, status, devices and share summary."""
    return {
        "id": found.id,
        "manufacturer": found.manufacturer,
        "serial": found.serial,
        "model": found.model,
        "specs": found.specs,
        "price": found.price,
        "salvage_value": found.salvage_value,
        "total_shares": found.total_shares,
        "share_price": found.share_price,
        "shares_for_sale": found.holdings.get(found.manufacturer, 0),
        "owner": found.owner,
        "approved": found.approved,
        "status": found.status,
        "user": found.user if found.user and now < found.user_expires else "",
        "user_expires": found.user_expires,
        "lease": found.lease,
        "minted_at": found.minted_at,
        "devices": [binding(state.bindings[d]) for d in found.devices],
        "fee_terms": [{"account": a, "bps": b} for a, b in found.fee_terms],
        "offers": list(found.offers),
    }


def lease(found: Lease, state: State, now: int) -> dict[str, Any]:
    """A lease with its invoices; a pending offer past its expiry shows as ``expired``."""
    out = dataclasses.asdict(found)
    if found.status == "pending" and now >= found.expires:
        out["status"] = "expired"
    out["fees"] = [{"account": a, "bps": b} for a, b in found.fees]
    out["periods"] = found.periods
    out["invoices"] = [invoice(state.invoices[i]) for _, i in sorted(found.invoices.items())]
    return out


def invoice(found: Invoice) -> dict[str, Any]:
    """An invoice with its holder snapshot, payout lines and evidence digest (hex)."""
    out = dataclasses.asdict(found)
    out["evidence"] = found.evidence.hex()
    return out


def evidence(found: Lease, period: int, ev: Evidence) -> dict[str, Any]:
    """What an invoice of ``period`` must name: its usage and evidence digest (hex)."""
    return {
        "lease": found.id,
        "period": period,
        "start": ev.start,
        "end": ev.end,
        "usage_seconds": ev.usage_seconds,
        "count": ev.count,
        "evidence": ev.digest.hex(),
    }


def posting(found: Posting) -> dict[str, Any]:
    """One journal line."""
    return dataclasses.asdict(found)


def reading(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored device message with its decoded fields and verdict."""
    return {
        "batch": row["batch"],
        "position": row["position"],
        "device": row["device"],
        "token": row["token"],
        "kind": row["kind"],
        "boot": row["boot"],
        "seq": row["seq"],
        "time": row["device_time"],
        "synced": bool(row["synced"]),
        "stamp": row["stamp"],
        "status": row["status"],
        "reason": row["reason"],
        "run_seconds": row["run_seconds"],
        "increment": row["increment"],
        "readings": _values(bytes(row["message"])) if row["kind"] == "reading" else {},
        "message": bytes(row["message"]).hex(),
    }


def _values(raw: bytes) -> dict[str, int]:
    body = decode(raw).body
    return {str(k): v for k, v in sorted(body.readings.items())} if isinstance(body, Reading) else {}


def args(values: Mapping[str, Any]) -> Any:  # noqa: ANN401 - JSON of any shape
    """Transaction arguments as JSON: bytes in hex, nested values converted."""
    return _json(values)


def _json(value: Any) -> Any:  # noqa: ANN401 - JSON of any shape
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def batch(row: Mapping[str, Any], messages: list[bytes]) -> dict[str, Any]:
    """An anchored batch and its messages (hex), in leaf order."""
    return {
        "index": row["idx"],
        "batch_id": row["batch_id"],
        "gateway": row["gateway"],
        "root": bytes(row["root"]).hex(),
        "count": row["count"],
        "messages": [m.hex() for m in messages],
    }


def chain_anchor(anchor: ChainAnchor) -> dict[str, Any]:
    """The newest anchor recorded for one chain and contract, bytes in hex."""
    out: dict[str, Any] = _json(dataclasses.asdict(anchor))
    return out
