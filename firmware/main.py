# Runs after boot.py: start the Lease Chain sensor (firmware/leasechain/board.py).
# lcboot chooses the copy of the app that runs (the one in /lib, or an update in
# /app/<version>) before anything imports it.
import lcboot

slot = lcboot.select()
try:
    from leasechain import board

    board.main(slot=slot)
except Exception as exc:
    if lcboot.crashed(slot, exc):
        # A version in trial that crashes restarts the board, so the next boot counts
        # towards its rollback instead of leaving it at the REPL.
        import machine

        machine.reset()
    raise
