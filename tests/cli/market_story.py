"""The marketplace told through the CLI by every role: two machines listed, a request matched to one,
a lease signed, readings anchored, an inspection engaged, its signed report delivered and rated."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
    backend: LedgerBackend


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


def tell(backend: LedgerBackend, workdir: Path) -> Market:
    """Run the story on ``backend``; every command must succeed."""
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
    return Market(cli, request, {"near": near, "far": far}, lease, order, document.read_bytes(), backend)
