"""``doctor``: check, in order, everything a sensor needs to deliver verified readings.

Port -> MicroPython -> firmware -> clock -> configuration -> Wi-Fi -> broker -> ledger
(the device key bound to a token, when a ledger is named).
Each check is ok, failed (with the error a technician acts on) or skipped
(because an earlier one failed or the board cannot do it); the first failure
decides the exit status.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chain_client import human
from chain_client.client import ClientError, LedgerClient, NotFoundError

from firmware.tools.device import monitor
from firmware.tools.device.deploy import FIRMWARE_DIR, firmware_version, installed
from firmware.tools.device.enroll import URL_ENV
from firmware.tools.device.errors import (
    BoardError,
    BrokerUnreachableError,
    ConfigError,
    DeviceToolError,
    FirmwareError,
    LedgerError,
    WifiError,
)
from firmware.tools.device.link import Board, resolve_port
from firmware.tools.device.provisioning import check_clock

CHECKS = ("port", "micropython", "firmware", "clock", "config", "wifi", "broker", "ledger")


@dataclass
class Check:
    """One line of the report."""

    name: str
    status: str  # "ok", "fail" or "skip"
    detail: str
    error: DeviceToolError | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        out: dict[str, object] = {"check": self.name, "status": self.status, "detail": self.detail}
        if self.error is not None:
            out["exit_code"] = self.error.exit_code
        return out


@dataclass
class Report:
    """All checks; ``failure`` is the first failed one's error."""

    checks: list[Check] = field(default_factory=list)

    @property
    def failure(self) -> DeviceToolError | None:
        """The error of the first failed check, if any."""
        return next((c.error for c in self.checks if c.error is not None), None)

    def add(self, name: str, detail: str, error: DeviceToolError | None = None) -> None:
        """Record a check: failed if ``error`` is given."""
        self.checks.append(Check(name, "fail" if error else "ok", error.message if error else detail, error))

    def skip(self, name: str, detail: str) -> None:
        """Record a check that was not made."""
        self.checks.append(Check(name, "skip", detail))

    def skip_rest(self, reason: str) -> None:
        """Skip every check not yet made."""
        done = {c.name for c in self.checks}
        for name in CHECKS:
            if name not in done:
                self.skip(name, reason)


def run(
    port: str | None,
    broker: str | None = None,
    source: Path = FIRMWARE_DIR,
    wait: float = 10.0,
    ledger: str | None = None,
) -> Report:
    """Run every check against the board on ``port`` (or $LEASECHAIN_PORT); ``ledger``: its URL, if any."""
    report = Report()
    try:
        chosen = resolve_port(port)
        board = Board(chosen, timeout=wait)
    except BoardError as exc:
        report.add("port", chosen)
        report.add("micropython", "", exc)
        report.skip_rest("no MicroPython REPL")
        return report
    except DeviceToolError as exc:
        report.add("port", "", exc)
        report.skip_rest("no board")
        return report
    with board:
        report.add("port", board.port)
        _check_board(board, report, broker, source)
        _check_ledger(board, report, ledger)
    return report


_READ_SLOT = """
try:
    with open('app/slot.json') as _f:
        print('LCP ' + _f.read())
except OSError:
    print('LCP {}')
"""


def _update_note(board: Board) -> str:
    """What an over-the-air update changed: the copy that runs instead of the flashed one."""
    try:
        slot = board.call(_READ_SLOT)
    except BoardError:
        return "; its update record (/app/slot.json) is unreadable"
    active = slot.get("active")
    if not active:
        event = slot.get("event") or {}
        if event.get("state") == "rolled_back":
            return f"; update {event.get('version')} was rolled back ({event.get('reason')})"
        return ""
    state = "on trial" if slot.get("state") == "trial" else "confirmed"
    return f"; it runs over-the-air update {active} ({state}) from /app/{active}"


