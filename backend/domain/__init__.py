"""The state machine's transaction handlers, one module per part of the domain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.domain import (
    anchors,
    checkpoints,
    devices,
    enterprises,
    leases,
    money,
    rent,
    shares,
    telemetry,
    tokens,
)
from backend.domain.context import Context
from backend.domain.market import guarantees, listings, proposals, requests, services
from chain_client.ledger.schema import TxType

Handler = Callable[[Context], dict[str, Any]]

HANDLERS: dict[TxType, Handler] = {
    TxType.GENESIS: enterprises.genesis,
    TxType.ADD_REVIEWER: enterprises.add_reviewer,
    TxType.REGISTER_ENTERPRISE: enterprises.register_enterprise,
    TxType.REVIEW_ENTERPRISE: enterprises.review_enterprise,
    TxType.REVIEW_SERVICE: enterprises.review_service,
    TxType.DEPOSIT: money.deposit,
    TxType.WITHDRAW: money.withdraw,
    TxType.MINT_TOKEN: tokens.mint_token,
    TxType.APPROVE_TOKEN: tokens.approve_token,
    TxType.TRANSFER_TOKEN: tokens.transfer_token,
    TxType.SET_TOKEN_STATUS: tokens.set_token_status,
    TxType.SET_FEE_TERMS: tokens.set_fee_terms,
    TxType.BIND_DEVICE: devices.bind_device,
    TxType.ROTATE_DEVICE: devices.rotate_device,
    TxType.REVOKE_DEVICE: devices.revoke_device,
    TxType.BUY_SHARES: shares.buy_shares,
    TxType.TRANSFER_SHARES: shares.transfer_shares,
    TxType.OFFER_LEASE: leases.offer_lease,
    TxType.SIGN_LEASE: proposals.sign_lease,  # leases.sign_lease, then the marketplace's part
    TxType.CANCEL_OFFER: leases.cancel_offer,
    TxType.CLOSE_LEASE: leases.close_lease,
    TxType.ISSUE_INVOICE: rent.issue_invoice,
    TxType.PAY_INVOICE: rent.pay_invoice,
    TxType.ANCHOR_BATCH: telemetry.anchor_batch,
    TxType.CHECKPOINT: checkpoints.checkpoint,
    TxType.RECORD_ANCHOR: anchors.record_anchor,
    TxType.POST_REQUEST: requests.post_request,
    TxType.WITHDRAW_REQUEST: requests.withdraw_request,
    TxType.LIST_MACHINE: listings.list_machine,
    TxType.UNLIST: listings.unlist,
    TxType.PROPOSE: proposals.propose,
    TxType.POST_GUARANTEE: guarantees.post_guarantee,
    TxType.SETTLE_GUARANTEE: guarantees.settle_guarantee,
    TxType.ENGAGE_SERVICE: services.engage_service,
    TxType.DELIVER_REPORT: services.deliver_report,
    TxType.CANCEL_SERVICE: services.cancel_service,
    TxType.RATE_SERVICE: services.rate_service,
}

__all__ = ["HANDLERS", "Context", "Handler"]
