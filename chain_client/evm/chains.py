"""Names of EVM chains by EIP-155 chain id, for people reading anchors (docs/chain.md, 'Which chains fit')."""

from __future__ import annotations

# The chains docs/chain.md recommends and their public test networks; any other id is shown as a number.
CHAIN_NAMES = {
    1: "Ethereum",
    10: "OP Mainnet",
    8453: "Base",
    42161: "Arbitrum One",
    11155111: "Sepolia (Ethereum test network)",
    11155420: "OP Sepolia (test network)",
    84532: "Base Sepolia (test network)",
    421614: "Arbitrum Sepolia (test network)",
    31337: "local development chain",  # anvil's and Hardhat's default id
}


def chain_name(chain_id: int) -> str:
    """``Base (chain 8453)``; ``chain 12345`` for a chain without a known name."""
    known = CHAIN_NAMES.get(chain_id)
    return f"{known} (chain {chain_id})" if known else f"chain {chain_id}"
