"""``leasechain chain status``: how far the on-chain anchors lag behind the ledger (docs/chain.md)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from chain_client import human
from chain_client.cli.context import Context
from chain_client.cli.registry import command, group
from chain_client.client import models as m
from chain_client.client.answers import check
from chain_client.evm import Rpc, chain_name, latest_anchor


def _lag(size: int, now: float, anchor: m.RecordedAnchor, on_chain: dict[str, Any]) -> dict[str, Any]:
    return {
        "chain_id": anchor.chain_id,
        "contract": anchor.contract,
        "recorded_size": anchor.size,
        "recorded_block": anchor.block,
        "recorded_at": anchor.recorded_at,
        "anchors_recorded": anchor.count,
        "entries_behind": size - anchor.size,
        "seconds_behind": max(0, int(now) - anchor.recorded_at),
        **on_chain,
    }


def _on_chain(rpc_url: str | None, anchor: m.RecordedAnchor, origin: str) -> dict[str, Any]:
    if not rpc_url:
        return {}
    with Rpc(rpc_url) as rpc:
        if rpc.chain_id() != anchor.chain_id:
            return {}
        newest = latest_anchor(rpc, anchor.contract, origin)
        return {"chain_size": newest.size, "chain_block": newest.block, "chain_head": rpc.block_number()}


def _line(row: dict[str, Any]) -> str:
    text = (
        f"{chain_name(row['chain_id'])} contract {row['contract']}: recorded size {row['recorded_size']} "
        f"(block {row['recorded_block']}, {human.when(row['recorded_at'])}), "
        f"{row['entries_behind']} entries and {human.duration(row['seconds_behind'])} behind the ledger"
    )
    if "chain_size" in row:
        text += f"; on chain: size {row['chain_size']}, block {row['chain_block']} of {row['chain_head']}"
    return text


def status(ctx: Context) -> int:
    """The ledger's size and, per chain and contract, the newest recorded anchor and its lag."""
    with ctx.client() as client:
        info = check(client.http.get("/v1/info"))
        anchors = client.anchors()
    size, origin, now = int(info["size"]), str(info["origin"]), time.time()
    rows = [_lag(size, now, a, _on_chain(ctx.args.rpc, a, origin)) for a in anchors]
    lines = [f"ledger {origin}: tree size {size}"] + [_line(r) for r in rows]
    if not rows:
        lines.append("no on-chain anchor recorded yet")
    ctx.emit({"origin": origin, "size": size, "anchors": rows}, "\n".join(lines))
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``chain`` and its subcommands."""
    cmds = group(sub, "chain", "the log's anchors on an EVM chain")
    s = command(cmds, "status", "how far the on-chain anchors lag behind the ledger", status, common)
    s.add_argument("--rpc", help="an Ethereum node's JSON-RPC URL: also show the chain's newest anchor")
