"""``leasechain audit``: export an invoice's evidence bundle, verify a bundle offline."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from chain_client.audit import export_bundle, load, save, verify_bundle
from chain_client.audit.anchors import OnChain, verify_on_chain
from chain_client.audit.bundle import Bundle
from chain_client.cli.context import Context
from chain_client.cli.errors import NOT_VERIFIED, UNPINNED, CliError
from chain_client.cli.registry import command, group
from chain_client.cli.values import uint
from chain_client.client import LedgerClient
from chain_client.evm import Rpc
from chain_client.tlog import parse_vkey
from chain_client.tlog.policy import MAX_POLICY, Policy, parse_policy


def export(ctx: Context) -> int:
    """Collect the evidence of one invoice into a bundle file."""
    out = Path(ctx.args.output)
    with ctx.client() as client:
        bundle = export_bundle(
            client, ctx.args.lease, ctx.args.period, progress=ctx.progress("reading the log")
        )
    save(bundle, out)
    ctx.emit(
        {"output": str(out), "entries": len(bundle.entries), "readings": len(bundle.readings)},
        f"wrote {out}: {len(bundle.entries)} log entries, {len(bundle.readings)} readings, "
        f"tree size {bundle.tree_head['tree_size']}",
    )
    return 0


UNPINNED_NOTE = (
    "only the bundle's internal consistency was checked, not that the log is the operator's: "
    "a bundle signed with any key passes this far; give --log-key with the operator's published key"
)


def verdict(ok: bool, pinned: bool) -> tuple[int, str]:
    """Exit status and last line of ``audit verify`` (docs/cli.md, 'Exit codes')."""
    if not ok:
        return NOT_VERIFIED, "bundle NOT verified"
    if not pinned:
        return UNPINNED, f"bundle consistent, NOT verified against a trusted log key: {UNPINNED_NOTE}"
    return 0, "bundle verified"


def _on_chain(ctx: Context, bundle: Bundle) -> OnChain:
    """The bundle's anchors as the chain at ``--rpc`` holds them; proofs of later trees from the ledger."""
    ledger_url = ctx.args.ledger or bundle.source

    def proofs(first: int, second: int) -> list[bytes]:
        with LedgerClient(ledger_url) as client:
            return [bytes.fromhex(p) for p in client.consistency_proof(first, second).proof]

    with Rpc(ctx.args.rpc) as rpc:
        return verify_on_chain(bundle, rpc, proofs)


def trust(args: argparse.Namespace) -> tuple[str | None, Policy | None]:
    """The log key (hex) and witness policy that ``--log-key``, ``--log-vkey``, ``--witness`` and
    ``--quorum``, or ``--policy``, give."""
    log_key: str | None = args.log_key
    policy = witness_policy(args.policy, args.witness, args.quorum)
    if args.log_vkey is not None:
        vkey = parse_vkey(args.log_vkey)
        if log_key is not None and log_key.lower() != vkey.public_key.hex():
            raise CliError(f"--log-key {log_key} and --log-vkey {args.log_vkey} name different keys")
        log_key = vkey.public_key.hex()
        if policy is not None and not policy.logs:
            policy = replace(policy, logs=((vkey, ""),))
    if log_key is None and policy is not None and len(policy.logs) == 1:
        log_key = policy.logs[0][0].public_key.hex()
    return log_key, policy


def witness_policy(path: str | None, witnesses: list[str], quorum: int | None) -> Policy | None:
    """A c2sp.org/tlog-policy file, or the policy "``quorum`` of these witnesses"."""
    if path is not None and witnesses:
        raise CliError("give --policy or --witness, not both")
    if path is not None:
        try:
            with open(path, encoding="utf-8") as file:
                return parse_policy(file.read(MAX_POLICY + 1))
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"policy {path}: {exc}") from None
    if not witnesses:
        if quorum is not None:
            raise CliError("--quorum needs --witness")
        return None
    keys = [parse_vkey(w) for w in witnesses]
    k = len(keys) if quorum is None else quorum
    if not 1 <= k <= len(keys):
        raise CliError(f"--quorum {k} is outside 1..{len(keys)} (the witnesses given)")
    lines = [f"witness {key.name} {key.vkey()}" for key in keys]
    lines += [f"group given {k} " + " ".join(key.name for key in keys), "quorum given"]
    return parse_policy("\n".join(lines) + "\n")


