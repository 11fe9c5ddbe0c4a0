"""Gas per anchor and per token update, and anchors per minute the bridge sustains on anvil; one JSON object.

Baselines measured in the same run: the gas of a plain value transfer (21,000 on every EVM chain),
and the rate of bare ``anchor`` transactions sent straight through web3.py, with no ledger and no
bridge logic, on the same anvil.

Usage: python bench/chain.py [--seconds 20] [--machines 1000] [--interval 60] [--updates 0.1]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from web3.types import Wei

from bridge.anvil import CHAIN_ID, KEYS
from bridge.chain import Chain
from tests.bridge.world import World, make_world

ZERO = "0x" + "00" * 20
GWEI_PRICES = (0.01, 0.1, 1.0, 20.0)  # a busy rollup .. an L1 on a quiet day


def _gas(receipt: dict[str, Any]) -> int:
    return int(receipt["gasUsed"])


def anchor_gas(writer: Chain, anchor: str, origin: str, count: int) -> tuple[int, int, float]:
    """Gas of the first anchor, of a later one, and bare anchors per minute over ``count`` sends."""
    contract = writer.contract("CheckpointAnchor", anchor)
    first = _gas(writer.transact(contract.functions.anchor(origin, 1, bytes(32), 2), "anchor"))
    later = _gas(writer.transact(contract.functions.anchor(origin, 2, bytes(32), 2), "anchor"))
    start = time.perf_counter()
    for size in range(3, 3 + count):
        writer.transact(contract.functions.anchor(origin, size, size.to_bytes(32, "big"), 2), "anchor")
    return first, later, count / (time.perf_counter() - start) * 60


def token_gas(writer: Chain, token: str) -> dict[str, int]:
    """Gas of each kind of mirror update of one token."""
    fn = writer.contract("MachineToken", token).functions
    a, b, user = (writer.w3.to_checksum_address(f"0x{n:040x}") for n in (0xA, 0xB, 0xC))
    steps = {
        "mint": fn.mirror("tok-bench", a, ZERO, 0, 2),
        "lease": fn.mirror("tok-bench", a, user, 4_000_000_000, 3),
        "transfer": fn.mirror("tok-bench", b, user, 4_000_000_000, 3),
        "unchanged": fn.mirror("tok-bench", b, user, 4_000_000_000, 3),
        "retire": fn.mirror("tok-bench", b, ZERO, 0, 5),
    }
    return {name: _gas(writer.transact(call, name)) for name, call in steps.items()}


def bridge_rate(world: World, seconds: float) -> tuple[int, float]:
    """Anchors sent, confirmed and recorded by the bridge per minute while the ledger grows."""
    bridge = world.bridge(confirmations=1, token_contract="")
    recorded = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        world.grow()
        if bridge.anchorer.step().action == "anchored" and bridge.anchorer.step().action == "recorded":
            recorded += 1
    elapsed = time.perf_counter() - start
    bridge.close()
    return recorded, recorded / elapsed * 60


def cost(anchor: int, update: int, machines: int, interval: float, updates: float) -> dict[str, Any]:
    """Gas and ether per day for a fleet: one anchor per interval, ``updates`` per machine and day."""
    per_day = round(86_400 / interval * anchor + machines * updates * update)
    return {
        "machines": machines,
        "anchor_interval_s": interval,
        "token_updates_per_machine_day": updates,
        "gas_per_day": per_day,
        "eth_per_day": {f"{p} gwei": round(per_day * p * 1e-9, 6) for p in GWEI_PRICES},
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--sends", type=int, default=100, help="bare anchors for the baseline rate")
    p.add_argument("--machines", type=int, default=1000)
    p.add_argument("--interval", type=float, default=60.0, help="seconds between anchors in production")
    p.add_argument("--updates", type=float, default=0.1, help="token updates per machine and day")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        world = make_world(Path(tmp))
        try:
            owner = Chain(world.anvil.url, bytes.fromhex(KEYS[0]), CHAIN_ID)
            writer = Chain(world.anvil.url, bytes.fromhex(KEYS[1]), CHAIN_ID)
            payment = {"from": owner.address, "to": writer.address, "value": Wei(1)}
            transfer = owner.w3.eth.send_transaction(payment)  # type: ignore[arg-type]
            baseline_gas = _gas(dict(owner.w3.eth.wait_for_transaction_receipt(transfer)))
            bare = owner.deploy("CheckpointAnchor", owner.address)[0]
            contract = owner.contract("CheckpointAnchor", bare).functions
            owner.transact(contract.registerLog("bench.test/log", writer.address), "register")
            first, later, bare_rate = anchor_gas(writer, bare, "bench.test/log", args.sends)
            tokens = token_gas(writer, world.token)
            recorded, rate = bridge_rate(world, args.seconds)
        finally:
            world.ledger.stop()
            world.anvil.stop()
    print(
        json.dumps(
            {
                "baseline_transfer_gas": baseline_gas,
                "anchor_gas_first": first,
                "anchor_gas": later,
                "token_update_gas": tokens,
                "baseline_bare_anchors_per_minute": round(bare_rate),
                "bridge_anchors": recorded,
                "bridge_anchors_per_minute": round(rate),
                "bridge_vs_bare": round(rate / bare_rate, 3),
                "fleet_cost": cost(later, tokens["lease"], args.machines, args.interval, args.updates),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
