"""Generate tests/vectors/market.json: marketplace transactions byte for byte, the ids they derive,
a proposal's lease terms and a service's report signature (docs/market.md).

Run ``python -m tests.vectors.market_vectors`` after a deliberate change; tests/chain_client/
test_market_vectors.py fails whenever the committed file and the code disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from chain_client.ledger import transaction
from chain_client.ledger.ids import lease_id
from chain_client.ledger.schema import TxType, check_args
from chain_client.market.ids import GUARANTEE, LISTING, ORDER, REQUEST, derived_id
from chain_client.market.report import report_message, sign_report
from chain_client.market.terms import proposal_offer

TARGET = Path(__file__).resolve().parent / "market.json"
LEDGER = SigningKey(bytes(range(32)))
LESSEE = SigningKey(bytes(range(1, 33)))
OWNER = SigningKey(bytes(range(2, 34)))
SERVICE = SigningKey(bytes(range(3, 35)))
T0 = 1_764_000_000
DAY = 86_400
REPORT = bytes.fromhex("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")  # SHA-256("test")

REQUEST_ARGS = {
    "kind": "cnc-mill",
    "specs": {"spindle": "12kW"},
    "site": "Leipzig",
    "start": T0,
    "term": 90 * DAY,
    "budget": 400_000,
    "hours": 120,
    "expires": T0 + 14 * DAY,
}
LISTING_ARGS = {
    "token": "tok-0123456789abcdef",
    "kind": "cnc-mill",
    "site": "Leipzig",
    "period": 30 * DAY,
    "fixed_rent": 250_000,
    "usage_rate": 1_200,
    "deposit": 500_000,
    "min_term": 30 * DAY,
    "max_term": 360 * DAY,
}


def _tx(
    key: SigningKey, tx_type: TxType, tx_id: str, args: dict[str, Any], prefix: str = ""
) -> dict[str, Any]:
    check_args(tx_type, args)
    signer = bytes(key.verify_key).hex()
    raw = transaction.sign(tx_type.value, tx_id, args, key, ledger=bytes(LEDGER.verify_key))
    out = {"type": tx_type.value, "signer": signer, "id": tx_id, "transaction": raw.hex()}
    if prefix:
        out["creates"] = lease_id(signer, tx_id) if prefix == "lease-" else derived_id(prefix, signer, tx_id)
    return out


def vectors() -> dict[str, Any]:
    """Every vector of the file."""
    lessee, owner = bytes(LESSEE.verify_key).hex(), bytes(OWNER.verify_key).hex()
    request = _tx(LESSEE, TxType.POST_REQUEST, "req-1", REQUEST_ARGS, REQUEST)
    listing = _tx(OWNER, TxType.LIST_MACHINE, "list-1", LISTING_ARGS, LISTING)
    proposal_args = {
        "request": request["creates"],
        "listing": listing["creates"],
        "start": T0 + DAY,
        "deposit": 425_000,
        "grace": 3 * DAY,
        "fees": [],
        "expires": T0 + 8 * DAY,
    }
    proposal = _tx(OWNER, TxType.PROPOSE, "prop-1", proposal_args, "lease-")
    proposal["offer"] = proposal_offer(proposal_args, LISTING_ARGS, REQUEST_ARGS, lessee)
    guarantee_args = {
        "token": LISTING_ARGS["token"],
        "kind": "salvage",
        "amount": 10_000,
        "until": T0 + 365 * DAY,
    }
    guarantee = _tx(OWNER, TxType.POST_GUARANTEE, "guar-1", guarantee_args, GUARANTEE)
    engage_args = {
        "service": bytes(SERVICE.verify_key).hex(),
        "subject": proposal["creates"],
        "scope": "acceptance inspection",
        "fee": 25_000,
        "due": T0 + 7 * DAY,
    }
    engage = _tx(LESSEE, TxType.ENGAGE_SERVICE, "order-1", engage_args, ORDER)
    order = engage["creates"]
    signature = sign_report(SERVICE, order, REPORT)
    deliver_args = {"order": order, "report": REPORT, "signature": signature}
    deliver = _tx(SERVICE, TxType.DELIVER_REPORT, "deliver-1", deliver_args)
    deliver["report_message"] = report_message(order, REPORT).hex()
    rate = _tx(LESSEE, TxType.RATE_SERVICE, "rate-1", {"order": order, "rating": 5, "comment": "clear"})
    return {
        "ledger": bytes(LEDGER.verify_key).hex(),
        "lessee": lessee,
        "owner": owner,
        "transactions": [request, listing, proposal, guarantee, engage, deliver, rate],
    }


def main() -> None:
    """Write the file."""
    TARGET.write_text(json.dumps(vectors(), indent=2) + "\n")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
