"""``leasechain-gateway``: run the service, check a config, show status, devices and the account.

Commands are thin wrappers over library functions; a :class:`GatewayError`
becomes a one-paragraph message on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from chain_client.version import add_flag as add_version_flag
from gateway import config as config_module
from gateway import status as status_module
from gateway import update_status
from gateway.errors import ConfigError, GatewayError
from gateway.registry import Registry
from gateway.service import Service, initial_registry, mqtt_password, signing_key

EXIT_ERROR = 2


DEFAULT_CREDENTIALS_DIRECTORY = Path("/etc/leasechain/credentials")


def _config_path(args: argparse.Namespace) -> Path:
    given = getattr(args, "config_file", None) or args.config
    return Path(given or os.environ.get("LEASECHAIN_GATEWAY_CONFIG") or config_module.DEFAULT_CONFIG_PATH)


def _credentials(args: argparse.Namespace) -> None:
    """Outside systemd, read ``{ credential = NAME }`` secrets from where the unit loads them."""
    if not os.environ.get("CREDENTIALS_DIRECTORY"):
        os.environ["CREDENTIALS_DIRECTORY"] = str(args.credentials or DEFAULT_CREDENTIALS_DIRECTORY)


def cmd_run(args: argparse.Namespace) -> int:
    """Run the gateway until SIGTERM."""
    cfg = config_module.load(_config_path(args))
    logging.basicConfig(
        level=cfg.log.level,
        stream=sys.stderr,
        # journald adds its own timestamps; keep the line short.
        format="%(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(Service(cfg, config_path=_config_path(args)).run())
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate a config, its secrets and its registry file; ``--online`` also reaches broker and ledger."""
    path = _config_path(args)
    cfg = config_module.load(path)
    _credentials(args)
    password = mqtt_password(cfg)
    key = signing_key(cfg)
    from_file, cached = initial_registry(cfg)
    print(f"{path}: ok")
    print(f"  gateway id      {cfg.gateway.id}")
    print(f"  state directory {cfg.gateway.state_dir()}")
    print(f"  store           {cfg.store_path()} (max {cfg.store.max_bytes} bytes)")
    mqtt = f"{cfg.mqtt.host}:{cfg.mqtt.port} (MQTT {cfg.mqtt.protocol})" if cfg.mqtt.enabled else "disabled"
    print(f"  broker          {mqtt}")
    print(f"  serial ports    {', '.join(p.path for p in cfg.serial.ports) or 'none'}")
    print(f"  backend         {cfg.backend.url or 'none (batches kept, not anchored)'}")
    if key is not None:
        print(f"  account         {bytes(key.verify_key).hex()}")
    print(f"  registry        {len(from_file)} devices from file, {len(cached)} cached from the backend")
    if not args.online:
        return 0
    from gateway import online

    checks = [online.broker(cfg, password)] if cfg.mqtt.enabled else []
    checks += online.backend(cfg, key)
    print("online:")
    for check in checks:
        print(f"  {check.name:15} {'ok' if check.ok else 'FAILED'}: {check.text}")
    return 0 if all(c.ok for c in checks) else 1


def cmd_account(args: argparse.Namespace) -> int:
    """Print the gateway's ledger account (the public key of ``backend.key``) for certification."""
    cfg = config_module.load(_config_path(args))
    _credentials(args)
    key = signing_key(cfg)
    if key is None:
        raise ConfigError(
            str(_config_path(args)), ["backend.key is not set; the gateway has no ledger account"]
        )
    account = bytes(key.verify_key).hex()
    if args.json:
        print(json.dumps({"account": account, "gateway": cfg.gateway.id}))
    else:
        print(account)
        print(
            f"Register it as a 'service' enterprise and have the platform certify it "
            f"(leasechain enterprise register ... --role service); gateway {cfg.gateway.id} signs its "
            "batches with this key.",
            file=sys.stderr,
        )
    return 0


