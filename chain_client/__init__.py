"""Lease Chain SDK: the protocol codec, Merkle proofs and the ledger client (:mod:`chain_client.client`).

Every host-side component goes through this package to encode, decode and
verify device messages and to build or check Merkle proofs.
"""

from chain_client.errors import LeaseChainError, MerkleError, ProtocolError
from chain_client.message import Message, decode, digest, sign, verify, verify_birth
from chain_client.payload import Birth, Reading
from chain_client.reasons import Reason

__all__ = [
    "Birth",
    "LeaseChainError",
    "MerkleError",
    "Message",
    "ProtocolError",
    "Reading",
    "Reason",
    "decode",
    "digest",
    "sign",
    "verify",
    "verify_birth",
]
