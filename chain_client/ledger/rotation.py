"""The rotated-key rule, shared by the gateway, the ledger and the auditor (docs/protocol.md).

A device key that was rotated out still vouches for what it signed before the
rotation, since a sensor drains its flash buffer after a rotation; but only a
synchronised clock can prove "before", so an unsynchronised message, or one
stamped at or after the rotation, is refused as ``revoked_device``.
"""

from __future__ import annotations

from chain_client.payload import Birth, Reading


def signed_before_rotation(body: Reading | Birth, rotated_at: int) -> bool:
    """Whether a key rotated out at ``rotated_at`` (Unix seconds) still vouches for ``body``."""
    return body.time_synced and body.time < rotated_at
