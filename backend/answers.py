"""The HTTP API's answers built from the ledger's records, as the SDK's models (bytes as lowercase hex).

Each answer has one definition, the pydantic model of :mod:`chain_client.client.models` that the
SDK reads it with; the backend builds that model from its state and serves its JSON, so the two
cannot drift, and the OpenAPI document describes the answers with the same models.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter

from backend.books import Posting
from backend.state import Binding, ChainAnchor, Enterprise, Invoice, Lease, State, Token
from chain_client.client import models as m
from chain_client.ledger.evidence import Evidence
from chain_client.message import decode
from chain_client.payload import Reading
from chain_client.plain import plain

M = TypeVar("M", bound=BaseModel)
_ADAPTERS: dict[type[BaseModel], TypeAdapter[Any]] = {}


def json_list(model: type[M], items: Sequence[M]) -> bytes:
    """The JSON array of ``items``, each a ``model``."""
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
    out: bytes = adapter.dump_json(list(items))
    return out


def enterprise(found: Enterprise) -> m.Enterprise:
    """An enterprise with its credit record and mean rating."""
    out = dataclasses.asdict(found)
    credit = found.credit
    out["credit"]["mean_rating"] = (
        round(credit.rating_sum / credit.reviews_received, 3) if credit.reviews_received else None
    )
    return m.Enterprise.model_validate(out)


def binding(found: Binding) -> m.DeviceBinding:
    """A device binding (one row of a gateway's registry)."""
    return m.DeviceBinding.model_validate({**vars(found), "public_key": found.public_key.hex()})


def token(found: Token, state: State, now: int) -> m.Token:
    """A token: ERC-721 owner and approval, ERC-4907 user, status, devices and share summary."""
    return m.Token(
        id=found.id,
        manufacturer=found.manufacturer,
        serial=found.serial,
        model=found.model,
        specs=found.specs,
        price=found.price,
        salvage_value=found.salvage_value,
        total_shares=found.total_shares,
        share_price=found.share_price,
        shares_for_sale=found.holdings.get(found.manufacturer, 0),
        owner=found.owner,
        approved=found.approved,
        status=found.status,
        # ERC-4907: a user past its expiry is no user.
        user=found.user if found.user and now < found.user_expires else "",
        user_expires=found.user_expires,
        lease=found.lease,
        minted_at=found.minted_at,
        devices=[binding(state.bindings[d]) for d in found.devices],
        fee_terms=[m.FeeSplit(account=a, bps=b) for a, b in found.fee_terms],
        offers=list(found.offers),
    )


def holders(found: Token) -> m.Holders:
    """A token's share holders, by account."""
    return m.Holders(
        token=found.id, total_shares=found.total_shares, holders=dict(sorted(found.holdings.items()))
    )


def lease(found: Lease, state: State, now: int) -> m.Lease:
    """A lease with its invoices; a pending offer past its expiry shows as ``expired``."""
    out = {k: v for k, v in vars(found).items() if k not in ("fees", "invoices")}
    if found.status == "pending" and now >= found.expires:
        out["status"] = "expired"
    out["fees"] = [m.FeeSplit(account=a, bps=b) for a, b in found.fees]
    out["invoices"] = [invoice(state.invoices[i]) for _, i in sorted(found.invoices.items())]
    out["periods"] = found.periods
    return m.Lease.model_validate(out)


def invoice(found: Invoice) -> m.Invoice:
    """An invoice with its holder snapshot, payout lines and evidence digest (hex)."""
    out = {**vars(found), "evidence": found.evidence.hex()}
    out["payouts"] = [m.Payout.model_validate(vars(p)) for p in found.payouts]
    return m.Invoice.model_validate(out)


def evidence(found: Lease, period: int, ev: Evidence) -> m.PeriodEvidence:
    """What an invoice of ``period`` must name: its usage and evidence digest (hex)."""
    return m.PeriodEvidence(
        lease=found.id,
        period=period,
        start=ev.start,
        end=ev.end,
        usage_seconds=ev.usage_seconds,
        count=ev.count,
        evidence=ev.digest.hex(),
    )


def posting(found: Posting) -> m.Posting:
    """One journal line."""
    return m.Posting.model_validate(vars(found))


def reading(row: Mapping[str, Any]) -> m.TelemetryReading:
    """A stored device message with its decoded fields and verdict."""
    return m.TelemetryReading(
        batch=row["batch"],
        position=row["position"],
        device=row["device"],
        token=row["token"],
        kind=row["kind"],
        boot=row["boot"],
        seq=row["seq"],
        time=row["device_time"],
        synced=bool(row["synced"]),
        stamp=row["stamp"],
        status=row["status"],
        reason=row["reason"],
        run_seconds=row["run_seconds"],
        increment=row["increment"],
        readings=row["values"] if "values" in row else _values(bytes(row["message"]), row["kind"]),
        message=bytes(row["message"]).hex(),
    )


def _values(raw: bytes, kind: str) -> dict[str, int]:
    if kind != "reading":
        return {}
    body = decode(raw).body
    return {str(k): v for k, v in sorted(body.readings.items())} if isinstance(body, Reading) else {}


def batch(row: Mapping[str, Any], messages: list[bytes]) -> m.AnchoredBatch:
    """An anchored batch and its messages (hex), in leaf order."""
    return m.AnchoredBatch(
        index=row["idx"],
        batch_id=row["batch_id"],
        gateway=row["gateway"],
        root=bytes(row["root"]).hex(),
        count=row["count"],
        messages=[x.hex() for x in messages],
    )


def chain_anchor(anchor: ChainAnchor) -> m.RecordedAnchor:
    """The newest anchor recorded for one chain and contract, bytes in hex."""
    return m.RecordedAnchor.model_validate(plain(vars(anchor)))
