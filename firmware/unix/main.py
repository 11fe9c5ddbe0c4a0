# Start the sensor on MicroPython's unix port (unixboard.py):
#     micropython -X heapsize=110K firmware/unix/main.py --flash DIR [--readings N] [--period-ms MS]
# Exit status: 0 done, 3 stopped (the ESP32's error blink), 4 restart (an update was
# installed or rolled back: the ESP32 resets itself), 1 the app crashed.
import os
import sys


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


opts = _args(sys.argv[1:])
del _args  # read once: its code is not kept while the sensor runs
os.chdir(opts["flash"])

import lcboot  # the flash directory first: slot.json is relative to it

# Which copy of leasechain runs (an update in trial is counted here), before it is imported;
# then off the heap again (the updater imports it when updates are on).
slot = lcboot.select()
del sys.modules["lcboot"]
del lcboot

import unixboard

try:
    status = unixboard.main(".", opts["readings"], opts["period_ms"], slot)
except Exception as exc:  # a crash in trial counts towards rollback; the board restarts
    import lcboot

    lcboot.crashed(slot, exc)
    raise
sys.exit(status)
