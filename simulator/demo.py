"""``leasechain-sim demo``: the whole Lease Chain story on one machine, in about a minute.

Starts a ledger backend (SQLite in a temporary directory), an MQTT broker
(Mosquitto, or amqtt where Mosquitto is not installed), a gateway and a
fleet of virtual sensors on three kinds of machine; then, through the SDK:
certifies the enterprises, mints a token per machine and binds its sensor,
sells shares to investors, leases every machine with usage-based rent,
streams two device days of telemetry, invoices, pays and distributes the
rent, exports audit bundles and verifies them offline.  Writes an HTML
report with charts, the fleet's JSON report and the audit bundles to the
output directory.  Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nacl.signing import SigningKey

from chain_client import human
from chain_client.audit import export_bundle, save, verify_bundle
from chain_client.client import LedgerClient
from chain_client.payload import SENSORS
from chain_client.tlog import log_verifier, note, parse_text
from chain_client.tlog.policy import Policy, parse_policy
from simulator import html_report, market_story, story
from simulator.fleet import Fleet, tty_progress
from simulator.runner import Target, run
from simulator.scenario import Scenario, parse
from simulator.services import Backend, Broker, Explorer, Gateway, Service, Witness, raise_fd_limit

if TYPE_CHECKING:
    from simulator.chain import ChainSide

PERIOD = 86400  # one device day per lease period
PERIODS = 2
LEAD_SECONDS = 5.0  # connecting the fleet before the first reading is due
TEMPERATURE, CURRENT = 1, 4  # sensor registry keys (chain_client.payload.SENSORS)


@dataclass(frozen=True)
class DemoOptions:
    """What the command line can change."""

    output: Path
    devices: int = 24
    seconds: float = 30.0
    broker: str = "auto"
    json_output: bool = False
    keep: bool = False  # keep the ledger and the explorer up after the story, until Ctrl-C
    chain: bool = False  # anchor on a local anvil chain through the bridge (docs/chain.md)


def demo_scenario(devices: int, seconds: float) -> Scenario:
    """Three kinds of machine; two device days in ``seconds``; a few hostile messages to reject."""
    history = PERIOD * PERIODS
    return parse(
        {
            "name": "demo",
            "run": {
                "seed": 42,
                "devices": devices,
                "rate": 2.0,
                "duration_seconds": seconds,
                "acceleration": history / seconds,
                "drain_seconds": 60,
            },
            "machines": [
                {
                    "name": "cnc-mill",
                    "share": 2,
                    "sensors": ["clamp", "pulse", "ambient"],
                    "shifts": [[6, 14], [14, 22]],
                    "duty_cycle": 0.75,
                    "cycle_seconds": 1800,
                    "running_current_ma": [9000, 14000],
                    "idle_current_ma": [150, 400],
                    "threshold_ma": 2000,
                    "temperature_c": [19, 34],
                    "cycles_per_hour": 20,
                },
                {
                    "name": "compressor",
                    "sensors": ["clamp", "ambient"],
                    "duty_cycle": 0.4,
                    "cycle_seconds": 1200,
                    "running_current_ma": [6000, 8000],
                    "idle_current_ma": [0, 100],
                    "threshold_ma": 1000,
                    "temperature_c": [15, 45],
                },
                {
                    "name": "printer-3d",
                    "sensors": ["clamp", "pulse", "ambient"],
                    "duty_cycle": 0.9,
                    "cycle_seconds": 14400,
                    "running_current_ma": [1500, 2500],
                    "idle_current_ma": [50, 150],
                    "threshold_ma": 800,
                    "cycles_per_hour": 4,
                },
            ],
            "faults": {"forged_signatures": 0.005, "malformed": 0.002, "duplicates": 0.005},
        },
        "demo scenario",
    )


ORIGIN = "demo.leasechain.invalid/ledger"
WITNESSES = ("alpha.witness.invalid/w1", "beta.witness.invalid/w2")


class Demo:
    """One demo run: its services, its cast and what it learned for the report."""

    def __init__(self, options: DemoOptions) -> None:
        self.options = options
        self.work = Path(tempfile.mkdtemp(prefix="leasechain-demo-"))
        self.services: list[Service] = []
        self.events: list[str] = []
        self.deals: list[story.Deal] = []
        self.market: market_story.Matched | None = None
        self.explorer = ""
        self.chain: ChainSide | None = None
        self.chain_facts: dict[str, Any] = {}
        self.policy: Policy | None = None

    def say(self, line: str) -> None:
        self.events.append(line)
        if not self.options.json_output:
            print(line, flush=True)

    def close(self) -> None:
        """Stop every service, newest first, and remove the scratch directory."""
        for service in reversed(self.services):
            service.stop()
        self.services.clear()
        shutil.rmtree(self.work, ignore_errors=True)

    def _explorer(self, ledger_url: str) -> str:
        """Start the explorer over the ledger; its address, or "" without the ``explorer`` extra."""
        if importlib.util.find_spec("jinja2") is None:
            self.say("explorer not started: it needs the explorer extra (pip install 'leasechain[explorer]')")
            return ""
        explorer = Explorer(self.work / "explorer", ledger_url)
        explorer.start()
        self.services.append(explorer)
        self.say(f"explorer on {explorer.url}/ (follow the story there as it happens)")
        return explorer.url

    def keep(self) -> None:
        """Keep everything up until Ctrl-C (or SIGTERM), so the story can be read in the explorer."""
        # A shell starts a background job with SIGINT ignored, and a service manager stops with
        # SIGTERM: both end the wait here, so the children are stopped in order either way.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
        print(f"\nkept up until Ctrl-C: the explorer on {self.explorer or '(not started)'}/", flush=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nstopping the explorer, the gateway, the broker and the ledger", file=sys.stderr)

    def _witnesses(self, operator: SigningKey) -> list[str]:
        """Start the two witnesses of the demo's log; the backend's options that make it use them."""
        log_vkey = log_verifier(ORIGIN, bytes(operator.verify_key)).vkey()
        witnesses = [Witness(self.work / n.split(".")[0], n, log_vkey) for n in WITNESSES]
        for witness in witnesses:
            witness.start()
            self.services.append(witness)
        text = f"log {log_vkey}\n" + "".join(
            f"witness {w.witness_name} {w.vkey} {w.url}\n" for w in witnesses
        )
        text += "group both all " + " ".join(WITNESSES) + "\nquorum both\n"
        (self.work / "witnesses.policy").write_text(text)
        self.policy = parse_policy(text)
        self.say(
            "witnesses "
            + " and ".join(f"{w.witness_name} on {w.url}" for w in witnesses)
            + " co-sign every checkpoint; the ledger publishes one only once both did"
        )
        return ["--origin", ORIGIN, "--witness-policy", str(self.work / "witnesses.policy")]

    def play(self) -> dict[str, Any]:
        options = self.options
        raise_fd_limit()
        operator = SigningKey.generate()
        backend = Backend(self.work / "backend", operator, extra=self._witnesses(operator))
        backend.start()
        self.services.append(backend)
        url = backend.url
        self.say(f"ledger backend serving on {url} (SQLite in a temporary directory)")
        self.explorer = self._explorer(url)
        broker = Broker(self.work / "broker", prefer=options.broker)
        broker.start()
        self.services.append(broker)
        self.say(f"{broker.kind} broker on mqtt://{broker.host}:{broker.port}")
        cast = story.Cast(operator=backend.operator)
        story.certify_all(url, cast, self.say)
        gateway = Gateway(
            self.work / "gateway",
            (broker.host, broker.port, broker.protocol),
            url,
            cast.service.key,
            gateway_id="demo-site",
        )
        gateway.start()
        self.services.append(gateway)
        self.say("site gateway running, anchoring batches as SiteLink Gateways")
        if options.chain:
            from simulator.chain import start_chain  # web3.py: the `chain` extra

            self.chain = start_chain(self.work / "chain", url, cast, self.explorer, self.services.append)
            self.say(
                f"anvil chain on {self.chain.rpc_url}: CheckpointAnchor {self.chain.anchor}, "
                f"MachineToken {self.chain.token}; the bridge anchors checkpoints and mirrors tokens"
            )

        scenario = demo_scenario(options.devices, options.seconds)
        history = PERIOD * PERIODS
        start = int(time.time() + LEAD_SECONDS + options.seconds - history)

        def after_enrol(fleet: Fleet, tokens: dict[str, str]) -> None:
            self.deals = [
                story.Deal(tokens[vd.public_key.hex()], vd.profile.name, vd.device_hex)
                for vd in fleet.devices
            ]
            kinds = sorted({d.kind for d in self.deals})
            self.say(f"minted {len(self.deals)} machine tokens ({', '.join(kinds)}) and bound their sensors")
            fees = story.fee_terms(cast)
            first = self.deals[0]
            matched = market_story.match_and_sign(url, cast, first, start, PERIOD, PERIODS, fees, self.say)
            self.market = market_story.inspect_and_rate(url, cast, first, matched, self.say)
            story.sell_and_lease(url, cast, self.deals, start, PERIOD, PERIODS, self.say)
            self.say(f"streaming {history // 3600} device hours of telemetry in {options.seconds:.0f} s")

        progress = tty_progress if sys.stdout.isatty() and not options.json_output else None
        outcome = run(
            scenario,
            Target(
                (broker.host, broker.port),
                url,
                gateway.store,
                gateway.metrics_url,
                backend.operator,
                cast.maker.key,
                story.fee_terms(cast),
            ),
            lambda line: None,
            progress,
            history_start=start,
            after_enrol=after_enrol,
        )
        if progress is not None:
            print()
        v = outcome.report["verdict"]
        self.say(
            f"fleet: {v['delivered']} readings delivered, {v['lost']} lost, {v['duplicates']} counted twice, "
            f"{v['hostile_rejected']} hostile messages rejected, {v['false_accepts']} false accepts"
        )
        end = start + history
        while time.time() < end + 1:
            time.sleep(0.2)  # the last period must have ended on the ledger's clock
        total = story.invoice_and_pay(url, cast, self.deals, PERIODS, self.say)
        if self.chain is not None:
            self._wait_for_chain(url, self.chain)
        return self._collect(url, cast, outcome.report, total, broker.kind)

    def _wait_for_chain(self, url: str, chain: ChainSide) -> None:
        """Wait until the bridge has anchored the whole story and mirrored every token."""
        with LedgerClient(url) as client:
            size = client.info().size
            recorded = chain.wait_recorded(client, size)
            tokens = [d.token for d in self.deals]
            mirrored = chain.wait_mirrored(client, tokens)
        self.chain_facts = {
            "rpc": chain.rpc_url,
            "anchor_contract": chain.anchor,
            "token_contract": chain.token,
            "anchors_recorded": recorded.count,
            "anchored_size": recorded.size,
            "anchor_block": recorded.block,
            "anchor_tx": "0x" + recorded.tx_hash,
            "tokens_mirrored": mirrored,
            "tokens": len(tokens),
        }
        self.say(
            f"bridge: {recorded.count} checkpoints anchored on chain and recorded in the ledger, "
            f"the newest of log size {recorded.size} in block {recorded.block}; "
            f"{mirrored} of {len(tokens)} machine tokens mirrored (owner, lessee as ERC-4907 user, status)"
        )

    def _collect(
        self, url: str, cast: story.Cast, fleet: dict[str, Any], total: int, broker: str
    ) -> dict[str, Any]:
        out = self.options.output
        (out / "audit").mkdir(parents=True, exist_ok=True)
        with LedgerClient(url) as client:
            currency = client.info().currency
            witnessed = self._witnessed(client)
            machines = self._machines(client)
            telemetry = self._telemetry(client, machines)
            audit = self._audit(client, machines, out)
            money = self._money(client, cast)
            head = client.tree_head()
        data = html_report.ReportData(
            title="Lease Chain demo",
            currency=currency,
            facts=[
                ("machines", f"{len(self.deals)} ({', '.join(sorted({d.kind for d in self.deals}))})"),
                ("broker", broker),
                (
                    "rent paid",
                    f"{human.money(total, currency)} over {len(self.deals) * PERIODS} invoices",
                ),
                ("ledger", f"{head.size} log entries, root {head.root.hex()[:16]}…"),
                *self._chain_fact(),
                ("witnesses", f"{', '.join(witnessed)} co-signed the checkpoint of {head.size} entries"),
            ],
            fleet=fleet,
            telemetry=telemetry,
            machines=machines,
            money=money,
            audit=audit,
            audit_scope=(
                f"The auditor exported and verified the evidence of every invoice: {len(self.deals)} "
                f"leases, {PERIODS} periods each."
            ),
            events=self.events,
            explorer=self.explorer,
        )
        (out / "report.html").write_text(html_report.render(data))
        (out / "fleet-report.json").write_text(json.dumps(fleet, indent=2) + "\n")
        summary = {
            "machines": len(self.deals),
            "readings_verified": fleet["ledger"]["by_status"].get("verified", 0) if fleet["ledger"] else 0,
            "fleet_passed": fleet["passed"],
            "currency": currency,
            "rent_paid": total,
            "paid": {p.name: p.paid_rent for p in money if p.paid_rent},
            "received": {p.name: sum(p.received.values()) for p in money if p.received},
            "audit_bundles": len(audit),
            "audit_verified": sum(1 for a in audit if a.ok),
            "tree_size": head.size,
            "witnesses": witnessed,
            "report": str(out / "report.html"),
            "explorer": self.explorer,
            **({"chain": self.chain_facts} if self.chain_facts else {}),
            "market": dataclasses.asdict(self.market) if self.market else None,
        }
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary

    def _chain_fact(self) -> list[tuple[str, str]]:
        c = self.chain_facts
        if not c:
            return []
        return [
            (
                "chain",
                f"anvil: {c['anchors_recorded']} anchors, the newest of log size {c['anchored_size']} "
                f"in block {c['anchor_block']} (CheckpointAnchor {c['anchor_contract']}); "
                f"{c['tokens_mirrored']} of {c['tokens']} machine tokens mirrored "
                f"(MachineToken {c['token_contract']})",
            )
        ]

    def _witnessed(self, client: LedgerClient, timeout: float = 30.0) -> list[str]:
        """Wait until the published checkpoint covers the whole log; the witnesses that co-signed it."""
        assert self.policy is not None
        deadline = time.monotonic() + timeout
        while True:
            signed = note.parse(client.static("checkpoint"))
            if parse_text(signed.text).size == client.info().size or time.monotonic() > deadline:
                names = self.policy.cosigners(signed)
                self.say(
                    f"checkpoint of {parse_text(signed.text).size} entries co-signed by {', '.join(names)}"
                )
                return names
            time.sleep(0.1)

    def _machines(self, client: LedgerClient) -> list[html_report.Machine]:
        """Every leased machine by its serial, with its verified hours per period."""
        machines = []
        for deal in self.deals:
            lease = client.lease(deal.lease)
            machines.append(
                html_report.Machine(
                    serial=client.token(deal.token).serial,
                    kind=deal.kind,
                    token=deal.token,
                    lease=deal.lease,
                    hours=[i.usage_seconds / 3600 for i in lease.invoices],
                )
            )
        return machines

    def _telemetry(
        self, client: LedgerClient, machines: list[html_report.Machine]
    ) -> dict[str, list[tuple[str, list[tuple[float, float]]]]]:
        """Current and temperature of the first machine of each kind, from its verified readings."""
        current, temperature = SENSORS[CURRENT], SENSORS[TEMPERATURE]
        charts: dict[str, list[tuple[str, list[tuple[float, float]]]]] = {
            f"Current drawn ({human.unit(current)})": [],
            f"Temperature ({human.unit(temperature)})": [],
        }
        shown: set[str] = set()
        for deal, machine in zip(self.deals, machines, strict=True):
            if deal.kind in shown:
                continue
            shown.add(deal.kind)
            rows = client.telemetry(device=deal.device, status="verified", limit=10_000)
            label = f"{machine.serial} ({deal.kind})"
            for title, sensor in zip(charts, (current, temperature), strict=True):
                key = str(sensor.key)
                charts[title].append(
                    (label, [(r.time, r.readings[key] / sensor.scale) for r in rows if key in r.readings])
                )
        return charts

    def _audit(
        self, client: LedgerClient, machines: list[html_report.Machine], out: Path
    ) -> list[html_report.AuditRow]:
        """Export and verify offline the evidence bundle of every invoice of every lease."""
        rows = []
        for machine in machines:
            for period in range(PERIODS):
                bundle = export_bundle(client, machine.lease, period)
                name = f"audit/{machine.lease}.{period}.json"
                save(bundle, out / name)
                report = verify_bundle(bundle, policy=self.policy)
                cosigned = ", ".join(report.summary.get("witnesses", []))
                detail = (
                    f"{sum(report.passed.values())} checks passed, co-signed by {cosigned}"
                    if report.ok
                    else "; ".join(str(f) for f in report.failures[:3])
                )
                ok = report.ok
                if self.chain is not None:
                    on_chain = self.chain.check(bundle)
                    ok = ok and on_chain.ok
                    detail += "; on chain: " + "; ".join(on_chain.lines)
                rows.append(html_report.AuditRow(name, machine.serial, period, ok, detail))
        self.say(
            f"auditor exported {len(rows)} evidence bundles, one per invoice, and verified them offline: "
            f"{sum(1 for r in rows if r.ok)} of {len(rows)} hold"
        )
        return rows

    @staticmethod
    def _money(client: LedgerClient, cast: story.Cast) -> list[html_report.Money]:
        """What each party paid in rent and received in payouts, from the ledger's payout lines."""
        parties = [(p.account, p.name, ", ".join(p.roles)) for p in cast.parties]
        parties.append((cast.operator_account, "Platform operator", "operator"))
        paid: dict[str, int] = {}
        for lease in client.leases():
            for invoice in lease.invoices:
                if invoice.paid_at:
                    paid[lease.lessee] = paid.get(lease.lessee, 0) + invoice.amount
        money = []
        for account, name, role in parties:
            received: dict[str, int] = {}
            for line in client.payouts(account).payouts:
                received[line.kind] = received.get(line.kind, 0) + line.amount
            money.append(html_report.Money(name, role, paid.get(account, 0), received))
        return money


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_demo(options: DemoOptions) -> int:
    """Play the demo; return the exit status (0 when the fleet verdict and every audit hold)."""
    options.output.mkdir(parents=True, exist_ok=True)
    demo = Demo(options)
    try:
        started = time.monotonic()
        summary = demo.play()
        summary["seconds"] = round(time.monotonic() - started, 1)
        _print_summary(summary, options.json_output)
        if options.keep:
            demo.keep()
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the fleet, the gateway, the broker and the ledger", file=sys.stderr)
        raise
    finally:
        demo.close()
    ok = summary["fleet_passed"] and summary["audit_verified"] == summary["audit_bundles"]
    return 0 if ok else 1


def _print_summary(summary: dict[str, Any], json_output: bool) -> None:
    if json_output:
        print(json.dumps(summary, indent=2), flush=True)
        return
    print()
    print(f"Lease Chain demo finished in {summary['seconds']} s")
    print(f"  readings verified on the ledger  {summary['readings_verified']}")
    currency = summary["currency"]
    print(f"  rent paid and distributed        {human.money(summary['rent_paid'], currency)}")
    for name, amount in summary["paid"].items():
        print(f"    {'paid by ' + name:40s} {human.money(amount, currency):>16}")
    for name, amount in summary["received"].items():
        print(f"    {'received by ' + name:40s} {human.money(amount, currency):>16}")
    print(f"  audit bundles verified offline   {summary['audit_verified']} of {summary['audit_bundles']}")
    if "chain" in summary:
        c = summary["chain"]
        print(
            f"  anchored on chain (anvil)        log size {c['anchored_size']} in block {c['anchor_block']}"
        )
        print(f"  machine tokens mirrored          {c['tokens_mirrored']} of {c['tokens']}")
    print(f"  report                           {summary['report']}")
    if summary["explorer"]:
        print(f"  explorer                         {summary['explorer']}/", flush=True)
