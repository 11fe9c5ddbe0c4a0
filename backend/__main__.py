"""``python -m backend``: the same as ``leasechain-backend``."""

import sys

from backend.cli import main

sys.exit(main())
