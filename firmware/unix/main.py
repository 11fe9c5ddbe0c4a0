# Start the sensor on MicroPython's unix port (unixboard.py):
#     micropython -X heapsize=110K firmware/unix/main.py --flash DIR [--readings N] [--period-ms MS]
import gc
import sys

from leasechain import ed25519

# The 24 KB base-point table before anything else: after the other modules are
# compiled the heap has no 24 KB hole left at an ESP32's size.
gc.collect()
ed25519.shared_table()
gc.collect()

import unixboard  # after the table, on purpose


def _args(argv):
    opts = {"flash": ".", "readings": 0, "period_ms": 0}
    i = 0
    while i < len(argv):
        name = argv[i].lstrip("-").replace("-", "_")
        if name not in opts or i + 1 >= len(argv):
            print("usage: main.py --flash DIR [--readings N] [--period-ms MS]")
            sys.exit(2)
        value = argv[i + 1]
        opts[name] = value if name == "flash" else int(value)
        i += 2
    return opts


sys.exit(unixboard.main(**_args(sys.argv[1:])))
