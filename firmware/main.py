# Runs after boot.py: start the Lease Chain sensor (firmware/leasechain/board.py).
from leasechain import board

board.main()
