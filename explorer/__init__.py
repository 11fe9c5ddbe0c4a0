"""The ledger explorer: server-rendered pages over the ledger's HTTP API (docs/explorer.md).

It reads the ledger only through the SDK (``chain_client.client.LedgerClient``), never the
backend's internals, and checks nothing on the server's word: an entry's inclusion proof and
the signed tree head are verified by the page's own JavaScript (``static/verify.js``).
The application is ``explorer.app.create_app(ledger_url)``; this package imports nothing, so
``leasechain-explorer`` can say which extra is missing when Jinja2 is not installed.
"""
