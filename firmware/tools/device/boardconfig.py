"""``config get`` / ``config set``: one setting of a provisioned board, without provisioning it again.

``set`` reads the board's ``config.json``, changes the one key and has the
board check the whole file with its own rules before it replaces it
(provisioning.write_config), so changing the site keeps the broker and Wi-Fi
settings that are already there.  ``get`` shows the value the board runs with:
the file's, or the firmware's default.  Passwords are shown as ``***``.
"""

from __future__ import annotations

import json
from typing import Any

from firmware.leasechain import config as device_config
from firmware.tools.device import provisioning
from firmware.tools.device.errors import BoardError, ConfigError
from firmware.tools.device.link import Board

# A JSON value of config.json (str, int, bool, or an object of them).
JsonValue = str | int | float | bool | None | dict[str, Any] | list[Any]
MASK = "***"  # what a password is shown as

_READ = """
import json
try:
    with open('config.json') as _f:
        _t = _f.read()
    try:
        print('LCP ' + json.dumps({'config': json.loads(_t)}))
    except ValueError as _e:
        print('LCP ' + json.dumps({'error': 'not JSON: %s' % _e}))
except OSError:
    print('LCP ' + json.dumps({'config': {}}))
"""


def read(board: Board) -> dict[str, Any]:
    """The board's ``config.json`` as written (``{}`` when it has none)."""
    reply = board.call(_READ)
    if "error" in reply:
        raise ConfigError(
            f"the board's config.json is {reply['error']}; write a new one with provision --config"
        )
    cfg = reply.get("config")
    if not isinstance(cfg, dict):
        raise BoardError(f"the board's config.json holds {type(cfg).__name__}, not an object")
    return cfg


def parse_value(text: str) -> JsonValue:
    """A command-line value: JSON when it is JSON (``1883``, ``true``, ``"x"``), else the text itself."""
    try:
        value: JsonValue = json.loads(text)
        return value
    except ValueError:
        return text


def _lookup(tree: dict[str, Any], key: str) -> tuple[bool, Any]:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def mask(value: JsonValue, key: str = "") -> JsonValue:
    """``value`` with every password replaced by ``***`` (an empty one stays empty)."""
    if isinstance(value, dict):
        return {k: mask(v, f"{key}.{k}" if key else k) for k, v in value.items()}
    if key.rsplit(".", 1)[-1] == "password" and value:
        return MASK
    return value


def get(cfg: dict[str, Any], key: str | None, show_secrets: bool = False) -> dict[str, Any]:
    """The value of ``key`` (or the whole file) and whether it is the firmware's default."""
    if key is None:
        return {"config": cfg if show_secrets else mask(cfg)}
    given, value = _lookup(cfg, key)
    if not given:
        known, value = _lookup(device_config.DEFAULTS, key)
        if not known:
            raise ConfigError(f"unknown config key {key!r} (docs/firmware.md lists them)")
    shown = value if show_secrets else mask(value, key)
    return {"key": key, "value": shown, "default": not given}


def set_value(board: Board, key: str, value: JsonValue) -> dict[str, Any]:
    """Change one key of the board's configuration; the board checks the result before storing it."""
    if _lookup(device_config.DEFAULTS, key)[0] is False:
        raise ConfigError(f"unknown config key {key!r} (docs/firmware.md lists them)")
    cfg = provisioning.apply_overrides(read(board), {key: value})
    provisioning.write_config(board, cfg)
    return {"key": key, "value": mask(value, key), "written": "config.json"}
