"""``leasechain-device``: the technician's command line (a thin wrapper over the library).

    leasechain-device flash      --port /dev/ttyUSB0
    leasechain-device provision  --port /dev/ttyUSB0 --config site.json --out sensor.json
    leasechain-device enroll     --record sensor.json --token tok-... --ledger URL --key maker
    leasechain-device monitor    --port /dev/ttyUSB0 --broker mqtt://gateway.local
    leasechain-device doctor     --port /dev/ttyUSB0
    leasechain-device release    --out DIR --key release [--mpy-arch xtensawin]
    leasechain-device ports
    leasechain-device config     get [KEY] | set KEY VALUE   --port auto
    leasechain-device mirror     --out DIR

``--port`` defaults to $LEASECHAIN_PORT (``auto``: the only USB serial port);
``--json`` prints one JSON object for scripts.  Exit status: 0 success, 2 usage, and one code per failure kind
(docs/technician.md).
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chain_client import human
from chain_client.version import add_flag as add_version_flag

from firmware import leasechain
from firmware.tools.device import (
    boardconfig,
    deploy,
    doctor,
    enroll,
    mip,
    mipindex,
    monitor,
    ports,
    provisioning,
    release,
)
from firmware.tools.device.errors import (
    BrokerUnreachableError,
    ClockNotSetError,
    ConfigError,
    DeviceToolError,
    NoReadingError,
    VerificationError,
)
from firmware.tools.device.link import PORT_ENV, Board, connect, resolve_port
from firmware.tools.device.progress import Progress

Result = dict[str, Any]


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.json:
        print(text)


# -- commands -------------------------------------------------------------------------------------


def cmd_flash(args: argparse.Namespace, progress: Progress) -> Result:
    """Deploy the firmware and its dependencies."""
    with connect(args.port, args.wait) as board:
        progress.step(f"deploying {args.source} to {board.port}")
        report = deploy.flash(board, args.source, args.index, progress.file)
    _say(
        args,
        f"firmware {report.firmware_version}: {len(report.written)} files written "
        f"({report.bytes_written} bytes), {len(report.unchanged)} unchanged, {len(report.removed)} removed",
    )
    return report.as_dict()


def _config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    pairs = {
        "site": args.site,
        "transport": args.transport,
        "wifi.ssid": args.wifi_ssid,
        "wifi.password": args.wifi_password,
        "mqtt.host": args.mqtt_host,
        "mqtt.port": args.mqtt_port,
        "mqtt.user": args.mqtt_user,
        "mqtt.password": args.mqtt_password,
        "period_s": args.period,
    }
    return {k: v for k, v in pairs.items() if v is not None}


def _ask_password(prompt: str) -> str:
    """A password typed at the terminal (not echoed), or one line of standard input when piped."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


def cmd_provision(args: argparse.Namespace, progress: Progress) -> Result:
    """Configure the board, have it make its key, and verify its proof of possession."""
    ask = args.wifi_password == "-"  # noqa: S105 - "-" asks for it, it is no password
    if ask or (args.wifi_ssid and args.wifi_password is None and sys.stdin.isatty()):
        # Typed, not given on the command line: it stays out of the shell history and `ps`.
        args.wifi_password = _ask_password(f"Wi-Fi password for {args.wifi_ssid or 'the network'}: ")
    cfg = provisioning.load_config(args.config, _config_overrides(args))
    with connect(args.port, args.wait) as board:
        progress.step("checking the firmware")
        info = provisioning.board_info(board, args.source)
        if cfg is not None:
            progress.step("writing the configuration")
            provisioning.write_config(board, cfg)
        elif not info.get("config"):
            raise ConfigError(
                f"the board has no usable configuration ({info.get('config_error')}); "
                "give --config FILE or --mqtt-host and the other settings"
            )
        progress.step("checking the clock")
        board_time = int(info.get("time", 0))
        try:
            provisioning.check_clock(board_time)
        except ClockNotSetError:
            if not args.set_clock:
                raise
            board_time = provisioning.set_clock(board)
            provisioning.check_clock(board_time)
        progress.step("generating the device key on the board")
        key = provisioning.ensure_key(board)
        progress.step("verifying the board's proof of possession")
        proof = provisioning.prove(board, key["public_key"])
    record = {**proof.as_dict(), "created": bool(key["created"]), "firmware": info.get("firmware")}
    if args.out is not None:
        args.out.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    _say(
        args,
        f"device {proof.device} {'created its key' if key['created'] else 'kept its key'}; "
        f"public key {proof.public_key}; proof verified",
    )
    return record