def verify(ctx: Context) -> int:
    """Check a bundle offline (exit 5 naming each failed check, 6 without a log key); --rpc: on chain too."""
    log_key, policy = trust(ctx.args)
    bundle = load(Path(ctx.args.bundle))
    report = verify_bundle(bundle, log_key, policy)
    code, last = verdict(report.ok, log_key is not None)
    chain = _on_chain(ctx, bundle) if ctx.args.rpc and report.ok else None
    if chain is not None and not chain.ok:
        code, last = NOT_VERIFIED, f"{last}, but NOT confirmed on chain"
    elif chain is not None:
        last = f"{last}, and anchored on chain"
    if ctx.json:
        on_chain = {} if chain is None else {"on_chain": {"ok": chain.ok, "lines": list(chain.lines)}}
        ctx.emit({**report.to_json(), **on_chain, "log_key_checked": log_key is not None, "verdict": last})
        if code == UNPINNED:
            print(f"leasechain: warning: {UNPINNED_NOTE}", file=sys.stderr)
        return code
    for name, count in report.passed.items():
        failed = len(report.failed(name))
        mark = "FAIL" if failed else "ok"
        print(f"{mark:4}  {name:22} {count} passed, {failed} failed", file=ctx.out)
    for failure in report.failures:
        print(f"FAILED {failure}", file=ctx.out)
    for line in chain.lines if chain is not None else ():
        print(f"{'chain' if chain is not None and chain.ok else 'FAIL':4}  {line}", file=ctx.out)
    s = report.summary
    if "amount" in s:
        print(
            f"invoice {s.get('invoice')}: {s.get('usage_seconds')} run-seconds, "
            f"amount {s.get('amount')}, {s.get('verified', 0)} verified readings, "
            f"evidence {s.get('evidence_count', 0)} readings {str(s.get('evidence', ''))[:16]}…",
            file=ctx.out,
        )
    if policy is not None:
        names = ", ".join(report.summary.get("witnesses", [])) or "no trusted witness"
        size = report.summary.get("checkpoint_size", "?")
        print(f"witnesses: {names} co-signed the checkpoint (size {size}) of every entry", file=ctx.out)
    print(last, file=ctx.out)
    return code


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``audit`` and its subcommands."""
    cmds = group(sub, "audit", "evidence bundles: export from the ledger, verify offline")
    e = command(cmds, "export", "write the evidence bundle of one invoice", export, common)
    e.add_argument("--lease", required=True)
    e.add_argument("--period", type=uint, required=True, help="period index, from 0")
    e.add_argument("-o", "--output", required=True, help="bundle file to write (JSON)")
    v = command(cmds, "verify", "check a bundle offline", verify, common)
    v.add_argument("bundle")
    v.add_argument(
        "--log-key",
        help="the log key you trust, in hex; without it only internal consistency is checked (exit 6)",
    )
    v.add_argument("--log-vkey", help="or the log's note verifier key (vkey, as /v1/info publishes it)")
    v.add_argument(
        "--witness", action="append", default=[], help="a witness vkey you trust (repeat); see --quorum"
    )
    v.add_argument(
        "--quorum", type=uint, help="how many of the --witness keys must have co-signed (default all)"
    )
    v.add_argument("--policy", help="or a c2sp.org/tlog-policy file: log, witnesses and quorum")
    v.add_argument(
        "--rpc",
        help="an Ethereum node's JSON-RPC URL: confirm the bundle's tree is anchored on chain (else exit 5)",
    )
    v.add_argument(
        "--ledger",
        help="where to fetch a consistency proof to a later anchored tree (default: the bundle's source)",
    )
