"""The ledger explorer: server-rendered pages over the ledger's HTTP API (docs/explorer.md).

It reads the ledger only through the SDK (``chain_client.client.LedgerClient``), never the
backend's internals, and checks nothing on the server's word: an entry's inclusion proof and
the signed tree head are verified by the page's own JavaScript (``static/verify.js``).
"""

from explorer.app import create_app

__all__ = ["create_app"]
