"""``leasechain-bridge``: deploy the contracts, run the bridge (docs/chain.md)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from bridge.anchoring import StepResult
from bridge.chain import Chain
from bridge.config import ETH_KEY, LEDGER_KEY, BridgeConfig, log_key, read_hex_key, secret_file, witness_keys
from bridge.errors import BridgeError
from bridge.mirror import MirrorResult
from bridge.service import Bridge
from chain_client.errors import LeaseChainError


def _chain_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rpc", required=True, help="the EVM node's JSON-RPC URL")
    p.add_argument(
        "--chain-id", type=int, required=True, help="the chain's EIP-155 id (checked against the node)"
    )
    p.add_argument(
        "--eth-key",
        help=f"file with the chain account's key in hex (default $CREDENTIALS_DIRECTORY/{ETH_KEY})",
    )


def deploy(args: argparse.Namespace) -> int:
    """Deploy CheckpointAnchor and MachineToken, naming the log's anchoring account and the bridge."""
    chain = Chain(args.rpc, read_hex_key(secret_file(ETH_KEY, args.eth_key), "chain key"), args.chain_id)
    chain.check_chain_id()
    writer = chain.w3.to_checksum_address(args.writer) if args.writer else chain.address
    anchor, block = chain.deploy("CheckpointAnchor", chain.address)
    chain.transact(
        chain.contract("CheckpointAnchor", anchor).functions.registerLog(args.origin, writer), "registerLog"
    )
    token, _ = chain.deploy(
        "MachineToken", chain.address, writer, args.explorer_url.rstrip("/") + "/machine/"
    )
    print(
        json.dumps(
            {
                "chain_id": args.chain_id,
                "anchor_contract": anchor.lower(),
                "token_contract": token.lower(),
                "start_block": block,
                "origin": args.origin,
                "writer": writer.lower(),
            }
        )
    )
    return 0


def _report(anchored: StepResult, mirrored: MirrorResult | None) -> None:
    line = {
        "anchor": anchored.action,
        "detail": anchored.detail,
        "ledger_size": anchored.ledger_size,
        "anchored": anchored.anchored_size,
        "confirmed": anchored.confirmed_size,
        "recorded": anchored.recorded_size,
    }
    if mirrored is not None:
        line |= {
            "tokens_sent": mirrored.sent,
            "tokens_waiting": mirrored.waiting,
            "tokens_done": mirrored.done,
        }
    print(json.dumps(line), flush=True)


def run(args: argparse.Namespace) -> int:
    """Follow the ledger until SIGTERM or SIGINT."""
    config = BridgeConfig(
        ledger_url=args.ledger,
        rpc_url=args.rpc,
        chain_id=args.chain_id,
        anchor_contract=args.anchor_contract.lower(),
        token_contract=(args.token_contract or "").lower(),
        confirmations=args.confirmations,
        interval=args.interval,
        poll=args.poll,
        min_cosignatures=args.min_cosignatures,
        witnesses=witness_keys(args.witness or os.environ.get("LEASECHAIN_WITNESSES", "").split()),
        start_block=args.start_block,
        log_vkey=log_key(args.log_vkey),
    )
    if config.log_vkey is None:
        logging.getLogger("leasechain.bridge").warning(
            "no --log-vkey: the checkpoint is checked against the key the ledger itself names"
        )
    eth_key = read_hex_key(secret_file(ETH_KEY, args.eth_key), "chain key")
    ledger_key = read_hex_key(secret_file(LEDGER_KEY, args.ledger_key), "ledger key")
    bridge = Bridge(config, eth_key, ledger_key)

    def stop(signum: int, frame: FrameType | None) -> None:
        bridge.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if args.once:
            _report(*bridge.step())
        else:
            bridge.run(_report)
    finally:
        bridge.close()
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="leasechain-bridge", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("deploy", help="deploy the contracts and register the log")
    _chain_args(d)
    d.add_argument("--origin", required=True, help="the log's checkpoint origin (GET /v1/info)")
    d.add_argument("--writer", help="the log's anchoring account (default: this key's address)")
    d.add_argument("--explorer-url", required=True, help="the explorer's base URL, for tokenURI")
    d.set_defaults(func=deploy)
    r = sub.add_parser("run", help="anchor checkpoints and mirror tokens")
    _chain_args(r)
    r.add_argument("--ledger", required=True, help="the ledger's base URL")
    r.add_argument(
        "--ledger-key", help=f"the bridge's ledger key file (default $CREDENTIALS_DIRECTORY/{LEDGER_KEY})"
    )
    r.add_argument("--anchor-contract", required=True)
    r.add_argument("--token-contract", help="MachineToken's address; without it tokens are not mirrored")
    r.add_argument("--start-block", type=int, default=0, help="the anchor contract's deployment block")
    r.add_argument("--confirmations", type=int, default=3)
    r.add_argument("--interval", type=float, default=60.0, help="least seconds between two anchors")
    r.add_argument("--poll", type=float, default=2.0, help="seconds between steps")
    r.add_argument(
        "--log-vkey",
        default=os.environ.get("LEASECHAIN_LOG_VKEY"),
        help="the log's checkpoint verifier key (GET /v1/info's vkey, from the operator): anchor only "
        "checkpoints it signed (env LEASECHAIN_LOG_VKEY)",
    )
    r.add_argument(
        "--witness",
        action="append",
        default=[],
        help="a witness's verifier key (repeat; env LEASECHAIN_WITNESSES, space-separated)",
    )
    r.add_argument(
        "--min-cosignatures",
        type=int,
        default=os.environ.get("LEASECHAIN_MIN_COSIGNATURES", "0"),  # argparse applies type=int
        help="anchor only checkpoints that this many of the --witness keys co-signed "
        "(env LEASECHAIN_MIN_COSIGNATURES)",
    )
    r.add_argument("--once", action="store_true", help="one step, then exit")
    r.set_defaults(func=run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; errors the bridge names exit 2 with their message."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (BridgeError, LeaseChainError) as exc:
        print(f"leasechain-bridge: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
