# Boot of the unix-port board (unixboard.py): the device and its runner from config.json,
# as the ESP32's board.main builds them.  Loaded for boot only: unixboard.main drops this
# module afterwards (with the configuration parser and the key loader), so the running
# sensor does not carry its code.  Nothing made here may keep a function of this module
# (a function keeps its module's globals, so all of them): the clock class and the no-op
# callbacks the drivers keep are unixboard's.

import model
from unixboard import HostClock, ignore

from leasechain.app import Device
from leasechain.identity import IdentityError
from leasechain.link import build_transport
from leasechain.runner import Runner
from leasechain.state import StateError
from leasechain.store import FileStore


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
            bme = BME280(model.ModelI2C(machine), cfg["bme280"]["address"], sleep_ms=ignore)
        except (OSError, SensorError) as exc:
            log("BME280 not available: %r" % (exc,))
    if cfg["current"]["enabled"]:
        c = cfg["current"]
        adc = model.ModelAdc(machine, c["ma_per_volt"])
        clamp = CurrentClamp(adc, c["ma_per_volt"], c["threshold_ma"], c["samples"])
    if cfg["pulse"]["enabled"]:
        guard = (ignore, ignore)  # the model calls the handler between ticks
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


def boot(machine, slot, heap, log):
    """The device and its runner from config.json, as the ESP32's board.main builds them; None: stopped."""
    from leasechain import config

    try:
        cfg = config.load(config.CONFIG_FILE)
    except config.ConfigError as exc:
        log("stopped: config: %s" % (exc,))
        return None
    device = Device(
        FileStore(_flash_path(cfg["data_dir"])),
        HostClock(),
        build_sensors(cfg, machine, log),
        capacity=cfg["buffer_max"],
        log=log,
    )
    try:
        device.start()
    except (IdentityError, StateError) as exc:
        log("stopped: %s: %s" % (type(exc).__name__, exc))
        return None
    device.transport = build_transport(cfg, device)
    return Runner(
        device,
        period_s=cfg["period_s"],
        poll_s=cfg["poll_s"],
        keepalive_s=cfg["mqtt"]["keepalive_s"],
        log=log,
        heap=heap,
        updater=build_updater(cfg, slot, log),
    )
