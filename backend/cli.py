"""``leasechain-backend``: serve the ledger over HTTP, replay its log, back it up, migrate it, or write it
out as C2SP tiles."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from backend import keys, lock, tiles, witnesses
from backend.backup import backup_sqlite
from backend.errors import BackendError, Stopped
from backend.ledger import CHECKPOINT_EVERY, CHECKPOINT_READINGS, CHECKPOINT_SECONDS, Ledger, default_origin
from backend.migrate import migrate
from backend.stopping import StopRequests
from backend.storage import Storage
from backend.tree import MerkleTree
from chain_client.ledger.entry import decode_entry
from chain_client.ledger.transaction import decode
from chain_client.merkle import leaf_hash
from chain_client.tlog import Checkpoint, NoteError, log_verifier, sign_checkpoint
from chain_client.tlog.note import check_name
from chain_client.tlog.policy import Policy
from chain_client.version import add_flag as add_version_flag

DEFAULT_DATA_DIR = "leasechain-data"
DATABASE_FILE = "ledger.sqlite3"
KEY_FILE = "operator.key"


def _say(line: dict[str, Any]) -> None:
    print(json.dumps(line), file=sys.stderr, flush=True)


# -- the database ------------------------------------------------------------


def _storage(args: argparse.Namespace) -> Storage:
    """The database to serve, creating the data directory of a new SQLite one."""
    if args.db:
        return Storage(args.db, schema=args.db_schema)
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return Storage(f"sqlite:///{data_dir / DATABASE_FILE}")


def _existing_storage(args: argparse.Namespace) -> Storage:
    """The database to replay; refuse one that is missing rather than create it empty."""
    if args.db:
        storage = Storage(args.db, schema=args.db_schema)
        path = storage.sqlite_path
        if path is not None and not path.is_file():
            raise BackendError(f"database {path} does not exist; nothing to replay")
    else:
        data_dir = Path(args.data_dir)
        if not data_dir.is_dir():
            raise BackendError(f"data directory {data_dir} does not exist; nothing to replay")
        path = data_dir / DATABASE_FILE
        if not path.is_file():
            raise BackendError(f"database {path} does not exist; nothing to replay")
        storage = Storage(f"sqlite:///{path}")
    if not storage.has_log():
        storage.close()
        raise BackendError(f"database {storage.name} holds no log; nothing to replay")
    return storage


# -- the listening socket ----------------------------------------------------


def _bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port``, not listening yet; raise naming the address if taken."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except OSError as exc:
        raise BackendError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock = socket.socket(family, kind, proto)
    try:
        # As asyncio does: a restart must not wait for the old connections' TIME_WAIT to end.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise BackendError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def _listen(sock: socket.socket, host: str, backlog: int) -> str:
    """Start listening on ``sock``; return its URL."""
    port = int(sock.getsockname()[1])
    try:
        sock.listen(backlog)
    except OSError as exc:
        raise BackendError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.contextmanager
def _bound(host: str, port: int) -> Iterator[socket.socket]:
    sock = _bind(host, port)
    try:
        yield sock
    finally:
        sock.close()


# -- the operator key --------------------------------------------------------


def _key_path(args: argparse.Namespace) -> Path:
    return Path(args.key) if args.key else Path(args.data_dir) / KEY_FILE


def _begin(ledger: Ledger, key_path: Path, args: argparse.Namespace) -> None:
    """Give the opened ``ledger`` its key and genesis; write a new key file only for a new log."""
    key = keys.load(key_path)
    if key is None and ledger.size > 0:
        raise BackendError(
            f"operator key {key_path} does not exist, but the log in {ledger.storage.name} "
            f"belongs to key {ledger.state.operator}: restore that key file or pass --key"
        )
    created = key is None
    ledger.key = key or SigningKey.generate()
    if created:
        keys.save(key_path, ledger.key)
    try:
        ledger.begin(args.name, args.currency)
    except BaseException:
        if created and _log_is_empty(ledger):
            key_path.unlink(missing_ok=True)
        raise


def _log_is_empty(ledger: Ledger) -> bool:
    """Whether no genesis was stored; when unsure, say no, since a lost log key cannot be remade."""
    try:
        return ledger.storage.log_row(0) is None
    except Exception:  # noqa: BLE001 - any doubt keeps the key
        return False


# -- the commands -------------------------------------------------------------


def serve(args: argparse.Namespace) -> int:
    """Start the ledger (genesis on an empty log) and serve the HTTP API until SIGTERM or SIGINT."""
    # A stop signal during the start is acted on between its steps; uvicorn handles
    # them while it serves and raises them again once it has stopped, and then they
    # are only noted: every ``finally`` below runs (closing the verifier's workers).
    with StopRequests() as stops:
        try:
            _serve(args, stops)
            stops.check()  # the signal uvicorn stopped on, raised again once it had
        except Stopped as stop:
            _say({"stopped": signal.Signals(stop.signum).name})
    return 0


def _serve(args: argparse.Namespace, stops: StopRequests) -> None:
    import uvicorn

    from backend.api import create_app

    storage = _storage(args)
    ledger = Ledger(
        storage,
        None,
        verify_workers=args.verify_workers,
        checkpoint_every=args.checkpoint_every,
        checkpoint_seconds=args.checkpoint_seconds,
        checkpoint_readings=args.checkpoint_readings,
        origin=args.origin,
    )
    try:
        # Lock, then port, then log, then key: each refusal comes before anything is written.
        with lock.held(storage), _bound(args.host, args.port) as sock:
            ledger.open()
            stops.check()
            _begin(ledger, _key_path(args), args)
            stops.check()
            cosigner = _cosigner(args, ledger)
            app = create_app(ledger, cosigner)
            config = uvicorn.Config(app, log_level=args.log_level, access_log=args.access_log)
            url = _listen(sock, args.host, config.backlog)
            _say(
                {
                    "listening": url,
                    "log_key": ledger.state.operator,
                    "started_from": ledger.started_from,
                    "vkey": ledger.note_key().vkey(),
                    "witnesses": sorted(cosigner.clients) if cosigner else [],
                }
            )
            server = uvicorn.Server(config)
            stops.on_stop(lambda: setattr(server, "should_exit", True))
            stops.check()
            server.run(sockets=[sock])
    finally:
        ledger.close()


def _cosigner(args: argparse.Namespace, ledger: Ledger) -> witnesses.Cosigner | None:
    """The witnesses of ``--witness-policy`` (None without one, or with no witnesses in it)."""
    if not args.witness_policy:
        return None
    policy = witnesses.load_policy(args.witness_policy)
    _check_policy_log(policy, ledger.note_key().vkey(), args.witness_policy)
    return witnesses.Cosigner(policy) if policy.witnesses else None


def _check_policy_log(policy: Policy, vkey: str, path: str) -> None:
    if policy.logs and vkey not in [key.vkey() for key, _ in policy.logs]:
        raise BackendError(f"witness policy {path} lists logs, but not this one ({vkey})")


def replay(args: argparse.Namespace) -> int:
    """Rebuild the state from the stored log alone and print its size, root and digest as JSON.

    By default from the genesis, checking every checkpoint's digest on the way (a refusal names
    the entry); ``--from-snapshot`` starts as a server does.  Replay only reads, so it takes no
    writer lock and may run beside a server.
    """
    ledger = Ledger(_existing_storage(args), None, verify_workers=args.verify_workers)
    started = time.perf_counter()
    try:
        ledger.open(create=False, full=not args.from_snapshot)
        report = {
            "tree_size": ledger.size,
            "started_from": ledger.started_from,
            "root_hash": ledger.tree.root().hex(),
            "state_digest": ledger.digest().hex(),
            "seconds": round(time.perf_counter() - started, 3),
        }
    finally:
        ledger.close()
    print(json.dumps(report))
    return 0


def migrate_command(args: argparse.Namespace) -> int:
    """Bring a database of an earlier schema version to this one, holding the writer lock."""
    storage = _existing_storage(args)
    try:
        with lock.held(storage):
            report = migrate(storage)
    finally:
        storage.close()
    print(json.dumps(report))
    return 0


def backup(args: argparse.Namespace) -> int:
    """Copy the database with SQLite's online backup API: a consistent copy while a server writes."""
    storage = _existing_storage(args)
    try:
        source = storage.sqlite_path
        if source is None:
            raise BackendError(
                f"{storage.name} is PostgreSQL: back it up with pg_dump (docs/backend.md, 'Backups')"
            )
        copied = backup_sqlite(source, Path(args.dest))
    finally:
        storage.close()
    print(json.dumps({"backup": str(args.dest), "bytes": copied}))
    return 0


