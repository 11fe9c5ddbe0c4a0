"""A whole lease, from registration to payout, by every role, through the ``leasechain`` CLI.

The operator imports the backend's key and certifies everyone; the
manufacturer mints a machine and binds its sensor; an investor buys shares;
a gateway (a certified service) anchors real device-signed readings; the
lessee signs, is invoiced for fixed rent plus verified machine-hours, pays;
the payment is distributed to the operator's fee and the share holders; the
lease is closed; the auditor exports the invoice's evidence bundle.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from chain_client.client import Keystore, LedgerClient
from tests.backend.world import reading
from tests.cli.runner import PASSPHRASE, Cli
from tests.gateway.ledger_backend import LedgerBackend

PERIOD = 5  # seconds: the backend runs on wall-clock time, so periods are short
FIXED_RENT = 1000
USAGE_RATE = 360  # per machine-hour
FEE_BPS = 250
RUN_STEP = 600  # run-seconds between readings


@dataclass
class Story:
    """What the lease left behind, for the tests to check."""

    backend: LedgerBackend
    cli: Cli
    accounts: dict[str, str]
    token: str
    sensor: SigningKey
    lease: str
    invoice: dict[str, Any]
    batch: int
    other_batch: int
    bundle: Path
    steps: list[str]


def tell(backend: LedgerBackend, workdir: Path) -> Story:
    """Run the story; every command must succeed."""
    cli = Cli(backend.url, workdir / "keystore.json")
    steps: list[str] = []

    def ok(*args: str, key: str | None = None) -> Any:
        steps.append(" ".join(args) + (f" --key {key}" if key else ""))
        return cli.ok(*args, key=key)

    (workdir / "operator.key").write_text(bytes(backend.operator).hex())
    ok("key", "import", "operator", "--seed-file", str(workdir / "operator.key"))
    roles = {
        "maker": "manufacturer",
        "lessee": "lessee",
        "investor": "investor",
        "gateway": "service",
        "auditor": "auditor",
    }
    accounts = {"operator": bytes(backend.operator.verify_key).hex()}
    for name, role in roles.items():
        accounts[name] = ok("key", "new", name)["account"]
        ok(
            "enterprise",
            "register",
            "--name",
            f"{name} GmbH",
            "--role",
            role,
            "--info",
            "country=DE",
            key=name,
        )
        assert ok("enterprise", "show", name)["status"] == "pending"
        ok("enterprise", "approve", name, key="operator")
        assert ok("enterprise", "show", name)["status"] == "approved"

    ok("account", "deposit", "lessee", "50000", "--reference", "bank-lessee", key="operator")
    ok("account", "deposit", "investor", "1000", "--reference", "bank-investor", key="operator")

    token = ok(
        "token",
        "mint",
        "--serial",
        "CNC-0001",
        "--model",
        "CNC-5",
        "--price",
        "100000",
        "--salvage-value",
        "10000",
        "--shares",
        "100",
        "--share-price",
        "10",
        "--spec",
        "spindle=12kW",
        "--fee-term",
        f"operator:{FEE_BPS}",
        key="maker",
    )["result"]["token"]
    sensor = SigningKey.generate()
    ok("token", "bind-device", token, bytes(sensor.verify_key).hex(), key="maker")
    ok("shares", "buy", token, "30", key="investor")
    assert ok("shares", "holders", token)["holders"] == {accounts["maker"]: 70, accounts["investor"]: 30}

    offered = ok(
        "lease",
        "offer",
        token,
        "--lessee",
        "lessee",
        "--start",
        "now",
        "--periods",
        "1",
        "--period",
        str(PERIOD),
        "--fixed-rent",
        str(FIXED_RENT),
        "--usage-rate",
        str(USAGE_RATE),
        "--deposit",
        "500",
        "--grace",
        "3600",
        "--fee",
        f"operator:{FEE_BPS}",
        key="maker",
    )
    lease = offered["result"]["lease"]
    ok("lease", "sign", lease, key="lessee")
    start = int(ok("lease", "show", lease)["start"])

    # The gateway anchors real signed readings: one batch with the sensor's readings, and
    # one of another machine's sensor, so the bundle must pick the right messages.
    stranger = SigningKey.generate()
    messages = [reading(sensor, seq=i, time=start + i // 2, run_seconds=RUN_STEP * i) for i in range(1, 5)]
    gateway_key = Keystore(cli.keystore).unlock("gateway", PASSPHRASE)
    with LedgerClient(backend.url, gateway_key) as gw:
        other = gw.anchor_batch([reading(stranger, seq=1, time=start)]).anchor
        anchored = gw.anchor_batch([messages[0], reading(stranger, seq=2, time=start), *messages[1:]]).anchor
    assert anchored.verified == 4, anchored
    time.sleep(max(0.0, start + PERIOD + 1 - time.time()))

    issued = ok("rent", "invoice", lease, "0", key="maker")["result"]
    paid = ok("rent", "pay", issued["invoice"], key="lessee")["result"]
    assert paid["on_time"] is True
    ok("lease", "end", lease, key="lessee")
    invoice = ok("rent", "payouts", "--invoice", issued["invoice"])

    bundle = workdir / "bundle.json"
    ok("audit", "export", "--lease", lease, "--period", "0", "-o", str(bundle), key="auditor")
    return Story(
        backend, cli, accounts, token, sensor, lease, invoice, anchored.batch, other.batch, bundle, steps
    )
