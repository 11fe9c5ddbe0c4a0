"""The evidence bundle: everything needed to check one invoice offline, in one JSON file.

A bundle holds *evidence* (log entries with their inclusion proofs under one
signed tree head, and device messages with their inclusion proofs in their
batches) and the ledger's *claims* (the lease and the invoice as the backend
serves them).  The verifier trusts only the log key: it recomputes everything
from the evidence and compares it with the claims.  Bytes are lowercase hex.
Each entry the log's published checkpoint covers also carries a
c2sp.org/tlog-proof@v1 against that checkpoint, with the cosignatures of the
witnesses that co-signed it: checked against the witnesses an auditor trusts.

```
{"format": "leasechain-audit/1", "created": 1700000000, "source": "http://…",
 "log_key": "<hex>", "tree_head": {signed tree head},
 "lease": "lease-…", "period": 0, "token": "tok-…",
 "entries": [{"index": 0, "entry": "<hex>", "audit_path": ["<hex>", …],
              "tlog_proof": "c2sp.org/tlog-proof@v1\nindex 0\n…"}, …],
 "readings": [{"batch": 17, "position": 3, "message": "<hex>", "audit_path": ["<hex>", …]}, …],
 "claims": {"lease": {…GET /v1/leases/{id}…}, "invoice": {…GET /v1/invoices/{id}…}},
 "origin": "ledger.example.com/leasechain", "anchors": [{"index": 812, "consistency": ["<hex>", …]}, …]}
```
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chain_client.audit.errors import AuditError
from chain_client.client.models import Invoice, Lease

FORMAT = "leasechain-audit/1"
# The largest bundle file read (docs/cli.md): about a month of minute readings of a busy site's
# batches, while parsing it stays within a small machine's memory.
MAX_BUNDLE_BYTES = 256 * 1024 * 1024


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProvenEntry(_Frozen):
    """A log entry (exact leaf bytes) and its RFC 9162 audit path under the bundle's tree head."""

    index: int = Field(ge=0)
    entry: str
    audit_path: list[str]
    tlog_proof: str = Field(default="", max_length=64 * 1024)  # empty: not yet under a published checkpoint


class ProvenReading(_Frozen):
    """A device message (exact signed bytes) and its audit path in the batch anchored at log ``batch``."""

    batch: int = Field(ge=0)
    position: int = Field(ge=0)
    message: str
    audit_path: list[str]


class CitedAnchor(_Frozen):
    """A ``record_anchor`` entry of the bundle (at log ``index``) and the RFC 9162 consistency proof
    from the anchored tree to the bundle's tree head (docs/chain.md, 'Audit bundles')."""

    index: int = Field(ge=0)
    consistency: list[str]


class Claims(_Frozen):
    """What the ledger states about the lease and the invoice; checked, never trusted."""

    lease: Lease  # as GET /v1/leases/{id} serves it
    invoice: Invoice  # as GET /v1/invoices/{id} serves it


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
    origin: str = ""  # the log's checkpoint origin: its name on the anchor contract
    anchors: list[CitedAnchor] = Field(default_factory=list)


def save(bundle: Bundle, path: Path) -> None:
    """Write a bundle as JSON."""
    try:
        path.write_text(json.dumps(bundle.model_dump(), indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        raise AuditError(f"cannot write the bundle to {path}: {exc}") from None


def _read(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of the file; :class:`AuditError` if it holds more."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise AuditError(f"{path} is not a readable bundle: {size} bytes, the limit is {limit}")
        # A FIFO or a device reports no size: the read itself is bounded too.
        with path.open("rb") as f:
            raw = f.read(limit + 1)
    except OSError as exc:
        raise AuditError(f"{path} is not a readable bundle: {exc}") from None
    if len(raw) > limit:
        raise AuditError(f"{path} is not a readable bundle: more than {limit} bytes")
    return raw


def load(path: Path, *, limit: int = MAX_BUNDLE_BYTES) -> Bundle:
    """Read a bundle; :class:`AuditError` names what is wrong with the file, whatever it holds."""
    raw = _read(path, limit)
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        # json nests one C call per array or object: a file of nothing but brackets ends here.
        raise AuditError(f"{path} is not a readable bundle: JSON nested too deeply") from None
    except ValueError as exc:  # bad UTF-8, bad JSON, an integer of more digits than Python converts
        raise AuditError(f"{path} is not a readable bundle: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise AuditError(f"{path} is not an audit bundle: format is {found!r}, expected {FORMAT!r}")
    try:
        return Bundle.model_validate(data)
    except (ValidationError, RecursionError) as exc:
        raise AuditError(f"{path} is malformed: {exc}") from None
