# The sensor on MicroPython's unix port: leasechain/board.py's counterpart for a workstation.
#
# Same parts, same order as on the ESP32: the configuration file, the key and
# counters in "flash" (a directory), the real drivers (BME280, current clamp,
# pulse counter, chip temperature) on buses driven by model.MachineModel, and
# umqtt.simple over a real TCP socket to the broker.  There is no Wi-Fi to
# join, no watchdog and no LED; the host's clock is already synchronised.
#
#     micropython -X heapsize=110K firmware/unix/main.py --flash DIR [--readings N] [--period-ms MS]
#
# with DIR/lib holding what `mip install` put there (leasechain, umqtt.simple)
# and DIR/config.json the board's settings (docs/firmware.md).

import gc
import os

import model
from micropython import const

from leasechain.app import Device
from leasechain.clock import SystemClock
from leasechain.heap import HeapWatch, unload
from leasechain.identity import IdentityError
from leasechain.runner import Runner
from leasechain.state import StateError
from leasechain.store import FileStore
from leasechain.ticks import sleep_ms, ticks_diff, ticks_ms
from leasechain.transport import build_transport

EXIT_STOPPED = const(3)  # what the ESP32 shows as the 5 Hz error blink
EXIT_RESTART = const(4)  # an update was installed or rolled back: the ESP32 resets itself
_DRAIN_MS = const(30000)


def _log(message):
    print("[leasechain] " + message)


class HostClock(SystemClock):
    """The workstation's clock, which NTP already keeps right."""

    def __init__(self):
        super().__init__()
        self.synced = True

    def sync(self, host="", timeout_s=2):
        self.synced = True


def build_sensors(cfg, machine, log):
    """The drivers the configuration enables, on the model's buses (board.build_sensors on the ESP32)."""
    from leasechain.sensors import SensorError
    from leasechain.sensors.bme280 import BME280
    from leasechain.sensors.chip import ChipTemperature
    from leasechain.sensors.clamp import CurrentClamp
    from leasechain.sensors.pulse import PulseCounter

    bme = clamp = pulse = chip = None
    if cfg["bme280"]["enabled"]:
        try:
            bme = BME280(model.ModelI2C(machine), cfg["bme280"]["address"], sleep_ms=lambda ms: None)
        except (OSError, SensorError) as exc:
            log("BME280 not available: %r" % (exc,))
    if cfg["current"]["enabled"]:
        c = cfg["current"]
        adc = model.ModelAdc(machine, c["ma_per_volt"])
        clamp = CurrentClamp(adc, c["ma_per_volt"], c["threshold_ma"], c["samples"])
    if cfg["pulse"]["enabled"]:
        guard = (lambda: None, lambda state: None)  # the model calls the handler between ticks
        pulse = PulseCounter(model.ModelPin(machine), cfg["pulse"]["debounce_ms"], trigger=1, irq_guard=guard)
    if cfg["chip_temperature"]["enabled"]:
        chip = ChipTemperature(model.chip_celsius, "C")
    return [s for s in (bme, clamp, pulse, chip) if s is not None]


def _flash_path(path):
    # The board's absolute paths ("/data") live inside the flash directory.
    return path.lstrip("/") or "."


def build_updater(cfg, slot, log):
    """The over-the-air updater, imported only when the configuration turns updates on."""
    if not cfg["update"]["url"]:
        return None
    from leasechain.updater import from_config

    return from_config(cfg, slot, log)


def main(flash=".", readings=0, period_ms=0, slot=None):
    """Boot the sensor in directory ``flash`` and run it; stop after ``readings`` (0: never).

    ``period_ms`` overrides ``period_s`` for runs faster than a reading a second;
    ``slot`` is what lcboot.select() chose.  Returns the exit status: 0,
    EXIT_STOPPED when the board would refuse to sign, EXIT_RESTART when an
    update asks for a restart.
    """
    heap = HeapWatch()
    heap.sample()
    os.chdir(flash)
    machine = model.MachineModel()
    runner = _boot(machine, slot, heap)
    # The configuration parser and the key loader are needed only to boot: the running
    # sensor does not carry their code.
    unload(("config", "identity"))
    if runner is None:
        return EXIT_STOPPED
    device = runner.device
    if period_ms:
        runner.period_ms = period_ms
        runner.poll_ms = min(runner.poll_ms, period_ms)
    _run(runner, machine, readings)
    if runner.restart is not None:
        device.disconnect()
        return EXIT_RESTART
    gc.collect()
    _log(
        "done: %d readings, %d waiting, heap lowest %d bytes free of %d"
        % (runner.readings, device.pending(), heap.low, gc.mem_free() + gc.mem_alloc())
    )
    device.disconnect()
    return 0


def _boot(machine, slot, heap):
    """The device and its runner from config.json, as the ESP32's board.main builds them; None: stopped."""
    from leasechain import config

    try:
        cfg = config.load(config.CONFIG_FILE)
    except config.ConfigError as exc:
        _log("stopped: config: %s" % (exc,))
        return None
    device = Device(
        FileStore(_flash_path(cfg["data_dir"])),
        HostClock(),
        build_sensors(cfg, machine, _log),
        capacity=cfg["buffer_max"],
        log=_log,
    )
    try:
        device.start()
    except (IdentityError, StateError) as exc:
        _log("stopped: %s: %s" % (type(exc).__name__, exc))
        return None
    device.transport = build_transport(cfg, device)
    return Runner(
        device,
        period_s=cfg["period_s"],
        poll_s=cfg["poll_s"],
        keepalive_s=cfg["mqtt"]["keepalive_s"],
        log=_log,
        heap=heap,
        updater=build_updater(cfg, slot, _log),
    )


def _run(runner, machine, readings):
    device = runner.device
    drain_until = None
    while True:
        machine.advance(ticks_ms())
        wait = runner.tick()
        if runner.restart is not None:
            return
        if readings and runner.readings >= readings:
            # Stop taking readings; give the outbox a bounded time to drain.
            runner.period_ms = 1 << 29
            if drain_until is None:
                drain_until = ticks_ms() + _DRAIN_MS
            if not device.pending() or ticks_diff(ticks_ms(), drain_until) >= 0:
                return
            wait = min(wait, 100)
        sleep_ms(wait)
