"""The ledger's read endpoints as data: path, parameters and the model the answer parses into.

The sync and the async client run the same :class:`Query` values, so both
speak exactly the same API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, TypeAdapter, ValidationError

from chain_client.client import models as m
from chain_client.client.errors import BadResponseError
from chain_client.errors import LeaseChainError
from chain_client.ledger.treehead import TreeHead, tree_head_from_json

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Query(Generic[T]):
    """A GET request and how to read its JSON answer."""

    path: str
    parse: Callable[[Any], T]
    params: Mapping[str, str | int] = field(default_factory=dict)


def _model(model: type[M]) -> Callable[[Any], M]:
    def parse(data: Any) -> M:  # noqa: ANN401 - JSON of any shape, validated here
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise BadResponseError(f"the backend's answer is not a {model.__name__}: {exc}") from None

    return parse


def _list(model: type[M]) -> Callable[[Any], list[M]]:
    adapter = TypeAdapter(list[model])  # type: ignore[valid-type]

    def parse(data: Any) -> list[M]:  # noqa: ANN401 - JSON of any shape, validated here
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            raise BadResponseError(f"the backend's answer is not a list of {model.__name__}: {exc}") from None

    return parse


def _field_list(name: str, model: type[M]) -> Callable[[Any], list[M]]:
    inner = _list(model)

    def parse(data: Any) -> list[M]:  # noqa: ANN401 - JSON of any shape, validated here
        if not isinstance(data, dict) or name not in data:
            raise BadResponseError(f"the backend's answer has no {name!r} list")
        return inner(data[name])

    return parse


def _tree_head(data: Any) -> TreeHead:  # noqa: ANN401 - JSON of any shape, validated here
    if not isinstance(data, dict):
        raise BadResponseError(f"tree head is {type(data).__name__}, expected an object")
    try:
        return tree_head_from_json(data)
    except LeaseChainError as exc:
        raise BadResponseError(str(exc)) from None


def _json(data: Any) -> dict[str, Any]:  # noqa: ANN401 - JSON of any shape, validated here
    if not isinstance(data, dict):
        raise BadResponseError(f"answer is {type(data).__name__}, expected an object")
    return data


def _seg(value: str | int) -> str:
    return quote(str(value), safe="")


def _page(cursor: str | None, limit: int | None, **params: str | int | None) -> dict[str, str | int]:
    """Query parameters of a page of a list (docs/ledger.md, "Paging"): the others, cursor, limit."""
    out = {k: v for k, v in params.items() if v is not None}
    if cursor is not None:
        out["cursor"] = cursor
    if limit is not None:
        out["limit"] = limit
    return out


def info() -> Query[m.Info]:
    """Log key, platform name, currency and log size."""
    return Query("/v1/info", _model(m.Info))


def stats() -> Query[m.Stats]:
    """The ledger's totals: enterprises, machines, leases, rent paid, readings verified and rejected."""
    return Query("/v1/stats", _model(m.Stats))


def tree_head() -> Query[TreeHead]:
    """The latest signed tree head (check it with ``verify_tree_head``)."""
    return Query("/v1/log/tree-head", _tree_head)


def inclusion_proof(index: int, tree_size: int) -> Query[m.InclusionProof]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
    return Query(
        "/v1/log/proof/inclusion", _model(m.InclusionProof), {"index": index, "tree_size": tree_size}
    )


def consistency_proof(first: int, second: int) -> Query[m.ConsistencyProof]:
    """RFC 9162 consistency proof between two tree sizes."""
    return Query("/v1/log/proof/consistency", _model(m.ConsistencyProof), {"first": first, "second": second})


def entries(start: int, end: int) -> Query[list[m.RawEntry]]:
    """Raw entries ``[start, end)`` in hex (the backend serves at most 1000 per request)."""
    return Query("/v1/log/entries", _field_list("entries", m.RawEntry), {"start": start, "end": end})


def transaction(index: int) -> Query[m.LogEntry]:
    """One log entry, decoded."""
    return Query(f"/v1/transactions/{_seg(index)}", _model(m.LogEntry))


def transaction_by_id(signer: str, tx_id: str) -> Query[m.LogEntry]:
    """The log entry of a signer's transaction id."""
    return Query(f"/v1/transactions/by-id/{_seg(signer)}/{_seg(tx_id)}", _model(m.LogEntry))


def state_digest() -> Query[m.StateDigest]:
    """Tree size and the digest of the state it implies."""
    return Query("/v1/state/digest", _model(m.StateDigest))


def enterprises(*, cursor: str | None = None, limit: int | None = None) -> Query[list[m.Enterprise]]:
    """A page of enterprises with their credit records, by account."""
    return Query("/v1/enterprises", _list(m.Enterprise), _page(cursor, limit))


