"""Whether an anchored device message counts as a verified reading (docs/ledger.md, 'Telemetry anchoring').

The one copy of the ledger's verdict rule, used by the backend when it accepts
a batch, by the offline auditor (``leasechain audit verify``) and by the
credit book recomputed from the log.  A message is judged on its own, from
its exact bytes, against the keys as they stood before its batch; the first
rule it breaks names its verdict:

1. it decodes (else the protocol's reason: ``bad_cbor``, ``non_canonical``, ...);
2. its device has a bound key (``unknown_device``);
3. that key is not revoked (``revoked_device``);
4. a rotated key vouches only for what its synchronised clock places before
   the rotation (``revoked_device``, :mod:`chain_client.ledger.rotation`);
5. its COSE Ed25519 signature verifies under the key (``bad_signature``).

The order matters only for which reason a message that breaks several rules
is given; it is the order the ledger stores, so the auditor and the credit
replay reach the ledger's words exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from chain_client.canonical_reading import CanonicalReading, canonical_reading
from chain_client.errors import ProtocolError
from chain_client.ledger.rotation import signed_before_rotation
from chain_client.message import Message, check_outcome, check_signature, decode
from chain_client.payload import Reading
from chain_client.reasons import Reason
from chain_client.signatures import verify_many


class Key(NamedTuple):
    """A device key as it stood before a batch: what the verdict needs of its binding."""

    public_key: bytes
    status: str  # active | rotated | revoked
    ended_at: int  # ledger time of the rotation or revocation; 0 while active


class Verdict(NamedTuple):
    """The judgement of one message; ``reason`` is empty when it verified.

    The message's identity and meter fields are filled whenever it decodes,
    whatever the verdict, since the ledger stores them for every message.
    """

    reason: str
    device: str = ""
    kind: str = ""  # reading | birth
    boot: int = 0
    seq: int = 0
    time: int = 0
    synced: bool = False
    run_seconds: int = 0


def read(raw: bytes) -> Message | ProtocolError:
    """The decoded message, or the protocol error that refuses it (rule 1)."""
    try:
        return decode(raw)
    except ProtocolError as exc:
        return exc


def key_refusal(message: Message, key: Key | None) -> str:
    """The reason ``key`` (None: no binding) cannot vouch for ``message`` (rules 2 to 4); ``""`` if it can."""
    if key is None:
        return Reason.UNKNOWN_DEVICE.value
    if key.status == "revoked":
        return Reason.REVOKED_DEVICE.value
    if key.status == "rotated" and not signed_before_rotation(message.body, key.ended_at):
        return Reason.REVOKED_DEVICE.value
    return ""


def refusal(message: Message, key: Key | None, signature_ok: bool | None = None) -> str:
    """Why the ledger refuses a decoded message under ``key`` (before the batch); ``""`` if it verified.

    ``signature_ok`` is the outcome of the Ed25519 check when it has been made
    already (:func:`chain_client.signatures.verify_many`); the device id is
    checked against the key either way.
    """
    reason = key_refusal(message, key)
    if reason or key is None:
        return reason
    try:
        check_signature(message, key.public_key, signature_ok)
    except ProtocolError as exc:
        return exc.reason.value
    return ""


def _verdict(reason: str, message: Message) -> Verdict:
    body = message.body
    device = message.device_id.hex()
    if isinstance(body, Reading):
        return Verdict(
            reason, device, "reading", body.boot, body.seq, body.time, body.time_synced, body.run_seconds
        )
    return Verdict(reason, device, "birth", body.boot, 0, body.time, body.time_synced, 0)


class _Canonical(NamedTuple):
    """A reading read by :func:`canonical_reading` whose device's key is active (rules 1 to 4 pass)."""

    reading: CanonicalReading
    device: str  # hex
    key: Key

    def verdict(self, signature_ok: bool) -> Verdict:
        """Rule 5, as :func:`refusal` applies it."""
        try:
            check_outcome(self.reading.kid, self.key.public_key, signature_ok)
            reason = ""
        except ProtocolError as exc:
            reason = exc.reason.value
        r = self.reading
        return Verdict(reason, self.device, "reading", r.boot, r.seq, r.time, r.synced, r.run_seconds)


def _read_many(
    messages: Sequence[bytes], keys: Mapping[str, Key]
) -> list[tuple[Message | ProtocolError | _Canonical, Key | None]]:
    """Each message read (rule 1) with the key its device had: a reading of an active key read by
    :func:`canonical_reading`, anything else by the general decoder."""
    out: list[tuple[Message | ProtocolError | _Canonical, Key | None]] = []
    for raw in messages:
        fast = canonical_reading(raw)
        if fast is not None:
            device = fast.kid.hex()
            key = keys.get(device)
            if key is not None and key.status == "active":
                out.append((_Canonical(fast, device, key), key))
                continue
        message = read(raw)
        out.append((message, keys.get(message.device_id.hex()) if isinstance(message, Message) else None))
    return out


def judge_many(messages: Sequence[bytes], keys: Mapping[str, Key]) -> list[Verdict]:
    """The verdicts of ``messages``, in order, under ``keys`` (by device id, hex) as before the batch.

    A conforming device's reading is read by :func:`canonical_reading` (the
    same acceptance and values as the general decoder, in less time); the
    signatures still in question are checked in one call of
    :func:`chain_client.signatures.verify_many` (libsodium, without the
    interpreter lock); the verdicts are those of :func:`judge` one by one.
    """
    read_ = _read_many(messages, keys)
    waiting: dict[int, tuple[bytes, bytes, bytes]] = {}
    for i, (message, key) in enumerate(read_):
        if key is None:
            continue
        if isinstance(message, _Canonical):
            waiting[i] = (key.public_key, message.reading.signature, message.reading.to_be_signed)
        elif isinstance(message, Message) and not key_refusal(message, key):
            envelope = message.envelope
            waiting[i] = (key.public_key, envelope.signature, envelope.to_be_signed())
    checked = dict(zip(waiting, verify_many(list(waiting.values())), strict=True))
    verdicts: list[Verdict] = []
    for i, (message, key) in enumerate(read_):
        if isinstance(message, ProtocolError):
            verdicts.append(Verdict(message.reason.value))
        elif isinstance(message, _Canonical):
            verdicts.append(message.verdict(checked[i]))
        else:
            verdicts.append(_verdict(refusal(message, key, checked.get(i)), message))
    return verdicts


def judge(raw: bytes, keys: Mapping[str, Key]) -> Verdict:
    """The verdict of one message under ``keys`` (by device id, hex) as they stood before its batch."""
    message = read(raw)
    if isinstance(message, ProtocolError):
        return Verdict(message.reason.value)
    return judge_message(message, keys)


def judge_message(message: Message, keys: Mapping[str, Key]) -> Verdict:
    """:func:`judge` of a message already decoded (rules 2 on)."""
    return _verdict(refusal(message, keys.get(message.device_id.hex())), message)
