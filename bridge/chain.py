"""The chain as the bridge sees it through web3.py: its account, contracts, sending and confirmations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, TransactionNotFound, Web3Exception

from bridge.errors import BridgeError
from chain_client.evm import artifact

# Errors of a node that is down or misbehaving: the bridge waits and tries again.
NODE_ERRORS = (OSError, Web3Exception, ValueError)


@dataclass(frozen=True)
class Sent:
    """A transaction the bridge sent."""

    tx_hash: bytes
    what: str


class Chain:
    """One EVM node, one sending account, the Lease Chain contracts."""

    def __init__(self, rpc_url: str, key: bytes, chain_id: int, *, timeout: float = 10.0) -> None:
        self.w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
        self.account: LocalAccount = Account.from_key(key)
        self.chain_id = chain_id

    @property
    def address(self) -> str:
        """The sending account's address (checksummed)."""
        return str(self.account.address)

    def check_chain_id(self) -> None:
        """Refuse to act on another chain than configured: a key is valid on every chain."""
        found = self.w3.eth.chain_id
        if found != self.chain_id:
            raise BridgeError(
                f"the node at the RPC URL serves chain {found}, the bridge is set for {self.chain_id}"
            )

    def contract(self, name: str, address: str) -> Contract:
        """The deployed contract ``name`` at ``address``."""
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact(name).abi)

    def head(self) -> int:
        """The newest block number."""
        return int(self.w3.eth.block_number)

    def in_flight(self) -> bool:
        """Whether the account has sent transactions the node has not mined yet."""
        pending = self.w3.eth.get_transaction_count(self.account.address, "pending")
        mined = self.w3.eth.get_transaction_count(self.account.address, "latest")
        return pending > mined

    def send(self, call: ContractFunction, what: str) -> Sent:
        """Sign and send ``call``; a call the contract would refuse raises :class:`BridgeError`."""
        try:
            tx = call.build_transaction(
                {
                    "from": self.account.address,
                    "chainId": self.chain_id,
                    "nonce": self.w3.eth.get_transaction_count(self.account.address, "pending"),
                }
            )
        except (ContractLogicError, ContractCustomError) as exc:
            raise BridgeError(f"the contract refuses {what}: {exc}") from None
        signed = self.account.sign_transaction(dict(tx))  # type: ignore[arg-type]
        return Sent(bytes(self.w3.eth.send_raw_transaction(signed.raw_transaction)), what)

    def confirmed_receipt(self, tx_hash: bytes, confirmations: int) -> dict[str, Any] | None:
        """The receipt once its block has ``confirmations`` blocks on top (itself included), else None."""
        try:
            receipt = self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return None
        if receipt["blockNumber"] + confirmations - 1 > self.head():
            return None
        return dict(receipt)

    def deploy(self, name: str, *args: Any) -> tuple[str, int]:  # noqa: ANN401 - constructor arguments
        """Deploy contract ``name``; its address and block once mined."""
        built = artifact(name)
        factory = self.w3.eth.contract(abi=built.abi, bytecode=built.bytecode)
        sent = self.send(factory.constructor(*args), f"deploying {name}")  # type: ignore[arg-type]
        receipt = self.w3.eth.wait_for_transaction_receipt(sent.tx_hash)  # type: ignore[arg-type]
        if receipt["status"] != 1:
            raise BridgeError(f"deploying {name} failed in transaction 0x{sent.tx_hash.hex()}")
        return str(receipt["contractAddress"]), int(receipt["blockNumber"])

    def transact(self, call: ContractFunction, what: str) -> dict[str, Any]:
        """Send ``call`` and wait for its receipt; :class:`BridgeError` if it reverted."""
        sent = self.send(call, what)
        receipt = self.w3.eth.wait_for_transaction_receipt(sent.tx_hash)  # type: ignore[arg-type]
        if receipt["status"] != 1:
            raise BridgeError(f"{what} reverted in transaction 0x{sent.tx_hash.hex()}")
        return dict(receipt)
