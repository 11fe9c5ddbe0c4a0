"""The marketplace through the CLI against a real backend: every role, the ranking with its reasons,
a report delivered and rated, and credit scores that the CLI recomputes from the log to the same number."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chain_client.client import Keystore, LedgerClient
from tests.backend.world import reading
from tests.cli.runner import PASSPHRASE, Cli
from tests.gateway.ledger_backend import LedgerBackend


@dataclass
class Market:
    cli: Cli
    request: str
    listings: dict[str, str]
    lease: str
    order: str
    report: bytes


def _people(cli: Cli, workdir: Path, backend: LedgerBackend) -> None:
    (workdir / "operator.key").write_text(bytes(backend.operator).hex())
    cli.ok("key", "import", "operator", "--seed-file", str(workdir / "operator.key"))
    for name, role in (
        ("maker", "manufacturer"),
        ("rival", "manufacturer"),
        ("shop", "lessee"),
        ("inspector", "service"),
        ("gateway", "service"),
    ):
        cli.ok("key", "new", name)
        cli.ok("enterprise", "register", "--name", f"{name} GmbH", "--role", role, key=name)
        cli.ok("enterprise", "approve", name, key="operator")
    for name in ("shop", "maker"):
        cli.ok("account", "deposit", name, "900000", "--reference", f"bank-{name}", key="operator")


def _mint_and_list(cli: Cli, owner: str, serial: str, rent: str, site: str) -> tuple[str, str]:
    token = cli.ok(
        "token",
        "mint",
        "--serial",
        serial,
        "--model",
        "VF-2",
        "--price",
        "100000",
        "--salvage-value",
        "10000",
        "--shares",
        "10",
        "--share-price",
        "1",
        "--spec",
        "spindle=12kW",
        key=owner,
    )["result"]["token"]
    listed = cli.ok(
        "market",
        "list",
        token,
        "--kind",
        "cnc-mill",
        "--site",
        site,
        "--fixed-rent",
        rent,
        "--usage-rate",
        "36",
        "--deposit",
        "5000",
        "--min-term",
        "1",
        "--max-term",
        "30",
        key=owner,
    )
    return token, listed["result"]["listing"]


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    workdir = tmp_path_factory.mktemp("market")
    backend = LedgerBackend(workdir / "ledger")
    backend.start()
    try:
        cli = Cli(backend.url, workdir / "keystore.json")
        _people(cli, workdir, backend)
        token, near = _mint_and_list(cli, "maker", "VF-1", "1000", "Leipzig")
        _, far = _mint_and_list(cli, "rival", "VF-9", "900", "Hamburg")
        request = cli.ok(
            "market",
            "request",
            "cnc-mill",
            "--site",
            "Leipzig",
            "--term",
            "3",
            "--budget",
            "40000",
            "--hours",
            "100",
            "--spec",
            "spindle=12kW",
            key="shop",
        )["result"]["request"]
        lease = cli.ok("market", "propose", request, near, key="maker")["result"]["lease"]
        cli.ok("lease", "sign", lease, key="shop")
        sensor = Keystore(cli.keystore).unlock("maker", PASSPHRASE)  # any key will do as the machine's
        cli.ok("token", "bind-device", token, bytes(sensor.verify_key).hex(), key="maker")
        with LedgerClient(backend.url, Keystore(cli.keystore).unlock("gateway", PASSPHRASE)) as gw:
            start = gw.lease(lease).start
            gw.anchor_batch(
                [reading(sensor, seq=i, time=start + 10 * i, run_seconds=60 * i) for i in range(1, 4)]
            )
        order = cli.ok(
            "market",
            "engage",
            "inspector",
            "--subject",
            token,
            "--scope",
            "acceptance inspection",
            "--fee",
            "2500",
            "--due",
            "+86400",
            key="shop",
        )["result"]["order"]
        document = workdir / "inspection.pdf"
        document.write_bytes(b"%PDF-1.7 acceptance inspection of VF-1: passed")
        cli.ok("market", "deliver", order, str(document), key="inspector")
        cli.ok("market", "rate", order, "5", "--comment", "clear and on time", key="shop")
        yield Market(cli, request, {"near": near, "far": far}, lease, order, document.read_bytes())
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
