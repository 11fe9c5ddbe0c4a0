"""Enroll a provisioned board on the ledger: ``bind_device`` of its public key to a token.

Everything goes through the SDK (``chain_client.client``): the token is looked
up first, so a wrong token id is a clear "not found" rather than a refused
transaction, and the transaction is signed with the token owner's key from
the keystore.
"""

from __future__ import annotations

import hashlib
import os

from chain_client.client import (
    ClientError,
    Keystore,
    KeystoreError,
    LedgerClient,
    NotFoundError,
    RejectedError,
    UnreachableError,
    passphrase,
)
from nacl.signing import SigningKey

from firmware.tools.device.errors import LedgerError, OwnerKeyError, TokenNotFoundError

URL_ENV = "LEASECHAIN_URL"
KEY_ENV = "LEASECHAIN_KEY"


def signing_key(
    name: str | None, keystore: str | None = None, purpose: str = "enroll signs a bind_device transaction"
) -> SigningKey:
    """The keystore key ``name`` (or $LEASECHAIN_KEY), unlocked with $LEASECHAIN_PASSPHRASE or a prompt."""
    chosen = name or os.environ.get(KEY_ENV, "")
    if not chosen:
        raise OwnerKeyError(f"{purpose}: give --key NAME (or set {KEY_ENV})")
    store = Keystore(keystore)
    try:
        store.info(chosen)  # an unknown name fails before asking for a passphrase
        return store.unlock(chosen, passphrase())
    except KeystoreError as exc:
        raise OwnerKeyError(str(exc)) from None


def enroll(url: str | None, token: str, public_key: bytes, key: SigningKey) -> dict[str, object]:
    """Bind ``public_key`` to ``token``; return the ledger's answer in brief."""
    ledger = url or os.environ.get(URL_ENV, "")
    if not ledger:
        raise LedgerError(f"no ledger: give --ledger URL (or set {URL_ENV})")
    device = hashlib.sha256(public_key).hexdigest()[:32]
    with LedgerClient(ledger, key, retries=1, timeout=15.0) as client:
        try:
            current = client.token(token)
        except NotFoundError:
            raise TokenNotFoundError(f"token {token!r} does not exist on the ledger at {ledger}") from None
        except UnreachableError as exc:
            raise LedgerError(f"the ledger at {ledger} is unreachable: {exc}") from None
        except ClientError as exc:
            raise LedgerError(f"the ledger at {ledger} cannot look up token {token!r}: {exc}") from None
        owner = bytes(key.verify_key).hex()
        if current.owner != owner:
            raise LedgerError(
                f"token {token!r} is owned by {current.owner}, not by the key given ({owner}); "
                "enroll with the owner's key"
            )
        for binding in current.devices:
            if binding.device == device and binding.status == "active":
                return {"device": device, "token": token, "index": None, "status": "already_bound"}
        try:
            result = client.bind_device(token, public_key)
        except RejectedError as exc:
            raise LedgerError(f"the ledger refused to bind device {device} to {token!r}: {exc}") from None
        except ClientError as exc:
            raise LedgerError(f"binding device {device} to {token!r} failed: {exc}") from None
    return {"device": device, "token": token, "index": result.index, "status": result.status}
