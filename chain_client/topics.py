"""MQTT topic layout of docs/protocol.md.

``leasechain/v1/dev/<device-id-hex>/<kind>`` with kind ``data``, ``birth`` or
``status``.  The device id is in the topic so that broker ACLs can pin each
device's credentials to its own topics.
"""

from __future__ import annotations

from typing import Literal

from chain_client.device import device_id_text, parse_device_id
from chain_client.errors import ProtocolError
from chain_client.reasons import Reason

PREFIX = "leasechain/v1/dev"
Kind = Literal["data", "birth", "status"]
KINDS: tuple[Kind, ...] = ("data", "birth", "status")
QOS = 1


def topic(device: bytes, kind: Kind) -> str:
    """Topic on which ``device`` publishes messages of ``kind``."""
    return f"{PREFIX}/{device_id_text(device)}/{kind}"


def subscription(kind: Kind, share_group: str | None = None) -> str:
    """Wildcard filter for every device's ``kind``; with a shared-subscription group if given."""
    pattern = f"{PREFIX}/+/{kind}"
    return f"$share/{share_group}/{pattern}" if share_group else pattern


def parse(name: str) -> tuple[bytes, Kind]:
    """Split a topic into device id and kind; raise :class:`ProtocolError` if it is not ours."""
    parts = name.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != PREFIX or parts[4] not in KINDS:
        raise ProtocolError(
            Reason.TOPIC_MISMATCH, f"topic {name!r} is not {PREFIX}/<device>/(data|birth|status)"
        )
    kind: Kind = parts[4]
    try:
        device = parse_device_id(parts[3])
    except ProtocolError as exc:
        raise ProtocolError(Reason.TOPIC_MISMATCH, f"topic {name!r}: {exc.detail}") from None
    return device, kind