def _check_ledger(board: Board, report: Report, ledger: str | None) -> None:
    if any(c.name == "ledger" for c in report.checks):
        return
    if not any(c.name == "firmware" and c.status == "ok" for c in report.checks):
        report.skip("ledger", "no firmware to ask for the device key")
        return
    url = ledger or os.environ.get(URL_ENV, "")
    if not url:
        report.skip("ledger", f"no ledger named: --ledger URL or ${URL_ENV}")
        return
    reply = board.firmware("public")
    if "error" in reply:
        report.skip("ledger", "the board has no device key yet: run provision")
        return
    device = str(reply["device"])
    try:
        with LedgerClient(url, retries=1, timeout=15.0) as client:
            binding = client.device(device)
    except NotFoundError:
        report.add("ledger", "", LedgerError(f"device {device} is not enrolled on {url}: run enroll"))
        return
    except ClientError as exc:
        report.add("ledger", "", LedgerError(f"cannot ask the ledger at {url} about device {device}: {exc}"))
        return
    if binding.public_key != reply["public_key"]:
        report.add("ledger", "", LedgerError(f"the ledger binds device {device} to another public key"))
    elif binding.status != "active":
        why = f" ({binding.reason})" if binding.reason else ""
        report.add(
            "ledger", "", LedgerError(f"device {device} was {binding.status}{why} on token {binding.token}")
        )
    else:
        report.add("ledger", f"device {device} bound to {binding.token} since {human.when(binding.bound_at)}")


def _check_board(board: Board, report: Report, broker: str | None, source: Path) -> None:
    try:
        info = board.firmware("info")
    except FirmwareError as exc:
        report.add("micropython", f"MicroPython {board.micropython_version()}")
        report.add("firmware", "", exc)
        report.skip_rest("no firmware")
        return
    except DeviceToolError as exc:
        report.add("micropython", "", exc)
        report.skip_rest("no REPL")
        return
    report.add("micropython", f"MicroPython {info.get('micropython')} on {info.get('machine')}")
    expected = firmware_version(source)
    state = installed(board, source)
    if info.get("firmware") != expected or state["missing"] or state["differ"]:
        report.add(
            "firmware",
            "",
            FirmwareError(
                f"board runs firmware {info.get('firmware')!r} (this tool deploys {expected!r}); "
                f"missing {state['missing']}, differing {state['differ']}: run `leasechain-device flash`"
            ),
        )
    else:
        report.add("firmware", f"Lease Chain firmware {expected}, every file as shipped{_update_note(board)}")
    try:
        check_clock(int(info.get("time", 0)))
        report.add("clock", f"board time {human.when(int(info['time']))} (within 300 s of this computer)")
    except DeviceToolError as exc:
        report.add("clock", "", exc)
    if not info.get("config"):
        report.add(
            "config",
            "",
            ConfigError(f"board configuration unusable: {info.get('config_error')}; run provision"),
        )
        report.skip("wifi", "no configuration")
        report.skip("broker", "no configuration")
        return
    report.add(
        "config",
        f"site {info.get('site')!r}, transport {info.get('transport')}, "
        f"key {'present' if info.get('key') else 'absent'}",
    )
    if info.get("transport") != "mqtt":
        report.skip("wifi", "transport is uart")
        report.skip("broker", "transport is uart")
        return
    wifi = board.firmware("wifi", timeout=30)
    on_air = wifi.get("wifi") == "connected"
    if on_air:
        report.add("wifi", f"connected to {info.get('wifi_ssid')!r}: {wifi.get('ifconfig')}")
    elif wifi.get("wifi") == "unavailable":
        report.skip("wifi", str(wifi.get("detail")))
    else:
        report.add(
            "wifi", "", WifiError(f"cannot join Wi-Fi {info.get('wifi_ssid')!r}: {wifi.get('detail')}")
        )
    _check_broker(board, report, info, broker, on_air)


def _check_broker(
    board: Board, report: Report, info: dict[str, Any], broker: str | None, on_air: bool
) -> None:
    target = broker or f"mqtt://{info.get('mqtt_host')}:{info.get('mqtt_port')}"
    if on_air and broker is None:
        reach = board.firmware("reach", timeout=30)
        if reach.get("reach") == "ok":
            report.add("broker", f"{target} reachable from the board")
            return
        if reach.get("reach") != "unavailable":
            report.add(
                "broker",
                "",
                BrokerUnreachableError(f"the board cannot reach broker {target}: {reach.get('detail')}"),
            )
            return
    # The board has no network of its own here: check from this computer instead, and say so.
    try:
        monitor.check_broker(target, user=str(info.get("mqtt_user") or "") or None)
        report.add("broker", f"{target} answers MQTT (checked from this computer)")
    except DeviceToolError as exc:
        report.add("broker", "", exc)