def enterprise(account: str) -> Query[m.Enterprise]:
    """One enterprise."""
    return Query(f"/v1/enterprises/{_seg(account)}", _model(m.Enterprise))


def tokens(
    *, cursor: str | None = None, limit: int | None = None, party: str | None = None
) -> Query[list[m.Token]]:
    """A page of tokens, by id; with ``party``, only those the account owns or made."""
    return Query("/v1/tokens", _list(m.Token), _page(cursor, limit, party=party))


def token(token_id: str) -> Query[m.Token]:
    """One token."""
    return Query(f"/v1/tokens/{_seg(token_id)}", _model(m.Token))


def holders(token_id: str) -> Query[m.Holders]:
    """Share holders of a token."""
    return Query(f"/v1/tokens/{_seg(token_id)}/holders", _model(m.Holders))


def usage(token_id: str, start: int, end: int) -> Query[m.Usage]:
    """Verified run-seconds of a token stamped in ``[start, end)``."""
    return Query(f"/v1/tokens/{_seg(token_id)}/usage", _model(m.Usage), {"start": start, "end": end})


def devices(*, cursor: str | None = None, limit: int | None = None) -> Query[m.DeviceRegistry]:
    """A page of device bindings (the gateways' registry), by device id."""
    return Query("/v1/devices", _model(m.DeviceRegistry), _page(cursor, limit))


def device(device_id: str) -> Query[m.DeviceBinding]:
    """One device binding by device id (32 hex digits)."""
    return Query(f"/v1/devices/{_seg(device_id)}", _model(m.DeviceBinding))


def balance(account: str) -> Query[m.Balance]:
    """Settlement balance of a party (or any ledger account named exactly, e.g. ``escrow:<lease>``)."""
    return Query(f"/v1/accounts/{_seg(account)}", _model(m.Balance))


def journal(account: str, limit: int = 1000, *, cursor: str | None = None) -> Query[m.Journal]:
    """Postings that touched an account, oldest first (one page: ``limit`` from ``cursor``)."""
    return Query(f"/v1/accounts/{_seg(account)}/journal", _model(m.Journal), _page(cursor, limit))


def leases(
    *, cursor: str | None = None, limit: int | None = None, token: str | None = None, party: str | None = None
) -> Query[list[m.Lease]]:
    """A page of leases, by id; only those of ``token`` and of ``party`` (lessor or lessee) if given."""
    return Query("/v1/leases", _list(m.Lease), _page(cursor, limit, token=token, party=party))


def lease(lease_id: str) -> Query[m.Lease]:
    """One lease with its invoices."""
    return Query(f"/v1/leases/{_seg(lease_id)}", _model(m.Lease))


def evidence(lease_id: str, period: int) -> Query[m.PeriodEvidence]:
    """The usage and evidence digest an invoice of an ended period must name."""
    return Query(f"/v1/leases/{_seg(lease_id)}/periods/{_seg(period)}/evidence", _model(m.PeriodEvidence))


def invoice(invoice_id: str) -> Query[m.Invoice]:
    """One invoice with its payout lines."""
    return Query(f"/v1/invoices/{_seg(invoice_id)}", _model(m.Invoice))


def payouts(account: str, *, cursor: str | None = None, limit: int | None = None) -> Query[m.Payouts]:
    """A page of the payout lines an account received, by invoice."""
    return Query(f"/v1/payouts/{_seg(account)}", _model(m.Payouts), _page(cursor, limit))


def telemetry(
    *,
    device: str | None = None,
    token: str | None = None,
    since: int | None = None,
    until: int | None = None,
    status: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
    newest_first: bool = False,
) -> Query[list[m.TelemetryReading]]:
    """Stored device messages filtered by device, token, stamp range ``[since, until)`` and verdict.

    In (stamp, batch, position) order, or its reverse with ``newest_first``; one page: ``limit`` from
    ``cursor`` (a cursor of the same order).
    """
    order = "desc" if newest_first else None
    params = _page(
        cursor, limit, device=device, token=token, since=since, until=until, status=status, order=order
    )
    return Query("/v1/telemetry", _field_list("readings", m.TelemetryReading), params)


def anchors() -> Query[list[m.RecordedAnchor]]:
    """The newest on-chain anchor recorded per (chain, contract) (docs/chain.md)."""
    return Query("/v1/anchors", _list(m.RecordedAnchor))


def batch(index: int) -> Query[m.AnchoredBatch]:
    """An anchored batch with its messages (hex, leaf order)."""
    return Query(f"/v1/batches/{_seg(index)}", _model(m.AnchoredBatch))


def reading_proof(batch: int, position: int) -> Query[dict[str, Any]]:
    """A reading proof (docs/ledger.md); check it with ``verify_reading_proof``."""
    return Query(f"/v1/telemetry/{_seg(batch)}/{_seg(position)}/proof", _json)
