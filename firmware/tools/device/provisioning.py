"""Provision a board: write its configuration, have it make its key, and prove it holds the key.

The key pair is generated on the board (``leasechain.provision.key``); the
host only ever sees the public key and signatures.  Possession is checked by
challenge-response: the host draws 32 fresh random bytes, the board signs
``PROOF_CONTEXT || challenge``, and the host verifies that signature with
libsodium against the public key the board reported.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from firmware.tools.device.deploy import FIRMWARE_DIR, firmware_version
from firmware.tools.device.errors import (
    BoardError,
    ClockNotSetError,
    ConfigError,
    FirmwareError,
    VerificationError,
)
from firmware.tools.device.link import Board

PROOF_CONTEXT = b"LeaseChain device proof v1\x00"
CHALLENGE_SIZE = 32
# A board whose clock reads before this has never been set (ESP32 RTCs start at 2000-01-01).
CLOCK_FLOOR = 1_704_067_200  # 2024-01-01T00:00:00Z
MAX_CLOCK_SKEW_S = 300  # the gateway's limit for synchronised readings (docs/protocol.md section 8)


@dataclass(frozen=True)
class Proof:
    """A verified proof of possession: the board signed our fresh challenge with this key."""

    device: str
    public_key: str
    challenge: str
    signature: str
    board_time: int

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (this is the provisioning record ``enroll --record`` reads)."""
        return {
            "device": self.device,
            "public_key": self.public_key,
            "challenge": self.challenge,
            "signature": self.signature,
            "board_time": self.board_time,
        }


def board_info(board: Board, source: Path = FIRMWARE_DIR) -> dict[str, Any]:
    """The board's info reply, after checking it runs the firmware version this tool deploys."""
    info = board.firmware("info")
    expected = firmware_version(source)
    if info.get("firmware") != expected:
        raise FirmwareError(
            f"the board on {board.port!r} runs firmware {info.get('firmware')!r}, this tool deploys "
            f"{expected!r}; run `leasechain-device flash`"
        )
    return info


def check_clock(board_time: int, now: float | None = None) -> None:
    """ClockNotSetError unless ``board_time`` is set and within MAX_CLOCK_SKEW_S of the host's clock."""
    host = int(now if now is not None else time.time())
    if board_time < CLOCK_FLOOR:
        raise ClockNotSetError(
            f"the board's clock is not set (it reads {_utc(board_time)}); run provision with --set-clock, "
            "or let the firmware synchronise over NTP"
        )
    if abs(board_time - host) > MAX_CLOCK_SKEW_S:
        raise ClockNotSetError(
            f"the board's clock reads {_utc(board_time)}, {board_time - host:+d} s from this computer's "
            f"{_utc(host)}; run provision with --set-clock"
        )


def _utc(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def set_clock(board: Board, now: float | None = None) -> int:
    """Set the board's RTC from this computer's clock; return what the board then reads."""
    try:
        reply = board.firmware("set_clock", int(now if now is not None else time.time()))
    except BoardError as exc:
        raise ClockNotSetError(f"cannot set the board's clock: {exc.message}") from None
    return int(reply["time"])


def load_config(path: Path | None, overrides: dict[str, Any]) -> dict[str, Any] | None:
    """The configuration to write: ``path``'s JSON object with ``overrides`` (dotted keys) applied."""
    cfg: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = json.loads(path.read_text())
        except OSError as exc:
            raise ConfigError(f"cannot read config file {str(path)!r}: {exc.strerror}") from None
        except ValueError as exc:
            raise ConfigError(f"config file {str(path)!r} is not valid JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(
                f"config file {str(path)!r} must hold a JSON object, got {type(loaded).__name__}"
            )
        cfg = loaded
    if path is None and not overrides:
        return None
    return apply_overrides(cfg, overrides)


def apply_overrides(cfg: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``cfg`` with each dotted key of ``overrides`` set (objects created on the way); returns ``cfg``."""
    for dotted, value in overrides.items():
        node = cfg
        *parents, last = dotted.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"config key {part!r} is not an object, cannot set {dotted}")
            node = child
        node[last] = value
    return cfg


def write_config(board: Board, cfg: dict[str, Any]) -> dict[str, Any]:
    """Have the board check ``cfg`` with its own rules and store it; ConfigError names the bad key."""
    reply = board.firmware("configure", json.dumps(cfg, sort_keys=True))
    if reply.get("error") == "config":
        raise ConfigError(f"the board refused the configuration: {reply.get('detail')}")
    if "error" in reply:
        raise BoardError(f"the board could not store the configuration: {reply}")
    return reply


def ensure_key(board: Board) -> dict[str, Any]:
    """Have the board create its key if it has none; return {public_key, device, created}."""
    reply = board.firmware("key", timeout=60)
    if "error" in reply:
        raise BoardError(f"the board's key store is damaged: {reply.get('detail')}; it must be re-keyed")
    _check_identity(reply)
    return reply


def _check_identity(reply: dict[str, Any]) -> bytes:
    try:
        public = bytes.fromhex(str(reply["public_key"]))
    except (KeyError, ValueError):
        raise VerificationError(f"the board sent no valid public key: {reply!r}") from None
    if len(public) != 32:
        raise VerificationError(f"the board's public key is {len(public)} bytes, expected 32")
    if hashlib.sha256(public).hexdigest()[:32] != reply.get("device"):
        raise VerificationError(
            f"device id {reply.get('device')!r} is not SHA-256 of the public key {public.hex()}"
        )
    return public


def prove(board: Board, expected_public_key: str | None = None, challenge: bytes | None = None) -> Proof:
    """Challenge the board to sign fresh random bytes; verify the signature here with libsodium."""
    challenge = challenge if challenge is not None else secrets.token_bytes(CHALLENGE_SIZE)
    reply = board.firmware("prove", challenge.hex(), timeout=60)
    if reply.get("error") == "no_key":
        raise VerificationError("the board has no device key yet; run `leasechain-device provision`")
    if "error" in reply:
        raise VerificationError(f"the board could not sign the challenge: {reply.get('detail')}")
    return verify_proof(reply, challenge, expected_public_key)


def verify_proof(reply: dict[str, Any], challenge: bytes, expected_public_key: str | None = None) -> Proof:
    """Check the board's answer to ``challenge``: id, key and Ed25519 signature (libsodium)."""
    public = _check_identity(reply)
    if expected_public_key is not None and public.hex() != expected_public_key:
        raise VerificationError(
            f"the board signed with key {public.hex()}, not the key {expected_public_key} it reported"
        )
    try:
        signature = bytes.fromhex(str(reply.get("signature", "")))
        VerifyKey(public).verify(PROOF_CONTEXT + challenge, signature)
    except (ValueError, BadSignatureError):
        raise VerificationError(
            f"the board's signature over challenge {challenge.hex()} does not verify for key {public.hex()}"
        ) from None
    return Proof(
        device=str(reply["device"]),
        public_key=public.hex(),
        challenge=challenge.hex(),
        signature=signature.hex(),
        board_time=int(reply.get("time", 0)),
    )
