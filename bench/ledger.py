"""Ledger throughput and latency on this machine; prints one JSON object.

Measures, in one run: the raw PyNaCl verification rate (the baseline), signed
transactions appended per second in-process and through the HTTP API (one
transaction per request, and batches), the distribution of one rent payment
to 10,000 investors, the anchoring of a 10,000-reading batch with every
signature re-verified, and the replay of the whole log.

Usage: python bench/ledger.py [--readings 10000] [--investors 10000] [--txs 20000]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey, VerifyKey

from backend.domain.rent import ended_period_evidence
from backend.ledger import Ledger, Submission, WithMessages
from backend.storage import Storage
from chain_client import cbor, merkle, message
from chain_client.device import device_id
from chain_client.ledger import sign
from chain_client.ledger.distribution import distribute
from chain_client.payload import Reading
from harness.ports import free_port, wait_for_port


def key(label: str) -> SigningKey:
    """A deterministic key for ``label``."""
    return SigningKey(hashlib.sha256(label.encode()).digest())


class Actor:
    """Signs transactions with unique ids."""

    def __init__(self, log_key: SigningKey) -> None:
        self.n = 0
        self.ledger = bytes(log_key.verify_key)

    def tx(self, signer: SigningKey, tx_type: str, **args: Any) -> bytes:
        self.n += 1
        return sign(tx_type, f"b{self.n}", args, signer, ledger=self.ledger)


def account(k: SigningKey) -> str:
    return bytes(k.verify_key).hex()


def readings(dev: SigningKey, count: int, first_seq: int, start: int) -> list[bytes]:
    did = device_id(bytes(dev.verify_key))
    return [
        message.sign(
            Reading(
                device_id=did,
                boot=1,
                seq=first_seq + i,
                time=start + i,
                time_synced=True,
                readings={1: 2100, 6: 1},
                run_seconds=(first_seq + i) * 10,
                cycles=i,
            ),
            dev,
        )
        for i in range(count)
    ]


def raw_verify_seconds(msgs: list[bytes], dev: SigningKey) -> float:
    """Seconds to verify every message's signature with PyNaCl alone (no decoding)."""
    decoded = [message.decode(m) for m in msgs]
    jobs = [(d.envelope.to_be_signed(), d.envelope.signature) for d in decoded]
    verifier = VerifyKey(bytes(dev.verify_key))
    started = time.perf_counter()
    for tbs, signature in jobs:
        verifier.verify(tbs, signature)
    return time.perf_counter() - started


def submit_all(ledger: Ledger, txs: Sequence[Submission], chunk: int) -> None:
    for i in range(0, len(txs), chunk):
        for outcome in ledger.submit_many(txs[i : i + chunk]):
            if not isinstance(outcome, dict):
                raise RuntimeError(f"bench transaction refused: {outcome}")


def setup(ledger: Ledger, actor: Actor, op: SigningKey, investors: int) -> dict[str, Any]:
    """Parties, a token with ``investors`` holders, a bound device and a running lease."""
    maker, lessee, gateway, buyer = key("maker"), key("lessee"), key("gateway"), key("buyer")
    txs = []
    for k, roles in (
        (maker, ["manufacturer"]),
        (lessee, ["lessee"]),
        (gateway, ["service"]),
        (buyer, ["investor"]),
    ):
        txs.append(actor.tx(k, "register_enterprise", name=account(k)[:8], roles=roles, info={}))
        txs.append(actor.tx(op, "review_enterprise", enterprise=account(k), decision="approve", reason=""))
    txs.append(actor.tx(op, "deposit", account=account(lessee), amount=10**12, reference="r"))
    txs.append(actor.tx(op, "deposit", account=account(buyer), amount=10**15, reference="r"))
    txs.append(
        actor.tx(
            maker,
            "mint_token",
            serial="BIG",
            model="M",
            specs={},
            price=10**9,
            salvage_value=0,
            shares=10**9,
            share_price=1,
            fee_terms=[{"account": account(gateway), "bps": 250}],
        )
    )
    submit_all(ledger, txs, 1000)
    token = next(iter(ledger.state.tokens))
    txs = []
    for i in range(investors):
        inv = key(f"inv-{i}")
        txs += [
            actor.tx(inv, "register_enterprise", name=f"inv{i}", roles=["investor"], info={}),
            actor.tx(op, "review_enterprise", enterprise=account(inv), decision="approve", reason=""),
            actor.tx(op, "deposit", account=account(inv), amount=1000, reference="r"),
            actor.tx(inv, "buy_shares", token=token, count=1 + i % 97),
        ]
    submit_all(ledger, txs, 1000)
    dev = key("device")
    # Periods of one second starting after every purchase: the first one ends,
    # and can be invoiced, with all the investors holding their shares.
    time.sleep(2.1)
    start = int(time.time()) - 1
    txs = [
        actor.tx(maker, "bind_device", token=token, public_key=bytes(dev.verify_key)),
        actor.tx(
            maker,
            "offer_lease",
            token=token,
            lessee=account(lessee),
            start=start,
            end=start + 3600,
            period=1,
            fixed_rent=987_654_321,
            usage_rate=3600,
            deposit=0,
            grace=0,
            fees=[{"account": account(gateway), "bps": 250}],
            expires=start + 3600,
        ),
    ]
    submit_all(ledger, txs, 1000)
    lease = next(iter(ledger.state.leases))
    submit_all(ledger, [actor.tx(lessee, "sign_lease", lease=lease)], 1)
    return {
        "maker": maker,
        "lessee": lessee,
        "gateway": gateway,
        "buyer": buyer,
        "token": token,
        "device": dev,
        "lease": lease,
        "start": start,
    }


