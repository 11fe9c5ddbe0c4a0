"""``leasechain-gateway``: run the service, check a config, show status.

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

from gateway import config as config_module
from gateway import status as status_module
from gateway.errors import GatewayError
from gateway.service import Service, initial_registry, mqtt_password, signing_key

EXIT_ERROR = 2


def _config_path(args: argparse.Namespace) -> Path:
    return Path(
        args.config or os.environ.get("LEASECHAIN_GATEWAY_CONFIG") or config_module.DEFAULT_CONFIG_PATH
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Run the gateway until SIGTERM."""
    cfg = config_module.load(_config_path(args))
    logging.basicConfig(
        level=cfg.log.level,
        stream=sys.stderr,
        # journald adds its own timestamps; keep the line short.
        format="%(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(Service(cfg).run())
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate a config file, its secrets and its registry file."""
    path = _config_path(args)
    cfg = config_module.load(path)
    mqtt_password(cfg)
    signing_key(cfg)
    from_file, cached = initial_registry(cfg)
    print(f"{path}: ok")
    print(f"  gateway id      {cfg.gateway.id}")
    print(f"  state directory {cfg.gateway.state_dir()}")
    print(f"  store           {cfg.store_path()} (max {cfg.store.max_bytes} bytes)")
    mqtt = f"{cfg.mqtt.host}:{cfg.mqtt.port} (MQTT {cfg.mqtt.protocol})" if cfg.mqtt.enabled else "disabled"
    print(f"  broker          {mqtt}")
    print(f"  serial ports    {', '.join(p.path for p in cfg.serial.ports) or 'none'}")
    print(f"  backend         {cfg.backend.url or 'none (batches kept, not anchored)'}")
    print(f"  registry        {len(from_file)} devices from file, {len(cached)} cached from the backend")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print queue depth, last anchor and rejections by reason."""
    cfg = config_module.load(_config_path(args))
    path = cfg.store_path()
    stats = status_module.read(path)
    if args.json:
        print(json.dumps(status_module.as_dict(stats), indent=2))
    else:
        print(status_module.render(path, stats))
    return 0


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "run": (cmd_run, "run the gateway service (what the systemd unit starts)"),
    "check-config": (cmd_check_config, "validate a config file and the secrets it names"),
    "status": (cmd_status, "queue depth, last anchor, rejections by reason"),
}


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    top = argparse.ArgumentParser(prog="leasechain-gateway", description="Lease Chain site gateway")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_fn, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == "check-config":
            p.add_argument("config", nargs="?", help="config file (default: /etc/leasechain/gateway.toml)")
        else:
            p.add_argument("--config", "-c", help="config file (default: /etc/leasechain/gateway.toml)")
        if name == "status":
            p.add_argument("--json", action="store_true", help="print JSON")
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