def tiles_command(args: argparse.Namespace) -> int:
    """Write the log as C2SP tiles, entry bundles and a signed checkpoint into ``--out``.

    Reads the database only, like ``replay``; with ``--follow`` it keeps the
    directory up to date beside a running server until SIGTERM or SIGINT.
    """
    storage = _existing_storage(args)
    with StopRequests() as stops:
        try:
            _write_tiles(args, storage, stops)
        except Stopped as stop:
            _say({"stopped": signal.Signals(stop.signum).name})
        finally:
            storage.close()
    return 0


def _write_tiles(args: argparse.Namespace, storage: Storage, stops: StopRequests) -> None:
    key_path = _key_path(args)
    key = keys.load(key_path)
    genesis = storage.log_row(0)
    if key is None or genesis is None:
        raise BackendError(f"operator key {key_path} does not exist: the checkpoint needs the log key")
    log_key = decode(decode_entry(genesis.entry).tx, check_signature=False).public_key
    if bytes(key.verify_key) != log_key:
        raise BackendError(f"operator key {key_path} is not the log's ({log_key.hex()})")
    origin = args.origin or default_origin(log_key)
    out = Path(args.out)
    policy = witnesses.load_policy(args.witness_policy) if args.witness_policy else None
    if policy is not None:
        _check_policy_log(policy, log_verifier(origin, log_key).vkey(), args.witness_policy)
    tree, written_size, sizes = MerkleTree(), -1, dict[str, int]()
    while True:
        for row in storage.log_rows(tree.size):
            stops.check()
            if leaf_hash(row.entry) != row.leaf_hash:
                raise BackendError(f"log entry {row.index}: stored leaf hash does not match the entry")
            tree.append(row.leaf_hash)
        if tree.size != written_size:
            written = tiles.write_directory(out, storage, tree, None)  # tiles first, the checkpoint last
            signed = sign_checkpoint(Checkpoint(origin, tree.size, tree.root()), key).encode()
            note, cosigners = _witnessed(policy, signed, tree, sizes, args)
            if note is not None:
                tiles.write_atomic(out / "checkpoint", note)
                written, written_size = written + 1, tree.size
                said = {"tiles": str(out), "tree_size": tree.size, "files_written": written}
                _say({**said, "witnesses": cosigners})
        if not args.follow:
            return
        stops.sleep(args.follow)


