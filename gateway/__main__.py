"""``python -m gateway``: the same as ``leasechain-gateway``."""

from gateway.cli import main

raise SystemExit(main())
