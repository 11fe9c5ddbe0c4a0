"""What the technician's tool (``leasechain-device``) calls on the board over the REPL.

Every call prints one reply line, ``LCP `` followed by a JSON object, which
the host reads back; a failure the technician can act on is a reply with an
``error`` key, never a traceback.  No reply ever holds the key's seed: ``key``
answers with the public key, ``prove`` with a signature over the host's
challenge.  The seed is created here, from the board's RNG, and stays in the
board's flash (identity.py).
"""

import gc
import json
import sys

from . import VERSION, config, identity
from .clock import SystemClock
from .const import const
from .store import FileStore

# Domain separation: a proof signature can never be taken for a reading's
# (those sign a CBOR Sig_structure, first byte 0x84) or a ledger transaction's.
PROOF_CONTEXT = b"LeaseChain device proof v1\x00"
CHALLENGE_SIZE = const(32)
_REPLY = "LCP "


def _reply(obj):
    print(_REPLY + json.dumps(obj))


def _error(kind, detail):
    _reply({"error": kind, "detail": detail})


def _hex(data):
    return "".join("%02x" % b for b in data)


def _unhex(text):
    if len(text) % 2:
        raise ValueError("odd length")
    return bytes(int(text[i : i + 2], 16) for i in range(0, len(text), 2))


def _config():
    """(configuration or None, error text or None)."""
    try:
        return config.load(), None
    except config.ConfigError as exc:
        return None, str(exc)


def _store():
    cfg, _ = _config()
    return FileStore((cfg or config.DEFAULTS)["data_dir"])


def _has_key(store):
    return store.read(identity.KEY_FILE) is not None


def info():
    """Reply with firmware and interpreter versions, clock, config and key state."""
    cfg, problem = _config()
    impl = sys.implementation
    store = _store()
    gc.collect()
    _reply(
        {
            "firmware": VERSION,
            "micropython": ".".join(str(v) for v in impl.version[:3]),
            "machine": getattr(impl, "_machine", sys.platform),
            "platform": sys.platform,
            "time": SystemClock().time(),
            "config": cfg is not None,
            "config_error": problem,
            "site": cfg["site"] if cfg else "",
            "transport": cfg["transport"] if cfg else "",
            # Where the board will connect; passwords stay on the board.
            "mqtt_host": cfg["mqtt"]["host"] if cfg else "",
            "mqtt_port": cfg["mqtt"]["port"] if cfg else 0,
            "mqtt_user": cfg["mqtt"]["user"] if cfg else "",
            "wifi_ssid": cfg["wifi"]["ssid"] if cfg else "",
            "key": _has_key(store),
            "mem_free": gc.mem_free() if hasattr(gc, "mem_free") else 0,
        }
    )


def configure(text):
    """Check ``text`` with the firmware's own rules, then replace config.json atomically."""
    try:
        cfg = config.parse(text)
    except config.ConfigError as exc:
        _error("config", str(exc))
        return
    FileStore("").write(config.CONFIG_FILE, text.encode())
    _reply({"written": config.CONFIG_FILE, "data_dir": cfg["data_dir"], "transport": cfg["transport"]})


def key():
    """Create the device key if the board has none; reply with its public half."""
    store = _store()
    try:
        signer, created = identity.load_or_create(store)
    except identity.IdentityError as exc:
        _error("identity", str(exc))
        return
    public = bytes(signer.public_key)
    _reply(
        {
            "public_key": _hex(public),
            "device": identity.device_hex(identity.device_id(public)),
            "created": created,
        }
    )


def public():
    """Reply with the public key, or a ``no_key`` error; never creates a key."""
    store = _store()
    if not _has_key(store):
        _error("no_key", "the board has no device key yet")
        return
    try:
        signer, _ = identity.load_or_create(store)
    except identity.IdentityError as exc:
        _error("identity", str(exc))
        return
    public = bytes(signer.public_key)
    _reply({"public_key": _hex(public), "device": identity.device_hex(identity.device_id(public))})


def prove(challenge_hex):
    """Sign PROOF_CONTEXT || challenge with the device key (never creating one here)."""
    try:
        challenge = _unhex(challenge_hex)
    except ValueError:
        _error("challenge", "challenge %r is not hex" % (challenge_hex,))
        return
    if len(challenge) != CHALLENGE_SIZE:
        _error("challenge", "challenge is %d bytes, expected %d" % (len(challenge), CHALLENGE_SIZE))
        return
    store = _store()
    if not _has_key(store):
        _error("no_key", "the board has no device key yet")
        return
    try:
        signer, _ = identity.load_or_create(store)
    except identity.IdentityError as exc:
        _error("identity", str(exc))
        return
    public = bytes(signer.public_key)
    _reply(
        {
            "public_key": _hex(public),
            "device": identity.device_hex(identity.device_id(public)),
            "signature": _hex(signer.sign(PROOF_CONTEXT + challenge)),
            "time": SystemClock().time(),
        }
    )


def set_clock(unix):
    """Set the RTC to ``unix`` seconds (UTC); reply with the time the board now reads."""
    import time

    import machine

    clock = SystemClock()
    # The port's epoch may be 2000 (ESP32): gmtime takes the port's seconds.
    t = time.gmtime(unix - clock._offset)
    machine.RTC().datetime((t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0))
    _reply({"time": clock.time()})


def wifi(timeout_s=15):
    """Join the configured network (if not joined) and reply whether the station is connected."""
    try:
        import network
    except ImportError:
        _reply({"wifi": "unavailable", "detail": "this board has no network module"})
        return
    import time

    cfg, problem = _config()
    if cfg is None:
        _error("config", problem)
        return
    ssid = cfg["wifi"]["ssid"]
    password = cfg["wifi"]["password"]

    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    if not wlan.isconnected():
        wlan.connect(ssid, password)
        deadline = time.time() + timeout_s
        while not wlan.isconnected() and time.time() < deadline:
            time.sleep(0.2)
    if wlan.isconnected():
        _reply({"wifi": "connected", "ifconfig": list(wlan.ifconfig())})
    else:
        _reply({"wifi": "failed", "detail": "not connected to %r after %d s" % (ssid, timeout_s)})


def reach(timeout_s=5):
    """Open a TCP connection from the board to the configured broker; reply whether it worked."""
    try:
        import socket
    except ImportError:
        _reply({"reach": "unavailable", "detail": "this board has no socket module"})
        return
    cfg, problem = _config()
    if cfg is None:
        _error("config", problem)
        return
    host = cfg["mqtt"]["host"]
    port = cfg["mqtt"]["port"]
    sock = None
    try:
        addr = socket.getaddrinfo(host, port)[0][-1]
        sock = socket.socket()
        sock.settimeout(timeout_s)
        sock.connect(addr)
        _reply({"reach": "ok"})
    except OSError as exc:
        _reply({"reach": "failed", "detail": "%s:%d: %r" % (host, port, exc)})
    finally:
        if sock is not None:
            sock.close()
