"""Reading Lease Chain's contracts on an EVM chain with nothing but JSON-RPC (docs/chain.md).

The auditor and ``leasechain chain status`` use this; the bridge (``bridge/``) writes through
web3.py.  Both take the ABI and bytecode from the committed artifacts in ``artifacts/``.
"""

from chain_client.evm.anchors import OnChainAnchor, anchor_at, latest_anchor, writer_of
from chain_client.evm.artifacts import Artifact, artifact
from chain_client.evm.chains import chain_name
from chain_client.evm.errors import ChainError
from chain_client.evm.rpc import Rpc

__all__ = [
    "Artifact",
    "ChainError",
    "OnChainAnchor",
    "Rpc",
    "anchor_at",
    "artifact",
    "chain_name",
    "latest_anchor",
    "writer_of",
]
