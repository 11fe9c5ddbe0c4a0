"""The board's configuration file (``config.json``), checked against its defaults.

Every key has a default of the type it must have; unknown keys are rejected,
so a typo in the field is an error with the key's name rather than a silently
ignored setting.  docs/firmware.md explains each key.
"""

import json

CONFIG_FILE = "config.json"

DEFAULTS = {
    "site": "",
    "wifi": {"ssid": "", "password": ""},
    "transport": "mqtt",
    "mqtt": {
        "host": "",
        "port": 1883,
        "user": "",
        "password": "",
        "keepalive_s": 60,
        "timeout_s": 10,
        "tls": False,
        "ca_file": "",
    },
    "uart": {"id": 1, "tx": 17, "rx": 16, "baudrate": 115200},
    "ntp_host": "pool.ntp.org",
    "period_s": 60,
    "poll_s": 1,
    "buffer_max": 2048,
    "data_dir": "/data",
    "watchdog_s": 60,
    # led, maintenance -1: none.  maintenance: held low at reset, the sensor does not start.
    "pins": {"sda": 21, "scl": 22, "current_adc": 34, "pulse": 27, "led": 2, "maintenance": 0},
    "bme280": {"enabled": True, "address": 0x76},
    "current": {"enabled": True, "ma_per_volt": 30000, "threshold_ma": 500, "samples": 160},
    "pulse": {"enabled": True, "debounce_ms": 20},
    "chip_temperature": {"enabled": True},
    # Over-the-air updates (updater.py): off while url is "".  key: the fleet's release key, hex.
    "update": {
        "url": "",
        "key": "",
        "check_s": 3600,
        "healthy_publishes": 5,
        "trial_s": 600,
        "trial_boots": 3,
    },
}

_CHOICES = {"transport": ("mqtt", "uart")}
_POSITIVE = (
    "period_s",
    "poll_s",
    "buffer_max",
    "watchdog_s",
    "timeout_s",
    "samples",
    "baudrate",
    "check_s",
    "healthy_publishes",
    "trial_s",
    "trial_boots",
)


class ConfigError(ValueError):
    """The configuration names a key that does not exist or has a value of the wrong kind."""


def _merge(defaults, given, where):
    if not isinstance(given, dict):
        raise ConfigError("%s must be an object, got %r" % (where or "config", given))
    out = {}
    for key in given:
        if key not in defaults:
            raise ConfigError("unknown key %s%s" % (where + "." if where else "", key))
    for key in defaults:
        default = defaults[key]
        name = where + "." + key if where else key
        if key not in given:
            out[key] = _merge(default, {}, name) if isinstance(default, dict) else default
            continue
        value = given[key]
        if isinstance(default, dict):
            out[key] = _merge(default, value, name)
            continue
        # bool first: CPython's bool is an int.
        if isinstance(default, bool) or isinstance(value, bool):
            ok = isinstance(default, bool) and isinstance(value, bool)
        else:
            ok = isinstance(value, type(default))
        if not ok:
            raise ConfigError("%s must be %s, got %r" % (name, type(default).__name__, value))
        if key in _CHOICES and value not in _CHOICES[key]:
            raise ConfigError("%s must be one of %s, got %r" % (name, ", ".join(_CHOICES[key]), value))
        if key in _POSITIVE and value <= 0:
            raise ConfigError("%s must be positive, got %r" % (name, value))
        out[key] = value
    return out


def parse(text):
    """Configuration from JSON text, defaults filled in; raise ConfigError."""
    try:
        given = json.loads(text)
    except ValueError as exc:
        raise ConfigError("config is not valid JSON: %s" % (exc,)) from None
    cfg = _merge(DEFAULTS, given, "")
    if cfg["transport"] == "mqtt" and not cfg["mqtt"]["host"]:
        raise ConfigError("mqtt.host must be set when transport is mqtt")
    if cfg["mqtt"]["tls"] and not cfg["mqtt"]["ca_file"]:
        raise ConfigError("mqtt.ca_file must name the broker's CA certificate when mqtt.tls is true")
    _check_update(cfg["update"])
    return cfg


def _check_update(u):
    if not u["url"]:
        return
    if not u["url"].startswith("http://"):
        raise ConfigError("update.url must be an http:// URL, got %r" % (u["url"],))
    key = u["key"]
    if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
        raise ConfigError("update.key must be the release key's 64 lower-case hex digits, got %r" % (key,))


def load(path=CONFIG_FILE):
    """Read and check the configuration file."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise ConfigError("cannot read %s" % path) from None
    return parse(text)
