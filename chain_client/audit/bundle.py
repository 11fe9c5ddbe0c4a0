"""The evidence bundle: everything needed to check one invoice offline, in one JSON file.

A bundle holds *evidence* (log entries with their inclusion proofs under one
signed tree head, and device messages with their inclusion proofs in their
batches) and the ledger's *claims* (the lease and the invoice as the backend
serves them).  The verifier trusts only the log key: it recomputes everything
from the evidence and compares it with the claims.  Bytes are lowercase hex.

```
{"format": "leasechain-audit/1", "created": 1700000000, "source": "http://…",
 "log_key": "<hex>", "tree_head": {signed tree head},
 "lease": "lease-…", "period": 0, "token": "tok-…",
 "entries": [{"index": 0, "entry": "<hex>", "audit_path": ["<hex>", …]}, …],
 "readings": [{"batch": 17, "position": 3, "message": "<hex>", "audit_path": ["<hex>", …]}, …],
 "claims": {"lease": {…GET /v1/leases/{id}…}, "invoice": {…GET /v1/invoices/{id}…}}}
```
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chain_client.audit.errors import AuditError

FORMAT = "leasechain-audit/1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProvenEntry(_Frozen):
    """A log entry (exact leaf bytes) and its RFC 9162 audit path under the bundle's tree head."""

    index: int = Field(ge=0)
    entry: str
    audit_path: list[str]


class ProvenReading(_Frozen):
    """A device message (exact signed bytes) and its audit path in the batch anchored at log ``batch``."""

    batch: int = Field(ge=0)
    position: int = Field(ge=0)
    message: str
    audit_path: list[str]


class Claims(_Frozen):
    """What the ledger states about the lease and the invoice; checked, never trusted."""

    lease: dict[str, Any]
    invoice: dict[str, Any]


class Bundle(_Frozen):
    """One invoice's evidence and claims."""

    format: str
    created: int
    source: str
    log_key: str
    tree_head: dict[str, Any]
    lease: str
    period: int = Field(ge=0)
    token: str
    entries: list[ProvenEntry]
    readings: list[ProvenReading]
    claims: Claims


def save(bundle: Bundle, path: Path) -> None:
    """Write a bundle as JSON."""
    try:
        path.write_text(json.dumps(bundle.model_dump(), indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        raise AuditError(f"cannot write the bundle to {path}: {exc}") from None


def load(path: Path) -> Bundle:
    """Read a bundle; :class:`AuditError` names what is wrong with the file."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AuditError(f"{path} is not a readable bundle: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise AuditError(f"{path} is not an audit bundle: format is {found!r}, expected {FORMAT!r}")
    try:
        return Bundle.model_validate(data)
    except ValidationError as exc:
        raise AuditError(f"{path} is malformed: {exc}") from None
