"""``leasechain-bridge``: anchors the ledger's checkpoints and mirrors its machine tokens on an EVM chain.

The bridge keeps no state of its own: what to send next follows from the chain (what is anchored
and mirrored, confirmed or not) and the ledger (its checkpoint, tokens and recorded anchors), so a
restart, a crash or a reorganised chain never makes it anchor twice or skip one (docs/chain.md).
"""

import sys as _sys

# web3.py imports py_ecc, which raises the interpreter's recursion limit to 100,000 at import: deeply
# nested input (a bundle of 200,000 brackets) then overflows the C stack and kills the process
# instead of raising RecursionError.  Importing it here, first, keeps the limit the process had.
_limit = _sys.getrecursionlimit()
import py_ecc  # noqa: E402, F401 - imported for the side effect undone below

_sys.setrecursionlimit(_limit)
