"""The HTTP API of a real ``leasechain-backend serve`` process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Any

import pytest

from chain_client import cbor
from chain_client.device import device_id
from chain_client.ledger import sign, tree_head_from_json, verify_tree_head
from chain_client.ledger.proofs import verify_reading_proof
from chain_client.merkle import verify_consistency, verify_inclusion
from tests.backend.server import OPERATOR_KEY, Server
from tests.backend.world import DAY, Party, batch_args, reading, seeded_key

pytestmark = pytest.mark.slow
OPERATOR = Party(OPERATOR_KEY)


class Actor:
    """Submits signed transactions over HTTP."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.n = 0

    def tx(self, party: Party, tx_type: str, /, tx_id: str | None = None, **args: Any) -> bytes:
        self.n += 1
        return sign(tx_type, tx_id or f"h{self.n}", args, party.key, ledger=bytes(OPERATOR.key.verify_key))

    def do(self, party: Party, tx_type: str, /, **args: Any) -> dict[str, Any]:
        if tx_type == "anchor_batch":
            messages = args.pop("messages")
            sent = cbor.dumps([self.tx(party, tx_type, **args), messages])
            status, body = self.server.post("/v1/batches", sent)
            assert status == 200, body
            return body  # type: ignore[no-any-return]
        status, body = self.server.post("/v1/transactions", self.tx(party, tx_type, **args))
        assert status == 200, body
        return body  # type: ignore[no-any-return]

    def enterprise(self, label: str, *roles: str) -> Party:
        p = Party(seeded_key(f"http-{label}"))
        self.do(p, "register_enterprise", name=label, roles=list(roles), info={})
        self.do(OPERATOR, "review_enterprise", enterprise=p.account, decision="approve", reason="")
        return p


