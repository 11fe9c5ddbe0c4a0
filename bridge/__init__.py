"""``leasechain-bridge``: anchors the ledger's checkpoints and mirrors its machine tokens on an EVM chain.

The bridge keeps no state of its own: what to send next follows from the chain (what is anchored
and mirrored, confirmed or not) and the ledger (its checkpoint, tokens and recorded anchors), so a
restart, a crash or a reorganised chain never makes it anchor twice or skip one (docs/chain.md).
"""
