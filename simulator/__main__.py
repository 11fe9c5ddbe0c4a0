"""``python -m simulator`` is ``leasechain-sim``."""

import sys

from simulator.cli import main

sys.exit(main())