def test_a_lease_over_http_with_proofs_and_replay(server: Server) -> None:
    info = server.get("/v1/info")
    assert info["log_key"] == OPERATOR.account
    assert info["size"] == 1
    api = Actor(server)
    maker = api.enterprise("maker", "manufacturer")
    lessee = api.enterprise("lessee", "lessee")
    gateway = api.enterprise("gateway", "service")
    api.do(OPERATOR, "deposit", account=lessee.account, amount=10_000, reference="r")
    token = api.do(
        maker,
        "mint_token",
        serial="S1",
        model="M",
        specs={},
        price=10,
        salvage_value=1,
        shares=4,
        share_price=1,
        fee_terms=[],
    )["result"]["token"]
    dev = seeded_key("http-dev")
    api.do(maker, "bind_device", token=token, public_key=bytes(dev.verify_key))
    registry = server.get("/v1/devices")["devices"]
    assert [d["token"] for d in registry] == [token]
    assert registry[0]["status"] == "active"
    now = int(time.time())
    start = now - 2 * DAY
    lease = api.do(
        maker,
        "offer_lease",
        token=token,
        lessee=lessee.account,
        start=start,
        end=start + 3 * DAY,
        period=DAY,
        fixed_rent=100,
        usage_rate=3600,
        deposit=10,
        grace=0,
        fees=[],
        expires=start + 3 * DAY,
    )["result"]["lease"]
    api.do(lessee, "sign_lease", lease=lease)
    msgs = [
        reading(dev, seq=1, time=start + 10, run_seconds=0),
        reading(dev, seq=2, time=start + 70, run_seconds=60),
    ]
    anchored = api.do(gateway, "anchor_batch", tx_id="gw-1", **batch_args(msgs))
    assert anchored["result"]["verified"] == 2
    evidence = server.get(f"/v1/leases/{lease}/periods/0/evidence")
    assert (evidence["usage_seconds"], evidence["count"]) == (60, 1)
    invoice = api.do(
        maker,
        "issue_invoice",
        lease=lease,
        period=0,
        usage_seconds=evidence["usage_seconds"],
        evidence=bytes.fromhex(evidence["evidence"]),
    )["result"]
    assert (invoice["usage_seconds"], invoice["amount"]) == (60, 160)
    assert server.get(f"/v1/invoices/{invoice['invoice']}")["evidence"] == evidence["evidence"]
    api.do(lessee, "pay_invoice", invoice=invoice["invoice"])
    assert server.get(f"/v1/invoices/{invoice['invoice']}")["payouts"] == [
        {"account": maker.account, "kind": "share", "amount": 160, "basis": 4}
    ]
    assert server.get(f"/v1/accounts/{maker.account}")["balance"] == 160
    assert server.get(f"/v1/tokens/{token}")["user"] == lessee.account
    assert server.get(f"/v1/leases/{lease}")["invoices"][0]["paid_at"] > 0
    assert server.get(f"/v1/tokens/{token}/usage?start={start}&end={start + DAY}")["run_seconds"] == 60
    readings = server.get(f"/v1/telemetry?token={token}")["readings"]
    assert [r["seq"] for r in readings] == [1, 2]
    assert readings[1]["readings"] == {"1": 2150, "6": 1}
    # proofs
    head = tree_head_from_json(server.get("/v1/log/tree-head"))
    verify_tree_head(head, bytes(OPERATOR.key.verify_key))
    proof = server.get(f"/v1/telemetry/{anchored['index']}/1/proof")
    assert verify_reading_proof(proof, bytes(OPERATOR.key.verify_key)) == msgs[1]
    inclusion = server.get(f"/v1/log/proof/inclusion?index=3&tree_size={head.size}")
    verify_inclusion(
        bytes.fromhex(inclusion["leaf_hash"]),
        3,
        head.size,
        [bytes.fromhex(h) for h in inclusion["audit_path"]],
        head.root,
    )
    api.do(OPERATOR, "add_reviewer", account=gateway.account)
    newer = tree_head_from_json(server.get("/v1/log/tree-head"))
    consistency = server.get(f"/v1/log/proof/consistency?first={head.size}&second={newer.size}")
    verify_consistency(
        head.size, newer.size, head.root, newer.root, [bytes.fromhex(h) for h in consistency["proof"]]
    )
    entry = server.get(f"/v1/transactions/by-id/{gateway.account}/gw-1")
    assert entry["type"] == "anchor_batch"
    assert entry["index"] == anchored["index"]
    # the other views
    assert {e["account"] for e in server.get("/v1/enterprises")} >= {maker.account, lessee.account}
    # invoiced by the owner a day after the period ended: the grace runs from the issue
    assert server.get(f"/v1/enterprises/{lessee.account}")["credit"]["on_time_payments"] == 1
    assert [t["id"] for t in server.get("/v1/tokens")] == [token]
    assert server.get(f"/v1/tokens/{token}/holders")["holders"] == {maker.account: 4}
    assert server.get(f"/v1/payouts/{maker.account}")["payouts"][0]["amount"] == 160
    postings = server.get(f"/v1/accounts/{lessee.account}/journal")["postings"]
    assert [p["amount"] for p in postings] == [10_000, 10, 160]
    assert [v["id"] for v in server.get("/v1/leases")] == [lease]
    entries = server.get("/v1/log/entries?start=0&end=2")["entries"]
    assert [e["index"] for e in entries] == [0, 1]
    assert server.get("/v1/transactions/0")["type"] == "genesis"
    assert server.get(f"/v1/devices/{registry[0]['device']}")["token"] == token
    # replay from the stored log gives the live digest
    live = server.get("/v1/state/digest")
    server.stop()
    replayed = server.replay()
    assert (replayed["tree_size"], replayed["state_digest"]) == (live["tree_size"], live["state_digest"])


