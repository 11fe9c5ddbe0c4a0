"""The marketplace through the CLI against a real backend: every role, the ranking with its reasons,
a report delivered and rated, and credit scores that the CLI recomputes from the log to the same number."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from chain_client.client import LedgerClient
from tests.cli.market_story import Market, tell
from tests.gateway.ledger_backend import LedgerBackend


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    workdir = tmp_path_factory.mktemp("market")
    backend = LedgerBackend(workdir / "ledger")
    backend.start()
    try:
        yield tell(backend, workdir)
    finally:
        backend.kill()


def test_match_prints_the_ranking_with_reasons(market: Market) -> None:
    shown = market.cli.run("market", "match", market.request)
    assert shown.code == 0, shown
    lines = shown.out.splitlines()
    assert "thin file" in lines[0]
    assert "deposits at 100% of the listed" in lines[0]
    # Leased since: the near listing is off the market; the far one is the only live listing.
    assert f"1. {market.listings['far']}" in shown.out
    assert market.listings["near"] not in shown.out
    assert "+0: at Hamburg, not Leipzig" in shown.out


def test_the_request_is_matched_and_the_report_recorded(market: Market) -> None:
    cli = market.cli
    requests = cli.ok("market", "requests")
    assert [(r["id"], r["status"], r["lease"]) for r in requests] == [
        (market.request, "matched", market.lease)
    ]
    service = cli.ok("market", "service", "inspector")
    assert (service["delivered"], service["ratings"], service["mean_rating"]) == (1, 1, 5.0)
    order = service["history"][0]
    assert order["report"] == hashlib.sha256(market.report).hexdigest()
    assert (order["rating"], order["comment"]) == (5, "clear and on time")


@pytest.mark.parametrize("who", ["shop", "maker", "inspector", "gateway", "operator"])
def test_the_recomputed_credit_score_equals_the_ledgers(market: Market, who: str) -> None:
    served = market.cli.ok("market", "credit", who)
    assert served == market.cli.ok("market", "credit", who, "--recompute")
    assert served["thin_file"] is True


def test_refusals_come_back_named(market: Market) -> None:
    cli = market.cli
    again = cli.run("market", "rate", market.order, "4", key="shop")
    assert again.code != 0
    assert "already_rated" in again.err
    other = cli.run("market", "propose", market.request, market.listings["far"], key="maker")
    assert "request_not_open" in other.err
    bad = cli.run("market", "rate", market.order, "7", key="shop")
    assert bad.code != 0


def test_a_recomputation_against_another_log_key_is_refused(market: Market) -> None:
    other = "11" * 32
    refused = market.cli.run("market", "credit", "shop", "--recompute", "--log-key", other)
    assert refused.code != 0
    assert "tree head" in refused.err
    assert market.cli.run("market", "credit", "shop", "--recompute", "--log-key", "zz").code == 2


def test_the_lists_read_every_page_or_take_a_limit(market: Market) -> None:
    cli = market.cli
    every = cli.ok("market", "listings")
    assert {x["id"] for x in every} == set(market.listings.values())
    assert len(every) == 2
    assert cli.ok("market", "listings", "--limit", "1") == every[:1]
    service = cli.ok("market", "service", "inspector", "--limit", "1")
    assert [o["id"] for o in service["history"]] == [market.order]
    assert cli.ok("market", "guarantees") == []
    assert cli.run("market", "requests", "--limit", "0").code != 0
    with LedgerClient(market.backend.url) as client:
        # One row a page: the same list, followed by its cursors.
        assert [x.id for x in client.iter_listings(page_size=1)] == [x["id"] for x in every]
        history = client.iter_service_history(service["account"], page_size=1)
        assert [o.id for o in history] == [market.order]
