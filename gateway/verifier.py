"""Stateless verification of one received message (docs/protocol.md, 'Verification').

Checks, in order: size (before any parsing), structure (the codec's
``decode``), topic against kid, registry (unknown or revoked device),
signature over the exact bytes received, and clock skew for synced times.
Signatures are checked many at a time (``check_many``), with the
interpreter lock released for the whole group (chain_client/signatures.py).
The checks that need history (duplicate, replay, hash chain, gaps) run in
the store, inside the transaction that records the message.

Nothing here raises on bad input: every outcome is a value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chain_client import topics
from chain_client.cose import MAX_MESSAGE_SIZE
from chain_client.errors import ProtocolError
from chain_client.ledger.rotation import signed_before_rotation
from chain_client.message import Message, decode
from chain_client.payload import Birth, Reading
from chain_client.reasons import Reason
from chain_client.signatures import verify_many
from gateway.quarantine import Original
from gateway.registry import Device, Registry


@dataclass(frozen=True)
class Accepted:
    """A message that passed every stateless check."""

    message: Message


@dataclass(frozen=True)
class Rejected:
    """A message to quarantine, with the rule it broke.

    ``original`` is set when the input already cut the message's bytes (a
    large MQTT message): it has the whole message's size and digest.
    """

    reason: Reason
    detail: str
    device: bytes | None = None
    original: Original | None = None


Verdict = Accepted | Rejected


@dataclass(frozen=True, slots=True)
class _Screened:
    """A message that passed every check before the signature, with its registry entry."""

    message: Message
    device: Device


@dataclass(frozen=True)
class Limits:
    """Clock limits, in seconds."""

    max_future: int = 300
    max_age: int = 7 * 24 * 3600


class Verifier:
    """Verifies messages against a live :class:`Registry`; safe to call from several threads."""

    def __init__(self, registry: Registry, limits: Limits | None = None) -> None:
        self.registry = registry
        self.limits = limits or Limits()

    def check(self, raw: bytes, topic: str | None, received_at: float) -> Verdict:
        """Verify one message received at ``received_at`` (Unix seconds) on ``topic``.

        ``topic`` is ``None`` for messages that came over a serial line.
        """
        return self.check_many([(raw, topic, received_at)])[0]

    def check_many(self, items: Sequence[tuple[bytes, str | None, float]]) -> list[Verdict]:
        """Verify (raw, topic, received_at) items; the same verdicts as :meth:`check` one by one.

        The signatures of all items are checked in one call of
        :func:`chain_client.signatures.verify_many`, which releases the
        interpreter lock for the whole list.
        """
        screened = [self._screen(raw, topic) for raw, topic, _ in items]
        waiting = [s for s in screened if isinstance(s, _Screened)]
        valid = iter(
            verify_many(
                [
                    (s.device.public_key, s.message.envelope.signature, s.message.envelope.to_be_signed())
                    for s in waiting
                ]
            )
        )
        return [
            self._conclude(s, next(valid), received_at) if isinstance(s, _Screened) else s
            for s, (_, _, received_at) in zip(screened, items, strict=True)
        ]

    def _screen(self, raw: bytes, topic: str | None) -> _Screened | Rejected:
        """Every check that comes before the signature."""
        if len(raw) > MAX_MESSAGE_SIZE:
            return Rejected(Reason.OVERSIZE, f"message is {len(raw)} bytes, limit is {MAX_MESSAGE_SIZE}")
        try:
            message = decode(raw)
        except ProtocolError as exc:
            return Rejected(exc.reason, exc.detail)
        kid = message.device_id
        if topic is not None:
            rejected = self._check_topic(message, topic)
            if rejected is not None:
                return rejected
        device = self.registry.get(kid)
        if device is None:
            return Rejected(Reason.UNKNOWN_DEVICE, f"device {kid.hex()} is not enrolled", kid)
        if device.revoked:
            return Rejected(Reason.REVOKED_DEVICE, f"device {kid.hex()} is revoked", kid)
        if isinstance(message.body, Birth) and message.body.public_key != device.public_key:
            return Rejected(Reason.KID_MISMATCH, f"birth of {kid.hex()} carries another public key", kid)
        return _Screened(message, device)

    def _conclude(self, screened: _Screened, signature_ok: bool, received_at: float) -> Verdict:
        """The signature's outcome, then the checks that only a signed message deserves."""
        message, device = screened.message, screened.device
        kid = message.device_id
        if not signature_ok:
            return Rejected(Reason.BAD_SIGNATURE, f"signature does not verify for device {kid.hex()}", kid)
        body = message.body
        rotated_at = device.rotated_at if device.state == "rotated" else None
        if rotated_at is not None and not signed_before_rotation(body, rotated_at):
            return Rejected(
                Reason.REVOKED_DEVICE,
                f"key of device {kid.hex()} was rotated out at {rotated_at}; message not provably older",
                kid,
            )
        if body.time_synced:
            if body.time > received_at + self.limits.max_future:
                return Rejected(
                    Reason.CLOCK_SKEW,
                    f"time {body.time} is {body.time - received_at:.0f} s ahead of the gateway clock "
                    f"(limit {self.limits.max_future} s)",
                    kid,
                )
            if body.time < received_at - self.limits.max_age:
                return Rejected(
                    Reason.CLOCK_SKEW,
                    f"time {body.time} is {received_at - body.time:.0f} s old "
                    f"(limit {self.limits.max_age} s)",
                    kid,
                )
        return Accepted(message)

    @staticmethod
    def _check_topic(message: Message, topic: str) -> Rejected | None:
        kid = message.device_id
        try:
            device, kind = topics.parse(topic)
        except ProtocolError as exc:
            return Rejected(Reason.TOPIC_MISMATCH, exc.detail, kid)
        if device != kid:
            return Rejected(
                Reason.TOPIC_MISMATCH, f"topic names device {device.hex()} but kid is {kid.hex()}", kid
            )
        expected = Reading if kind == "data" else Birth
        if not isinstance(message.body, expected):
            return Rejected(
                Reason.TOPIC_MISMATCH,
                f"a {type(message.body).__name__.lower()} arrived on a '{kind}' topic",
                kid,
            )
        return None