def http_rate(txs: list[bytes], port: int, clients: int, batch: int) -> float:
    """Transactions per second posted by ``clients`` keep-alive connections, ``batch`` per request."""
    groups = [txs[i : i + batch] for i in range(0, len(txs), batch)]
    shares = [groups[i::clients] for i in range(clients)]
    errors: list[str] = []

    def run(mine: list[list[bytes]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for group in mine:
            if batch == 1:
                conn.request(
                    "POST", "/v1/transactions", body=group[0], headers={"Content-Type": "application/cbor"}
                )
            else:
                conn.request(
                    "POST",
                    "/v1/transactions/batch",
                    body=cbor.dumps(group),
                    headers={"Content-Type": "application/cbor"},
                )
            response = conn.getresponse()
            body = response.read()
            if response.status != 200 or b'"rejected"' in body:
                errors.append(body[:200].decode())
        conn.close()

    threads = [threading.Thread(target=run, args=(s,)) for s in shares]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} HTTP submissions failed, first: {errors[0]}")
    return len(txs) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readings", type=int, default=10_000)
    parser.add_argument("--investors", type=int, default=10_000)
    parser.add_argument("--txs", type=int, default=20_000)
    parser.add_argument("--http-txs", type=int, default=6_000)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="leasechain-bench-"))
    out: dict[str, Any] = {"machine_cpus": os.cpu_count()}
    try:
        op = key("operator")
        ledger = Ledger(Storage(f"sqlite:///{work / 'ledger.sqlite3'}"), op, verify_workers=2)
        ledger.start("bench", "EUR")
        actor = Actor(op)
        world = setup(ledger, actor, op, options.investors)

        # raw PyNaCl verification baseline, on the very readings anchored below
        dev = world["device"]
        batch_msgs = readings(dev, options.readings, 1_000, world["start"] + 60)
        raw = raw_verify_seconds(batch_msgs, dev)
        out["raw_verify_per_second"] = round(options.readings / raw)
        out["raw_verify_seconds_for_batch"] = round(raw, 4)

        # in-process append rate: pre-signed transactions, committed 1000 per database transaction
        token = world["token"]
        txs = [actor.tx(world["buyer"], "buy_shares", token=token, count=1) for _ in range(options.txs)]
        started = time.perf_counter()
        submit_all(ledger, txs, 1000)
        out["inprocess_tx_per_second"] = round(options.txs / (time.perf_counter() - started))
        single = [actor.tx(world["buyer"], "buy_shares", token=token, count=1) for _ in range(2000)]
        started = time.perf_counter()
        submit_all(ledger, single, 1)
        out["inprocess_tx_per_second_one_commit_each"] = round(len(single) / (time.perf_counter() - started))

        # anchoring: warm the worker processes once, then a batch of --readings messages
        warm = readings(dev, 600, 1, world["start"] + 1)
        warm_tx = actor.tx(world["gateway"], "anchor_batch", root=merkle.root(warm), count=len(warm))
        submit_all(ledger, [WithMessages(warm_tx, warm)], 1)
        anchor = WithMessages(
            actor.tx(world["gateway"], "anchor_batch", root=merkle.root(batch_msgs), count=len(batch_msgs)),
            batch_msgs,
        )
        started = time.perf_counter()
        result = ledger.submit(anchor)["result"]
        anchor_seconds = time.perf_counter() - started
        if result["verified"] != options.readings:
            raise RuntimeError(f"anchoring verified {result['verified']} of {options.readings}")
        out["anchor_seconds"] = round(anchor_seconds, 4)
        out["anchor_readings"] = options.readings
        out["anchor_over_raw_verify"] = round(anchor_seconds / raw, 3)
        out["anchor_verify_workers"] = ledger.workers

        # distribution of one payment to every holder
        lessee = world["lessee"]
        found = ledger.state.leases[world["lease"]]
        evidence = ended_period_evidence(ledger.readings, found, 0, ledger.now(), ledger.size)
        bill = {"usage_seconds": evidence.usage_seconds, "evidence": evidence.digest}
        submit_all(ledger, [actor.tx(world["maker"], "issue_invoice", lease=found.id, period=0, **bill)], 1)
        invoice = next(iter(ledger.state.invoices.values()))
        holders = len(invoice.holders)
        started = time.perf_counter()
        split = distribute(invoice.amount, ledger.state.leases[world["lease"]].fees, invoice.holders)
        out["distribution_function_seconds"] = round(time.perf_counter() - started, 4)
        assert split.total == invoice.amount
        started = time.perf_counter()
        submit_all(ledger, [actor.tx(lessee, "pay_invoice", invoice=invoice.id)], 1)
        out["distribution_payment_seconds"] = round(time.perf_counter() - started, 4)
        out["distribution_holders"] = holders
        out["distribution_amount"] = invoice.amount
        paid = sum(p.amount for p in ledger.state.invoices[invoice.id].payouts)
        out["distribution_exact"] = paid == invoice.amount

        # replay of the whole log from storage
        digest = ledger.digest()
        out["log_entries"] = ledger.size
        ledger.close()
        replayed = Ledger(Storage(f"sqlite:///{work / 'ledger.sqlite3'}"), None, verify_workers=2)
        started = time.perf_counter()
        replayed.open()
        out["replay_seconds"] = round(time.perf_counter() - started, 3)
        out["replay_digest_matches"] = replayed.digest() == digest
        replayed.close()

        # HTTP: a fresh server process over its own data directory
        out.update(bench_http(work / "http", options.http_txs))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out["targets"] = {
        "inprocess_tx_per_second": 5000,
        "http_tx_per_second": 1500,
        "distribution_seconds_10k": 1.0,
        "anchor_over_raw_verify": 1.3,
    }
    print(json.dumps(out, indent=2))