def _witnessed(
    policy: Policy | None, signed: bytes, tree: MerkleTree, sizes: dict[str, int], args: argparse.Namespace
) -> tuple[bytes | None, list[str]]:
    """The checkpoint to publish and its witnesses; None while the quorum is not met."""
    if policy is None or not policy.witnesses:
        return signed, []
    found = witnesses.cosign_once(policy, signed, tree.consistency_proof, sizes)
    if found.size == tree.size:
        return found.note, found.cosigners
    _say({"tree_size": tree.size, "not_witnessed": found.failures})
    if not args.follow:
        raise BackendError(f"the checkpoint of size {tree.size} did not meet the witness quorum")
    return None, []


def _origin(text: str) -> str:
    try:
        return check_name(text)
    except NoteError as exc:
        raise argparse.ArgumentTypeError(f"origin {text[:40]!r}: {exc}") from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port {text!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 0..65535")
    return port


def parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    top = argparse.ArgumentParser(prog="leasechain-backend", description=__doc__)
    add_version_flag(top)
    sub = top.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("serve", "serve the ledger over HTTP"),
        ("replay", "rebuild the state from the log and print its digest"),
        ("backup", "copy the SQLite database, consistently, beside a running server"),
        ("migrate", "convert a database of an earlier schema version (stop the server first)"),
        ("tiles", "write the log as C2SP tiles and a signed checkpoint into a directory"),
    ):
        cmd = sub.add_parser(name, help=helptext)
        cmd.add_argument(
            "--data-dir",
            default=os.environ.get("LEASECHAIN_DATA_DIR", DEFAULT_DATA_DIR),
            help="directory of the embedded SQLite database and the operator key (env LEASECHAIN_DATA_DIR)",
        )
        cmd.add_argument(
            "--db", default=os.environ.get("LEASECHAIN_DB"), help="database URL instead, e.g. postgresql://…"
        )
        cmd.add_argument("--db-schema", default=None, help="PostgreSQL schema to use (created if missing)")
        cmd.add_argument(
            "--verify-workers",
            type=int,
            default=2,
            help="processes re-verifying the device signatures of big batches",
        )
    origin_help = (
        "checkpoint origin, the log's name for witnesses and verifiers, e.g. ledger.example.com/leasechain "
        "(env LEASECHAIN_ORIGIN; default leasechain.invalid/ + 16 hex digits of the log key)"
    )
    for name in ("serve", "tiles"):
        cmd = sub.choices[name]
        origin = os.environ.get("LEASECHAIN_ORIGIN")
        cmd.add_argument("--origin", type=_origin, default=origin, help=origin_help)
        cmd.add_argument("--key", default=None, help="operator key file (default: DATA_DIR/operator.key)")
        cmd.add_argument(
            "--witness-policy",
            default=os.environ.get("LEASECHAIN_WITNESS_POLICY"),
            help="c2sp.org/tlog-policy file: witnesses (with URLs) and quorum; the checkpoint is published "
            "once the quorum co-signed it (env LEASECHAIN_WITNESS_POLICY; default: no witnesses)",
        )
    tiles_cmd = sub.choices["tiles"]
    tiles_cmd.add_argument("--out", required=True, help="directory to write checkpoint and tile/ into")
    tiles_cmd.add_argument(
        "--follow", type=float, default=0, help="poll the log every this many seconds and keep DIR up to date"
    )
    serve_cmd = sub.choices["serve"]
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=_port, default=8080, help="0 picks a free port")
    serve_cmd.add_argument("--name", default="Lease Chain", help="platform name written in the genesis")
    serve_cmd.add_argument("--currency", default="EUR", help="currency of every amount, in minor units")
    serve_cmd.add_argument("--log-level", default="warning")
    serve_cmd.add_argument(
        "--access-log", action="store_true", help="log one line per HTTP request (uvicorn's access log)"
    )
    serve_cmd.add_argument(
        "--checkpoint-every",
        type=int,
        default=CHECKPOINT_EVERY,
        help=f"entries between state checkpoints (default {CHECKPOINT_EVERY}; 0: none)",
    )
    serve_cmd.add_argument(
        "--checkpoint-readings",
        type=int,
        default=CHECKPOINT_READINGS,
        help=f"or anchored readings (default {CHECKPOINT_READINGS}; 0: no such limit)",
    )
    serve_cmd.add_argument(
        "--checkpoint-seconds",
        type=int,
        default=CHECKPOINT_SECONDS,
        help=f"or seconds, when anything was appended (default {CHECKPOINT_SECONDS})",
    )
    sub.choices["backup"].add_argument("dest", help="the new database file (must not exist)")
    sub.choices["replay"].add_argument(
        "--from-snapshot",
        action="store_true",
        help="start from the newest vouched snapshot, as a server does, instead of the genesis",
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``leasechain-backend``."""
    args = parser().parse_args(argv)
    try:
        commands = {
            "serve": serve,
            "replay": replay,
            "backup": backup,
            "migrate": migrate_command,
            "tiles": tiles_command,
        }
        return commands[args.command](args)
    except BackendError as exc:
        print(f"leasechain-backend: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
