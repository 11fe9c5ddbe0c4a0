"""Signed ledger transactions: canonical encoding, signing and strict decoding.

A signed transaction is the canonical CBOR array ``[body, public_key, signature]``
where ``body`` is the canonical CBOR encoding of the map
``{"v": 2, "ledger": LOG_KEY, "type": TYPE, "id": ID, "args": {...}}`` and
``signature`` is the Ed25519 signature of ``SIGNING_CONTEXT || body`` by
``public_key``.  ``ledger`` is the 32-byte public key of the log the
transaction is meant for, so signed bytes cannot be replayed on another
ledger.  The signer's account is its public key in lowercase hex.  The ledger
stores and hashes the exact bytes received; decoding refuses anything
non-canonical, so one transaction has exactly one encoding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from chain_client import cbor
from chain_client.errors import ProtocolError
from chain_client.ledger.errors import TransactionError
from chain_client.ledger.reasons import TxReason

TX_VERSION = 2
SIGNING_CONTEXT = b"LeaseChain transaction v2\x00"
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
# A log entry (the transaction, its time and a few bytes of CBOR) stays under the 64 KiB that a
# C2SP tlog-tiles entry bundle allows; the largest well-formed transaction (32 text pairs of 200
# characters) takes about 51 KiB.
MAX_TX_SIZE = 63 * 1024
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
BODY_KEYS = frozenset({"v", "ledger", "type", "id", "args"})


@dataclass(frozen=True)
class Transaction:
    """A decoded transaction whose signature has been checked."""

    type: str
    id: str
    args: Mapping[str, Any]
    public_key: bytes
    raw: bytes
    ledger: bytes = b""

    @property
    def signer(self) -> str:
        """The signer's account id: its public key in lowercase hex."""
        return self.public_key.hex()


def account_of(key: SigningKey) -> str:
    """The account id of a signing key (its public key in lowercase hex)."""
    return bytes(key.verify_key).hex()


def _check_ledger(ledger: object) -> bytes:
    if not isinstance(ledger, bytes) or len(ledger) != PUBLIC_KEY_SIZE:
        shown = ledger.hex() if isinstance(ledger, bytes) else repr(ledger)[:80]
        raise TransactionError(
            TxReason.BAD_ENCODING,
            f"transaction ledger is {shown}, expected the log's {PUBLIC_KEY_SIZE}-byte public key (bstr)",
        )
    return ledger


def encode_body(tx_type: str, tx_id: str, args: Mapping[str, Any], ledger: bytes) -> bytes:
    """Canonical CBOR body of a transaction for the ledger whose log key is ``ledger``."""
    if not ID_RE.fullmatch(tx_id):
        raise TransactionError(TxReason.BAD_ID, f"transaction id {tx_id!r} must match {ID_RE.pattern}")
    ledger = _check_ledger(ledger)
    return cbor.dumps({"v": TX_VERSION, "ledger": ledger, "type": tx_type, "id": tx_id, "args": dict(args)})


def sign(tx_type: str, tx_id: str, args: Mapping[str, Any], key: SigningKey, *, ledger: bytes) -> bytes:
    """Build and sign a transaction for the ledger whose log key is ``ledger``; the exact bytes to submit."""
    body = encode_body(tx_type, tx_id, args, ledger)
    signature = key.sign(SIGNING_CONTEXT + body).signature
    return cbor.dumps([body, bytes(key.verify_key), signature])


def _loads(data: bytes, what: str) -> Any:  # noqa: ANN401 - decoded CBOR is untyped until checked
    try:
        return cbor.loads(data, what=what)
    except ProtocolError as exc:
        raise TransactionError(TxReason.BAD_ENCODING, exc.detail) from None


def decode(data: bytes, *, check_signature: bool = True) -> Transaction:
    """Parse a signed transaction strictly and check its signature.

    Raises :class:`TransactionError` with ``bad_encoding``, ``too_large``,
    ``unsupported_version``, ``bad_id`` or ``bad_signature``.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TransactionError(TxReason.BAD_ENCODING, f"transaction is {type(data).__name__}, expected bytes")
    data = bytes(data)
    if len(data) > MAX_TX_SIZE:
        raise TransactionError(
            TxReason.TOO_LARGE, f"transaction is {len(data)} bytes, limit is {MAX_TX_SIZE}"
        )
    envelope = _loads(data, "transaction")
    if not isinstance(envelope, list) or len(envelope) != 3:
        raise TransactionError(
            TxReason.BAD_ENCODING, "transaction must be an array [body, public_key, signature]"
        )
    body, public_key, signature = envelope
    if not isinstance(body, bytes):
        raise TransactionError(TxReason.BAD_ENCODING, "transaction body must be a bstr")
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
        raise TransactionError(TxReason.BAD_ENCODING, f"public key must be a {PUBLIC_KEY_SIZE}-byte bstr")
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        raise TransactionError(TxReason.BAD_ENCODING, f"signature must be a {SIGNATURE_SIZE}-byte bstr")
    fields = _loads(body, "transaction body")
    if not isinstance(fields, dict):
        raise TransactionError(TxReason.BAD_ENCODING, "transaction body must be a map")
    # The version first: a body of another version has other keys, and its sender needs to
    # hear that the version is the problem.
    version = fields.get("v")
    if version != TX_VERSION or isinstance(version, bool):
        raise TransactionError(
            TxReason.UNSUPPORTED_VERSION, f"transaction version {version!r}, this ledger knows {TX_VERSION}"
        )
    if set(fields) != BODY_KEYS:
        raise TransactionError(
            TxReason.BAD_ENCODING,
            f"transaction body keys are {sorted(map(repr, fields))}, expected {sorted(BODY_KEYS)}",
        )
    ledger = _check_ledger(fields["ledger"])
    tx_type, tx_id, args = fields["type"], fields["id"], fields["args"]
    if not isinstance(tx_type, str):
        raise TransactionError(TxReason.BAD_ENCODING, f"transaction type must be text, got {tx_type!r}")
    if not isinstance(tx_id, str) or not ID_RE.fullmatch(tx_id):
        raise TransactionError(TxReason.BAD_ID, f"transaction id {tx_id!r} must match {ID_RE.pattern}")
    if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
        raise TransactionError(TxReason.BAD_ENCODING, "transaction args must be a map with text keys")
    if check_signature:
        try:
            VerifyKey(public_key).verify(SIGNING_CONTEXT + body, signature)
        except BadSignatureError:
            raise TransactionError(
                TxReason.BAD_SIGNATURE,
                f"signature of transaction {tx_id!r} does not verify for {public_key.hex()}",
            ) from None
    return Transaction(type=tx_type, id=tx_id, args=args, public_key=public_key, raw=data, ledger=ledger)
