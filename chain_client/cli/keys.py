"""``leasechain key``: create, import, list and show keys of the encrypted keystore."""

from __future__ import annotations

import argparse
from pathlib import Path

from nacl.signing import SigningKey

from chain_client import human
from chain_client.cli.context import Context
from chain_client.cli.errors import CliError
from chain_client.cli.registry import command, group
from chain_client.client.keystore import KeyInfo, passphrase


def _shown(info: KeyInfo) -> dict[str, object]:
    return {"name": info.name, "account": info.account, "created": info.created}


def new(ctx: Context) -> int:
    """Generate a key and store it encrypted under a name."""
    info = ctx.keystore.create(ctx.args.name, passphrase(confirm=True, prompt="Passphrase for the new key: "))
    ctx.emit(_shown(info), f"created key {info.name!r}: account {info.account}")
    return 0


def import_key(ctx: Context) -> int:
    """Store an existing Ed25519 seed (64 hex digits in a file, e.g. a backend's operator.key)."""
    path = Path(ctx.args.seed_file)
    try:
        text = path.read_text().strip()
        seed = bytes.fromhex(text)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read a hex seed from {path}: {exc}") from None
    if len(seed) != 32:
        raise CliError(f"{path} holds {len(seed)} bytes, expected a 32-byte seed in hex")
    info = ctx.keystore.add(ctx.args.name, SigningKey(seed), passphrase(confirm=True))
    ctx.emit(_shown(info), f"imported key {info.name!r}: account {info.account}")
    return 0


def _readable(info: KeyInfo) -> dict[str, object]:
    return {**_shown(info), "created": human.when(info.created)}


def list_keys(ctx: Context) -> int:
    """Every key in the keystore (no passphrase needed)."""
    infos = ctx.keystore.list()
    ctx.rows([_shown(i) if ctx.json else _readable(i) for i in infos], ["name", "account", "created"])
    return 0


def show(ctx: Context) -> int:
    """One key's account id."""
    info = ctx.keystore.info(ctx.args.name)
    ctx.record(_shown(info) if ctx.json else _readable(info))
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``key`` and its subcommands."""
    keys = group(sub, "key", "keys in the encrypted keystore (LEASECHAIN_KEYSTORE)")
    command(keys, "new", "generate a key", new, common).add_argument("name")
    imported = command(keys, "import", "store an existing seed (hex file)", import_key, common)
    imported.add_argument("name")
    imported.add_argument("--seed-file", required=True, help="file holding the 32-byte seed in hex")
    command(keys, "list", "list keys", list_keys, common)
    command(keys, "show", "show a key's account", show, common).add_argument("name")