def start_backend(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Serve a fresh ledger under ``data`` on a free port; return the process and its URL."""
    op = key("operator")
    data.mkdir(parents=True)
    (data / "op.key").write_text(bytes(op).hex())
    port = free_port()
    script = shutil.which("leasechain-backend") or str(Path(sys.executable).with_name("leasechain-backend"))
    server = subprocess.Popen(
        [script, "serve", "--data-dir", str(data), "--port", str(port), "--key", str(data / "op.key")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port("127.0.0.1", port, 60, server)
    return server, f"http://127.0.0.1:{port}"


def bench_http(data: Path, count: int) -> dict[str, Any]:
    op = key("operator")
    server, url = start_backend(data)
    port = int(url.rsplit(":", 1)[1])
    try:
        actor = Actor(op)
        investor = key("http-investor")
        setup_txs = [
            actor.tx(investor, "register_enterprise", name="inv", roles=["investor"], info={}),
            actor.tx(op, "review_enterprise", enterprise=account(investor), decision="approve", reason=""),
        ]
        http_rate(setup_txs, port, 1, 1)
        deposits = [
            actor.tx(op, "deposit", account=account(investor), amount=1, reference="r") for _ in range(count)
        ]
        more_deposits = [
            actor.tx(op, "deposit", account=account(investor), amount=1, reference="s") for _ in range(count)
        ]
        withdrawals = [actor.tx(investor, "withdraw", amount=1, reference="w") for _ in range(count)]
        single = http_rate(deposits, port, 8, 1)
        # Each request waits for the fsync of its group commit, so the rate of single
        # submissions follows how many are in flight at once.
        single_32 = http_rate(more_deposits, port, 32, 1)
        batched = http_rate(withdrawals, port, 4, 100)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "http_tx_per_second": round(single),
        "http_clients": 8,
        "http_tx_per_second_32_clients": round(single_32),
        "http_tx_per_second_batches_of_100": round(batched),
    }


if __name__ == "__main__":
    main()
