"""Exceptions of the auditor: a bundle that cannot be read or written, a monitor state that is unusable.

A bundle that is read fine but does not prove what it claims is not an
exception: :func:`chain_client.audit.verify.verify_bundle` reports the failed
checks by name.
"""

from __future__ import annotations

from chain_client.errors import LeaseChainError


class AuditError(LeaseChainError):
    """An evidence bundle or monitor state cannot be built, read or written; the message says why."""
