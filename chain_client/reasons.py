"""Named verdicts of message verification (docs/protocol.md, section 'Verification')."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a message was rejected, or what was noted about an accepted one.

    The string values are stable: they appear in metrics, quarantine rows and
    APIs, so renaming one is a breaking change.
    """

    OVERSIZE = "oversize"
    BAD_CBOR = "bad_cbor"
    NON_CANONICAL = "non_canonical"
    WRONG_TAG = "wrong_tag"
    BAD_STRUCTURE = "bad_structure"
    UNSUPPORTED_ALG = "unsupported_alg"
    BAD_HEADER = "bad_header"
    BAD_PAYLOAD = "bad_payload"
    UNSUPPORTED_VERSION = "unsupported_version"
    KID_MISMATCH = "kid_mismatch"
    TOPIC_MISMATCH = "topic_mismatch"
    UNKNOWN_DEVICE = "unknown_device"
    REVOKED_DEVICE = "revoked_device"
    BAD_SIGNATURE = "bad_signature"
    DUPLICATE = "duplicate"
    REPLAY = "replay"
    BROKEN_CHAIN = "broken_chain"
    CLOCK_SKEW = "clock_skew"
    SEQUENCE_GAP = "sequence_gap"
    BAD_FRAME = "bad_frame"
    BAD_CHECKSUM = "bad_checksum"
