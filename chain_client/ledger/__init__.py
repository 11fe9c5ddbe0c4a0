"""The ledger's shared model: signed transactions, log entries, tree heads, proofs and money rules.

The backend and every client build on the same code, so what a client signs
and checks is exactly what the ledger accepts and serves.
"""

from chain_client.ledger.distribution import Distribution, distribute, largest_remainder
from chain_client.ledger.entry import Entry, decode_entry, encode_entry
from chain_client.ledger.errors import TransactionError, TreeHeadError
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import Role, TokenStatus, TxType
from chain_client.ledger.transaction import Transaction, account_of, decode, sign
from chain_client.ledger.treehead import TreeHead, sign_tree_head, tree_head_from_json, verify_tree_head

__all__ = [
    "Distribution",
    "Entry",
    "Role",
    "TokenStatus",
    "Transaction",
    "TransactionError",
    "TreeHead",
    "TreeHeadError",
    "TxReason",
    "TxType",
    "account_of",
    "decode",
    "decode_entry",
    "distribute",
    "encode_entry",
    "largest_remainder",
    "sign",
    "sign_tree_head",
    "tree_head_from_json",
    "verify_tree_head",
]
