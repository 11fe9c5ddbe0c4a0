"""Which EVM address stands for a ledger account on the chain (docs/chain.md, 'Accounts')."""

from __future__ import annotations

from collections.abc import Mapping

from eth_utils.crypto import keccak

from chain_client.ledger.schema import EVM_ADDRESS_RE

ZERO = "0x" + "00" * 20
INFO_KEY = "evm_address"


def derived_address(account: str) -> str:
    """The address named after a ledger account: the last 20 bytes of keccak256(public key).

    Nobody holds a key for it: it shows *which* ledger account holds the token, and the ledger,
    not the chain, is where that account acts.
    """
    return "0x" + keccak(bytes.fromhex(account))[12:].hex()


def evm_address(account: str, infos: Mapping[str, Mapping[str, str]]) -> str:
    """The address of ``account``: the ``evm_address`` its enterprise registered, else the derived one.

    The empty account (no user) is the zero address.
    """
    if not account:
        return ZERO
    declared = infos.get(account, {}).get(INFO_KEY, "").lower()
    return declared if EVM_ADDRESS_RE.fullmatch(declared) else derived_address(account)
