"""``leasechain verify``: check a reading proof, fetched from the ledger or read from a file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from chain_client import human
from chain_client.cli.context import Context
from chain_client.cli.errors import CliError
from chain_client.cli.registry import command
from chain_client.cli.values import uint
from chain_client.ledger.proofs import verify_reading_proof
from chain_client.message import decode, verify
from chain_client.payload import Reading


def run(ctx: Context) -> int:
    """Verify a reading's inclusion in its batch and the log, the tree head, and the device signature."""
    a = ctx.args
    device_key: bytes | None = bytes.fromhex(a.device_key) if a.device_key else None
    if a.proof:
        if not a.log_key:
            raise CliError("checking a proof file offline needs --log-key")
        try:
            proof: dict[str, Any] = json.loads(Path(a.proof).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CliError(f"cannot read the proof {a.proof}: {exc}") from None
        log_key = bytes.fromhex(a.log_key)
    else:
        if a.batch is None or a.position is None:
            raise CliError("give BATCH POSITION, or --proof FILE")
        with ctx.client() as client:
            proof = client.reading_proof(a.batch, a.position)
            log_key = bytes.fromhex(a.log_key or client.info().log_key)
            if device_key is None:
                device = decode(bytes.fromhex(proof["message"])).device_id.hex()
                device_key = bytes.fromhex(client.device(device).public_key)
        if a.save:
            Path(a.save).write_text(json.dumps(proof, indent=1) + "\n")
    try:
        message = verify_reading_proof(proof, log_key)
    except (KeyError, TypeError, ValueError) as exc:
        raise CliError(f"the proof is malformed: {exc!r}") from None
    decoded = verify(message, device_key) if device_key is not None else decode(message)
    body = decoded.body
    data = {
        "verified": True,
        "device_signature": device_key is not None,
        "device": decoded.device_id.hex(),
        "boot": body.boot,
        "seq": body.seq if isinstance(body, Reading) else 0,
        "time": body.time,
        "run_seconds": body.run_seconds if isinstance(body, Reading) else 0,
        "batch": proof["log"]["index"],
        "position": proof["batch"]["index"],
        "tree_size": proof["tree_head"]["tree_size"],
    }
    signed = (
        "device signature verified" if device_key is not None else "device signature not checked (no key)"
    )
    values = f": {human.readings(body.readings)}" if isinstance(body, Reading) else ""
    ctx.emit(
        data,
        f"reading {data['batch']}/{data['position']} of device {data['device']} at "
        f"{human.when(body.time)} is in the log of size {data['tree_size']}: inclusion and tree head "
        f"verified, {signed}{values}",
    )
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``verify``."""
    c = command(sub, "verify", "check a reading proof (online, or offline with --proof)", run, common)
    c.add_argument("batch", type=uint, nargs="?", help="log index of the batch")
    c.add_argument("position", type=uint, nargs="?", help="position of the message in the batch")
    c.add_argument("--proof", help="a saved proof (JSON) to check offline")
    c.add_argument("--save", help="also write the fetched proof to this file")
    c.add_argument("--log-key", help="the log's public key in hex (offline: required)")
    c.add_argument("--device-key", help="the device's public key in hex (default: its binding on the ledger)")
