# Runs after boot.py: start the Lease Chain sensor (firmware/leasechain/board.py).
# lcboot chooses the copy of the app that runs (the one in /lib, or an update in
# /app/<version>) before anything imports it.
import sys

import lcboot

slot = lcboot.select()
del sys.modules["lcboot"]  # off the heap until the updater (or a crash below) needs it
del lcboot
try:
    from leasechain import board

    board.main(slot=slot)
except Exception as exc:
    import lcboot

    if lcboot.crashed(slot, exc):
        # A version in trial that crashes restarts the board, so the next boot counts
        # towards its rollback instead of leaving it at the REPL.
        import machine

        machine.reset()
    raise