def test_refusals_and_bad_requests_name_their_reason(server: Server) -> None:
    api = Actor(server)
    ghost = Party(seeded_key("http-ghost"))
    status, body = server.post("/v1/transactions", api.tx(ghost, "withdraw", amount=1, reference="r"))
    assert (status, body["reason"]) == (403, "not_registered")
    status, body = server.post("/v1/transactions", b"\x01\x02")
    assert (status, body["reason"]) == (400, "bad_encoding")
    status, body = server.post("/v1/transactions", b"{}", content_type="application/json")
    assert (status, body["reason"]) == (415, "bad_encoding")
    status, body = server.post(
        "/v1/transactions",
        api.tx(OPERATOR, "review_enterprise", enterprise=ghost.account, decision="approve", reason=""),
    )
    assert (status, body["reason"]) == (404, "unknown_enterprise")
    raw = api.tx(ghost, "register_enterprise", tx_id="reg", name="g", roles=["lessee"], info={})
    assert server.post("/v1/transactions", raw)[1]["status"] == "accepted"
    assert server.post("/v1/transactions", raw)[1]["status"] == "duplicate"
    clash = api.tx(ghost, "register_enterprise", tx_id="reg", name="other", roles=["lessee"], info={})
    assert server.post("/v1/transactions", clash)[0] == 409
    status, body = server.post(
        "/v1/transactions/batch",
        cbor.dumps([api.tx(ghost, "withdraw", amount=1, reference="r"), b"junk"]),
    )
    assert status == 200
    assert [r["reason"] for r in body["results"]] == ["not_certified", "bad_encoding"]
    assert server.get_status("/v1/tokens/tok-none")[0] == 404
    assert server.get_status("/v1/devices/XYZ")[0] == 400
    assert server.get_status("/v1/log/proof/inclusion?index=99&tree_size=2")[0] == 400
    assert "/v1/transactions" in server.get("/openapi.json")["paths"]


def test_live_stream_of_verified_readings(server: Server) -> None:
    api = Actor(server)
    maker = api.enterprise("maker", "manufacturer")
    gateway = api.enterprise("gateway", "service")
    token = api.do(
        maker,
        "mint_token",
        serial="S1",
        model="M",
        specs={},
        price=10,
        salvage_value=1,
        shares=4,
        share_price=1,
        fee_terms=[],
    )["result"]["token"]
    dev = seeded_key("http-dev")
    api.do(maker, "bind_device", token=token, public_key=bytes(dev.verify_key))
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", "/v1/stream/readings")
    response = connection.getresponse()
    assert response.status == 200
    assert response.readline().startswith(b": connected")
    events: list[dict[str, Any]] = []

    def read() -> None:
        event = ""
        while len(events) < 2:
            line = response.readline().decode()
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "reading":
                events.append(json.loads(line.split(":", 1)[1]))

    reader = threading.Thread(target=read)
    reader.start()
    forged = bytearray(reading(dev, seq=3))
    forged[-1] ^= 1
    msgs = [reading(dev, seq=1), bytes(forged), reading(dev, seq=2)]
    api.do(gateway, "anchor_batch", **batch_args(msgs))
    reader.join(timeout=30)
    connection.close()
    assert [(e["seq"], e["status"], e["token"]) for e in events] == [
        (1, "verified", token),
        (2, "verified", token),
    ]


def test_a_devices_messages_are_found_before_and_after_its_binding(server: Server) -> None:
    """Asked by device, the ledger lists what it refused before the binding and what it verified after."""
    api = Actor(server)
    maker = api.enterprise("dev-maker", "manufacturer")
    gateway = api.enterprise("dev-gateway", "service")
    dev = seeded_key("http-early-dev")
    early = [reading(dev, seq=1, time=1_700_000_000)]
    api.do(gateway, "anchor_batch", tx_id="early", **batch_args(early))
    terms = {"specs": {}, "price": 1, "salvage_value": 0, "shares": 1, "share_price": 0, "fee_terms": []}
    token = api.do(maker, "mint_token", serial="EARLY", model="M", **terms)["result"]["token"]
    api.do(maker, "bind_device", token=token, public_key=bytes(dev.verify_key))
    api.do(gateway, "anchor_batch", tx_id="late", **batch_args([reading(dev, seq=2, time=1_700_000_060)]))
    device = device_id(bytes(dev.verify_key)).hex()
    found = server.get(f"/v1/telemetry?device={device}")["readings"]
    assert [(r["seq"], r["status"], r["token"]) for r in found] == [
        (1, "rejected", ""),
        (2, "verified", token),
    ]
    assert server.get(f"/v1/telemetry?device={'ab' * 16}")["readings"] == []
