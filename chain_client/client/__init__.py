"""The ledger client SDK: typed models, sync and async HTTP clients, signing, keystore.

Quick start::

    from chain_client.client import Keystore, LedgerClient, passphrase

    key = Keystore().unlock("maker", passphrase())
    with LedgerClient("http://127.0.0.1:8080", key) as client:
        token = client.mint_token("SN-1", "CNC-5", price=100_000, salvage_value=10_000,
                                  shares=100, share_price=10).token
        client.bind_device(token, device_public_key)

See docs/sdk.md for the whole API.
"""

from chain_client.client import models
from chain_client.client.aio import AsyncLedgerClient
from chain_client.client.errors import (
    BadResponseError,
    ClientError,
    KeystoreError,
    LedgerHTTPError,
    NotFoundError,
    RejectedError,
    UnreachableError,
)
from chain_client.client.keystore import KeyInfo, Keystore, passphrase
from chain_client.client.models import TxResult
from chain_client.client.sync import LedgerClient
from chain_client.client.transactions import SignedTx, TxBuilder, new_tx_id
from chain_client.ledger.ids import invoice_id, lease_id, token_id

__all__ = [
    "AsyncLedgerClient",
    "BadResponseError",
    "ClientError",
    "KeyInfo",
    "Keystore",
    "KeystoreError",
    "LedgerClient",
    "LedgerHTTPError",
    "NotFoundError",
    "RejectedError",
    "SignedTx",
    "TxBuilder",
    "TxResult",
    "UnreachableError",
    "invoice_id",
    "lease_id",
    "models",
    "new_tx_id",
    "passphrase",
    "token_id",
]
