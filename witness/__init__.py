"""``leasechain-witness``: a c2sp.org/tlog-witness that any party can run beside a Lease Chain log.

It keeps, per log it is configured with, the latest checkpoint it cosigned
(persisted atomically before it answers), cosigns a new checkpoint only when
the log's signature verifies and a consistency proof links it to that view,
and refuses forked or stale ones with the specification's status codes.
"""