def _public_key(args: argparse.Namespace, board: Board | None = None) -> tuple[str, bytes]:
    """(device id, public key) from --public-key, --record, or the board."""
    if args.public_key:
        try:
            public = bytes.fromhex(args.public_key)
        except ValueError:
            raise VerificationError(f"--public-key {args.public_key!r} is not hex") from None
    elif args.record is not None:
        try:
            record = json.loads(args.record.read_text())
            public = bytes.fromhex(record["public_key"])
            challenge = bytes.fromhex(record["challenge"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VerificationError(f"provisioning record {str(args.record)!r} is unusable: {exc}") from None
        # The record carries the board's proof: an edited or corrupted record does not verify.
        provisioning.verify_proof(record, challenge)
    elif board is not None:
        reply = board.firmware("public")
        if "error" in reply:
            raise VerificationError(f"the board has no device key yet ({reply.get('detail')}); run provision")
        public = bytes.fromhex(str(reply["public_key"]))
    else:
        raise VerificationError("give --public-key, --record or --port to know the device's key")
    if len(public) != 32:
        raise VerificationError(f"public key is {len(public)} bytes, expected 32")
    return hashlib.sha256(public).hexdigest()[:32], public


def cmd_enroll(args: argparse.Namespace, progress: Progress) -> Result:
    """Bind the board's key to an equipment token on the ledger."""
    owner = enroll.signing_key(args.key, args.keystore)
    if args.record is None and not args.public_key:
        with connect(args.port, args.wait) as board:
            progress.step("re-checking that the board holds its key")
            proof = provisioning.prove(board)
        public = bytes.fromhex(proof.public_key)
    else:
        _, public = _public_key(args)
    progress.step(f"binding the key to {args.token}")
    result = enroll.enroll(args.ledger, args.token, public, owner)
    if result["status"] == "already_bound":
        _say(args, f"device {result['device']} was already bound to {result['token']}; nothing to do")
    else:
        _say(args, f"device {result['device']} bound to {result['token']} (ledger entry {result['index']})")
    return result


def _print_event(args: argparse.Namespace) -> Callable[[monitor.Event], None]:
    def show(event: monitor.Event) -> None:
        if args.json:
            return
        kind = event["kind"]
        if kind == "reading":
            values = human.physical(event["readings"]) if event["readings"] else "no sensors"
            print(
                f"verified reading boot {event['boot']} seq {event['seq']} at {human.when(event['time'])}"
                f"{'' if event['synced'] else ' (clock not synced)'}: {values}; "
                f"run {human.machine_hours(event['run_seconds'])}, {event['cycles']} cycles"
            )
        elif kind == "birth":
            print(f"verified birth of {event['device']}: boot {event['boot']}, firmware {event['firmware']}")
        elif kind == "status":
            print(f"status: {event['status']}")
        elif kind == "rejected":
            print(f"REJECTED ({event['reason']}): {event['detail']}")
        elif kind == "console":
            print(f"console: {event['text']}")
        sys.stdout.flush()

    return show


def cmd_monitor(args: argparse.Namespace, progress: Progress) -> Result:
    """Watch and verify the board's messages."""
    if args.serial:
        port = resolve_port(args.port)
        if args.public_key or args.record is not None:
            device, public = _public_key(args)
        else:
            with Board(port, timeout=args.wait) as board:
                device, public = _public_key(args, board)
        progress.step(f"listening on {port} for frames of {device} (press RESET on the board)")
        watch = monitor.watch_serial(port, public, args.count, args.timeout, _print_event(args))
        source = port
    else:
        if args.public_key or args.record is not None:
            device, public = _public_key(args)
            broker = args.broker
        else:
            with connect(args.port, args.wait) as board:
                device, public = _public_key(args, board)
                info = board.firmware("info")
            broker = args.broker or f"mqtt://{info.get('mqtt_host')}:{info.get('mqtt_port')}"
        if not broker:
            raise BrokerUnreachableError("no broker: give --broker mqtt://host:port")
        progress.step(f"subscribing to {device} on {broker}")
        watch = monitor.watch_broker(broker, device, public, args.count, args.timeout, _print_event(args))
        source = broker
    result: Result = {
        "device": device,
        "source": source,
        "verified": watch.verified,
        "births": watch.births,
        "rejected": len(watch.rejected),
        "events": watch.events,
    }
    if watch.verified < args.count:
        if watch.rejected:
            first = watch.rejected[0]
            raise VerificationError(
                f"{len(watch.rejected)} message(s) from {source} failed verification, "
                f"first: {first['reason']}: {first['detail']}"
            )
        raise NoReadingError(
            f"{watch.verified} of {args.count} verified reading(s) from {device} within {args.timeout:g} s"
        )
    return result


def cmd_doctor(args: argparse.Namespace, progress: Progress) -> Result:
    """Check port, MicroPython, firmware, clock, config, Wi-Fi and broker."""
    progress.step("checking the board")
    report = doctor.run(args.port, args.broker, args.source, args.wait, args.ledger)
    for check in report.checks:
        _say(args, f"{check.status.upper():4}  {check.name:<12} {check.detail}")
    result: Result = {"checks": [c.as_dict() for c in report.checks]}
    if report.failure is not None:
        report.failure.details = result
        raise report.failure
    return result


def cmd_release(args: argparse.Namespace, progress: Progress) -> Result:
    """Build and sign a release of the app for over-the-air updates."""
    purpose = "a release is signed with the fleet's release key"
    key = enroll.signing_key(args.key, args.keystore, purpose=purpose)
    arch = None if args.mpy_arch == "none" else args.mpy_arch
    progress.step(f"building the release of {args.source} into {args.out}")
    built = release.build(args.source, args.out, key, arch)
    _say(
        args,
        f"release {built.version}: {len(built.files)} files ({sum(f.size for f in built.files)} bytes) "
        f"signed by release key {built.public_key.hex()} (the boards' update.key); "
        f"serve {args.out} with: python -m gateway.updates --dir {args.out}",
    )
    return built.as_dict()


def cmd_ports(args: argparse.Namespace, progress: Progress) -> Result:
    """List the serial ports, USB ones (boards) first."""
    found = ports.list_serial()
    for port in found:
        busy = ports.busy_hint(port.device)
        what = port.description or ("USB " + port.usb_id if port.usb_id else "not USB")
        _say(args, f"{port.device:<16} {what}{'  [' + busy.lstrip('; ') + ']' if busy else ''}")
    if not found:
        _say(args, "no serial ports; is the board plugged in with a data cable?")
    try:
        auto: str | None = ports.auto_port(found)
    except DeviceToolError:
        auto = None
    if auto is not None:
        _say(args, f"--port auto picks {auto}")
    return {"ports": [p.as_dict() for p in found], "auto": auto}


def cmd_config(args: argparse.Namespace, progress: Progress) -> Result:
    """Show or change one setting of a provisioned board."""
    if args.action == "set" and (args.key is None or args.value is None):
        raise ConfigError("config set needs KEY and VALUE, e.g. config set site hall-4")
    if args.action == "get" and args.value is not None:
        raise ConfigError("config get takes one KEY (or none for the whole file)")
    with connect(args.port, args.wait) as board:
        if args.action == "get":
            result = boardconfig.get(boardconfig.read(board), args.key, args.show_secrets)
            text = json.dumps(result.get("config", result.get("value")), indent=2, sort_keys=True)
            _say(args, text + ("  (default)" if result.get("default") else ""))
            return result
        raw = _ask_password(f"{args.key}: ") if args.value == "-" else args.value
        result = boardconfig.set_value(board, args.key, boardconfig.parse_value(raw))
    _say(args, f"{args.key} = {json.dumps(result['value'])} written; reset the board to use it")
    return result


def cmd_mirror(args: argparse.Namespace, progress: Progress) -> Result:
    """Build an offline mip index of the firmware's dependencies (for flash --index DIR)."""
    names = [name for name, _version in mip.manifest_deps(args.source)]
    progress.step(f"building a package index of {', '.join(names)} in {args.out}")
    done = mipindex.build_from_pypi(names, args.out)
    _say(args, f"index of {', '.join(done)} in {args.out}; use: leasechain-device flash --index {args.out}")
    return {"index": str(args.out), "packages": done}


COMMANDS: dict[str, Callable[[argparse.Namespace, Progress], Result]] = {
    "release": cmd_release,
    "ports": cmd_ports,
    "config": cmd_config,
    "mirror": cmd_mirror,
    "flash": cmd_flash,
    "provision": cmd_provision,
    "enroll": cmd_enroll,
    "monitor": cmd_monitor,
    "doctor": cmd_doctor,
}


# -- argument parsing -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--port", help=f"serial port of the board, or auto for the only USB one (default: ${PORT_ENV})"
    )
    common.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")
    common.add_argument(
        "--wait",
        type=float,
        default=10.0,
        help="seconds to wait for the board's REPL to answer (default: 10)",
    )
    firmware = argparse.ArgumentParser(add_help=False)
    firmware.add_argument(
        "--source",
        type=Path,
        default=deploy.FIRMWARE_DIR,
        help="firmware directory (default: the shipped one)",
    )
    key_source = argparse.ArgumentParser(add_help=False)
    key_source.add_argument("--public-key", help="the device's public key (64 hex digits)")
    key_source.add_argument("--record", type=Path, help="provisioning record written by provision --out")

    parser = argparse.ArgumentParser(prog="leasechain-device", description=__doc__.splitlines()[0])
    add_version_flag(parser, f"firmware {leasechain.VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "flash", parents=[common, firmware], help="deploy the firmware onto a MicroPython board"
    )
    p.add_argument("--index", default=mip.DEFAULT_INDEX, help="mip package index for the dependencies")

    p = sub.add_parser("provision", parents=[common, firmware], help="configure, key and verify a board")
    p.add_argument("--config", type=Path, help="JSON configuration file (docs/technician.md)")
    p.add_argument("--site", help="site name; the MQTT client id is <site>-<device id>")
    p.add_argument("--transport", choices=("mqtt", "uart"), help="mqtt over Wi-Fi (default) or uart")
    p.add_argument("--wifi-ssid", help="the Wi-Fi network the board joins")
    p.add_argument(
        "--wifi-password",
        help="its password; left out with --wifi-ssid (or given as -), it is asked for without echo",
    )
    p.add_argument("--mqtt-host", help="the gateway's broker (host name or address)")
    p.add_argument("--mqtt-port", type=int, help="broker port (default 1883)")
    p.add_argument("--mqtt-user", help="broker user name (default: the device id, for per-device ACLs)")
    p.add_argument("--mqtt-password", help="broker password (leasechain-gateway broker-access --device)")
    p.add_argument("--period", type=int, help="seconds between readings")
    p.add_argument(
        "--set-clock",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="set the board's clock from this computer when it is off (default: yes)",
    )
    p.add_argument("--out", type=Path, help="write the provisioning record (public key, proof) here")

    p = sub.add_parser("enroll", parents=[common, key_source], help="bind the device key to a token")
    p.add_argument("--token", required=True, help="equipment token id (tok-...)")
    p.add_argument("--ledger", default=None, help="ledger URL (default: $LEASECHAIN_URL)")
    p.add_argument("--key", default=None, help="keystore key of the token's owner (default: $LEASECHAIN_KEY)")
    p.add_argument("--keystore", default=None, help="keystore file (default: $LEASECHAIN_KEYSTORE)")

    p = sub.add_parser("monitor", parents=[common, key_source], help="watch and verify readings")
    p.add_argument("--serial", action="store_true", help="read UART frames from the serial port, not MQTT")
    p.add_argument("--broker", help="mqtt://host:port (default: the board's configured broker)")
    p.add_argument("--count", type=int, default=1, help="stop after this many verified readings")
    p.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")

    p = sub.add_parser("doctor", parents=[common, firmware], help="check everything a sensor needs")
    p.add_argument("--broker", help="check this broker instead of the configured one")
    p.add_argument("--ledger", default=None, help="check the enrolment on this ledger ($LEASECHAIN_URL)")

    sub.add_parser("ports", parents=[common], help="list serial ports (and which one --port auto picks)")

    p = sub.add_parser("config", parents=[common], help="show or change one setting of a provisioned board")
    p.add_argument("action", choices=("get", "set"), help="get [KEY] or set KEY VALUE")
    p.add_argument("key", nargs="?", help="dotted key, e.g. site, mqtt.host, wifi.password")
    p.add_argument("value", nargs="?", help="new value (JSON, or text); - asks for it without echo")
    p.add_argument("--show-secrets", action="store_true", help="show passwords instead of ***")

    p = sub.add_parser("mirror", parents=[common, firmware], help="build an offline package index for flash")
    p.add_argument("--out", type=Path, required=True, help="directory to write the index into")

    p = sub.add_parser("release", parents=[common, firmware], help="build and sign an over-the-air update")
    p.add_argument("--out", type=Path, required=True, help="release directory the update service serves")
    p.add_argument("--key", default=None, help="keystore name of the fleet's release key ($LEASECHAIN_KEY)")
    p.add_argument("--keystore", default=None, help="keystore file (default: $LEASECHAIN_KEYSTORE)")
    p.add_argument(
        "--mpy-arch",
        default="xtensawin",
        choices=(*release.MPY_ARCHES, "none"),
        help="compile for this architecture with mpy-cross (ESP32: xtensawin; none: ship source)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status."""
    args = build_parser().parse_args(argv)
    progress = Progress(enabled=None if not args.json else False)
    try:
        result = COMMANDS[args.command](args, progress)
    except DeviceToolError as exc:
        if args.json:
            error: Result = {
                "ok": False,
                "error": exc.kind,
                "message": exc.message,
                "exit_code": exc.exit_code,
            }
            error.update(exc.details)
            print(json.dumps(error, sort_keys=True))
        else:
            print(f"leasechain-device {args.command}: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    if args.json:
        print(json.dumps({"ok": True, **result}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
