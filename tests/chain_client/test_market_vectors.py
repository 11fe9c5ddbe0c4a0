"""tests/vectors/market.json: the committed marketplace vectors are what the code produces, and each
vector checks on its own: signature, derived id, a proposal's lease terms, a report's signature."""

from __future__ import annotations

import json
from typing import Any

import pytest
from nacl.signing import VerifyKey

from chain_client import ledger
from chain_client.ledger.schema import check_args, parse_type
from chain_client.market.report import report_signed
from tests.vectors.market_vectors import TARGET, vectors

DOC = json.loads(TARGET.read_text())


def test_the_committed_file_is_what_the_code_produces() -> None:
    assert vectors() == DOC


@pytest.mark.parametrize("vector", DOC["transactions"], ids=lambda v: v["type"])
def test_each_transaction_decodes_and_verifies(vector: dict[str, Any]) -> None:
    tx = ledger.decode(bytes.fromhex(vector["transaction"]))
    assert (tx.type, tx.id, tx.signer, tx.ledger.hex()) == (
        vector["type"],
        vector["id"],
        vector["signer"],
        DOC["ledger"],
    )
    check_args(parse_type(tx.type), tx.args)


def test_the_report_signature_checks_away_from_the_ledger() -> None:
    deliver = next(v for v in DOC["transactions"] if v["type"] == "deliver_report")
    tx = ledger.decode(bytes.fromhex(deliver["transaction"]))
    args = tx.args
    assert report_signed(tx.public_key, args["order"], args["report"], args["signature"])
    VerifyKey(tx.public_key).verify(bytes.fromhex(deliver["report_message"]), args["signature"])
    assert not report_signed(tx.public_key, args["order"] + "x", args["report"], args["signature"])


def test_a_proposal_offers_the_listings_terms_for_the_requests_term() -> None:
    proposal = next(v for v in DOC["transactions"] if v["type"] == "propose")
    offer = proposal["offer"]
    assert offer["lessee"] == DOC["lessee"]
    assert offer["end"] - offer["start"] == 90 * 86_400
    assert (offer["period"], offer["fixed_rent"], offer["usage_rate"]) == (30 * 86_400, 250_000, 1_200)
