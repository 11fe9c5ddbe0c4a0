"""The link config.json asks for, built once at boot.

Both boards import this module to build their transport and drop it
afterwards (heap.unload), so the running sensor does not carry its code.
"""

from .transport import MqttTransport


def build_transport(cfg, device):
    """The link the configuration asks for (``transport``, ``mqtt``, ``uart`` of config.json)."""
    if cfg["transport"] == "uart":
        from machine import UART

        from .framing import UartTransport

        u = cfg["uart"]
        return UartTransport(UART(u["id"], baudrate=u["baudrate"], tx=u["tx"], rx=u["rx"]))
    m = cfg["mqtt"]
    ssl_context = None
    if m["tls"]:
        import ssl

        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        # micropython-lib's SSLContext starts with CERT_NONE: without this line any
        # certificate would do.  (The stubs omit the attribute.)
        ssl_context.verify_mode = ssl.CERT_REQUIRED  # type: ignore[attr-defined]
        with open(m["ca_file"], "rb") as f:
            ssl_context.load_verify_locations(cadata=f.read())
    site = cfg["site"]
    return MqttTransport(
        (site + "-" if site else "lc-") + device.device_hex,
        m["host"],
        port=m["port"],
        # The broker's ACL pins each device to its own topics by user name (docs/protocol.md section 6).
        user=m["user"] or device.device_hex,
        # umqtt.simple sends a password field whenever a user is set, and fails on None.
        password=m["password"],
        keepalive=m["keepalive_s"],
        timeout_s=m["timeout_s"],
        ssl=ssl_context,
    )
