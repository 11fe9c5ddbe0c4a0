"""The ESP32 itself: builds the device from config.json and the board's peripherals.

It wires ``machine`` and ``network`` to the app (the link the configuration
asks for is link.build_transport's, shared with the unix board);
everything it wires together is tested elsewhere with fakes.

Deployed with mpremote from a checkout (docs/firmware.md)::

    mpremote mip install firmware/package.json      # leasechain and umqtt.simple into /lib
    mpremote cp firmware/boot.py firmware/main.py :
    mpremote cp config.json :config.json
    mpremote reset

``umqtt.simple`` comes from micropython-lib through mip (firmware/package.json
declares it); it is never copied into this repository.
"""

from . import led
from .app import Device
from .clock import SystemClock
from .heap import unload
from .identity import IdentityError
from .runner import Runner
from .state import StateError
from .store import FileStore
from .ticks import sleep_ms, ticks_ms


def _log(message):
    print("[leasechain] " + message)


class _Wifi:
    """The station interface as the Runner wants it: non-blocking join, status."""

    def __init__(self, ssid, password):
        import network

        self._wlan = network.WLAN(network.STA_IF)
        self._wlan.active(True)
        self._ssid = ssid
        self._password = password

    def isconnected(self):
        return self._wlan.isconnected()

    def connect(self):
        self._wlan.connect(self._ssid, self._password)


def build_sensors(cfg, log):
    """Drivers for the sensors the configuration enables; one that fails to start is left out."""
    from machine import ADC, I2C, Pin

    from .sensors.bme280 import BME280
    from .sensors.chip import ChipTemperature
    from .sensors.clamp import CurrentClamp
    from .sensors.pulse import PulseCounter

    pins = cfg["pins"]
    bme = clamp = pulse = chip = None
    if cfg["bme280"]["enabled"]:
        try:
            i2c = I2C(0, sda=Pin(pins["sda"]), scl=Pin(pins["scl"]), freq=400000)
            bme = BME280(i2c, cfg["bme280"]["address"])
        except Exception as exc:  # noqa: BLE001 - OSError (no ACK) or SensorError (wrong chip)
            log("BME280 not available: %r" % (exc,))
    if cfg["current"]["enabled"]:
        adc = ADC(Pin(pins["current_adc"]), atten=ADC.ATTN_11DB)  # full range, about 0.15-2.45 V
        c = cfg["current"]
        clamp = CurrentClamp(adc, c["ma_per_volt"], c["threshold_ma"], c["samples"])
    if cfg["pulse"]["enabled"]:
        pin = Pin(pins["pulse"], Pin.IN, Pin.PULL_UP)
        pulse = PulseCounter(pin, cfg["pulse"]["debounce_ms"], trigger=Pin.IRQ_FALLING)
    if cfg["chip_temperature"]["enabled"]:
        chip = ChipTemperature()
    return [s for s in (bme, clamp, pulse, chip) if s is not None]


def build_updater(cfg, slot, log):
    """The over-the-air updater, imported only when the configuration turns updates on."""
    if not cfg["update"]["url"]:
        return None
    from .updater import from_config

    return from_config(cfg, slot, log)


def _halt(status_led, wdt, message):
    """Stop signing for good: blink the error pattern and keep the watchdog quiet."""
    _log("stopped: " + message)
    if status_led is not None:
        status_led.mode = led.ERROR
    while True:
        if wdt is not None:
            wdt.feed()
        if status_led is not None:
            status_led.update(ticks_ms())
        sleep_ms(50)


def _load_config(path):
    """(config, None) from config.json, or (None, the error); the parser is not kept after boot."""
    from . import config

    try:
        return config.load(path or config.CONFIG_FILE), None
    except config.ConfigError as exc:
        return None, "config: %s" % (exc,)
    finally:
        unload(("config",))


def main(config_path=None, slot=None):
    """Boot the sensor and run it until power-off (or a restart into an update or out of one).

    ``config_path``: default config.json; ``slot`` is what lcboot.select() chose in main.py.
    """
    from machine import WDT, Pin, reset

    status_led = None
    cfg, error = _load_config(config_path)
    if error is not None:
        _halt(None, None, error)
        return
    button = cfg["pins"]["maintenance"]
    if button >= 0 and Pin(button, Pin.IN, Pin.PULL_UP).value() == 0:
        # An ESP32's watchdog cannot be stopped once started: a technician who wants a
        # long REPL session (mpremote) holds this button (BOOT on most boards) at reset.
        _log("maintenance: button on pin %d held at reset; sensor not started" % button)
        return
    if cfg["pins"]["led"] >= 0:
        status_led = led.StatusLed(Pin(cfg["pins"]["led"], Pin.OUT))
    wdt = WDT(timeout=cfg["watchdog_s"] * 1000)
    device = Device(
        FileStore(cfg["data_dir"]),
        SystemClock(),
        build_sensors(cfg, _log),
        capacity=cfg["buffer_max"],
        log=_log,
    )
    try:
        device.start()
    except (IdentityError, StateError) as exc:
        # A damaged key or counter file must not be replaced by a guess: a new
        # key is a new device, reused counters would sign two readings per number.
        _halt(status_led, wdt, "%s: %s" % (type(exc).__name__, exc))
        return
    from .link import build_transport

    device.transport = build_transport(cfg, device)
    del build_transport
    unload(("identity", "link"))  # the key is loaded, the link built: their code is not kept
    wifi = _Wifi(cfg["wifi"]["ssid"], cfg["wifi"]["password"]) if cfg["transport"] == "mqtt" else None
    runner = Runner(
        device,
        period_s=cfg["period_s"],
        poll_s=cfg["poll_s"],
        keepalive_s=cfg["mqtt"]["keepalive_s"],
        wifi=wifi,
        wdt=wdt,
        led=status_led,
        ntp_host=cfg["ntp_host"] if wifi is not None else None,
        log=_log,
        updater=build_updater(cfg, slot, _log) if cfg["transport"] == "mqtt" else None,
    )
    why = runner.run()
    _log("restarting: %s" % why)
    device.disconnect()
    reset()