def cmd_broker_access(args: argparse.Namespace) -> int:
    """Write the broker's password and ACL files from the registry, or print one sensor's login."""
    from gateway import broker_access
    from gateway.service import broker_secret, write_broker_access

    path = _config_path(args)
    cfg = config_module.load(path)
    _credentials(args)
    secret = broker_secret(cfg)
    if secret is None:
        raise ConfigError(str(path), ["[broker_access] is not configured (password_file, acl_file, secret)"])
    if args.device is not None:
        device = args.device.lower()
        if len(device) != 32 or any(c not in "0123456789abcdef" for c in device):
            raise ConfigError(
                "--device", [f"--device {args.device!r}: expected a device id of 32 hex digits"]
            )
        # For the sensor's config (mqtt.user, mqtt.password): user name, then password.
        print(device)
        print(broker_access.sensor_password(secret, bytes.fromhex(device)))
        return 0
    from_file, cached = initial_registry(cfg)
    registry = Registry()
    registry.merge(cached, from_file)
    password = mqtt_password(cfg)
    assert password is not None  # the config requires it with [broker_access]
    changed = write_broker_access(cfg, registry.snapshot(), secret, password)
    state = "written" if changed else "unchanged"
    print(
        f"{cfg.broker_access.password_file}, {cfg.broker_access.acl_file}: {state} ({len(registry)} devices)"
    )
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    """List every device the store has heard from, unknown ones first, with counts."""
    from gateway import devices as devices_module
    from gateway.registry import Device

    cfg = config_module.load(_config_path(args))
    from_file, cached = initial_registry(cfg)
    registry: dict[bytes, Device] = {**cached, **from_file}
    seen = devices_module.read(cfg.store_path(), registry)
    if args.unknown:
        seen = [d for d in seen if d.state == "unknown"]
    if args.json:
        print(json.dumps(devices_module.as_dicts(seen), indent=2))
    else:
        print(devices_module.render(seen))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print queue depth, last anchor and rejections by reason."""
    cfg = config_module.load(_config_path(args))
    path = cfg.store_path()
    stats = status_module.read(path)
    updates = None
    if args.updates:
        _credentials(args)
        updates = update_status.read(cfg, mqtt_password(cfg))
    if args.json:
        data = status_module.as_dict(stats)
        if updates is not None:
            data["updates"] = update_status.as_dict(updates)
        print(json.dumps(data, indent=2))
    else:
        print(status_module.render(path, stats))
        if updates is not None:
            print(update_status.render(updates))
    return 0


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "run": (cmd_run, "run the gateway service (what the systemd unit starts)"),
    "check-config": (cmd_check_config, "validate a config file and the secrets it names"),
    "status": (cmd_status, "queue depth, last anchor, rejections by reason, --updates"),
    "devices": (cmd_devices, "devices heard from, unknown ones first, with counts"),
    "account": (cmd_account, "the gateway's ledger account, to have it certified"),
    "broker-access": (cmd_broker_access, "write the broker's password and ACL files, or a sensor's login"),
}

_CREDENTIALS_HELP = (
    "where { credential = NAME } secrets are when not started by systemd "
    "(default: $CREDENTIALS_DIRECTORY, else /etc/leasechain/credentials)"
)


def parser() -> argparse.ArgumentParser:
    """The argument parser: every command takes ``--config/-c``."""
    top = argparse.ArgumentParser(prog="leasechain-gateway", description="Lease Chain site gateway")
    add_version_flag(top)
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_fn, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--config", "-c", help="config file (default: /etc/leasechain/gateway.toml)")
        if name == "check-config":
            # The file may also come first, as in earlier versions: check-config FILE.
            p.add_argument("config_file", nargs="?", metavar="FILE", help="same as --config")
            p.add_argument("--online", action="store_true", help="also connect to the broker and the ledger")
        if name == "broker-access":
            p.add_argument("--device", metavar="ID", help="print this sensor's MQTT user name and password")
        if name == "status":
            p.add_argument(
                "--updates",
                action="store_true",
                help="also read each device's last update status from the broker",
            )
        if name in ("check-config", "account", "broker-access", "status"):
            p.add_argument("--credentials", type=Path, metavar="DIR", help=_CREDENTIALS_HELP)
        if name in ("status", "devices", "account"):
            p.add_argument("--json", action="store_true", help="print JSON")
        if name == "devices":
            p.add_argument("--unknown", action="store_true", help="only devices not in the registry")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``leasechain-gateway``."""
    args = parser().parse_args(argv)
    fn, _help = COMMANDS[args.command]
    try:
        return fn(args)
    except GatewayError as exc:
        print(f"leasechain-gateway {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
