"""The offline auditor: evidence bundles for one invoice, their verification, and the tree-head monitor.

``export_bundle(client, lease, period)`` collects the evidence from a live
ledger; ``verify_bundle(bundle)`` checks it with no network and names each
failed check and its place; ``observe(client, state_path)`` keeps the signed
tree heads seen and proves each new one consistent with them.
"""

from chain_client.audit.bundle import Bundle, load, save
from chain_client.audit.errors import AuditError
from chain_client.audit.export import export_bundle
from chain_client.audit.monitor import Observation, observe
from chain_client.audit.report import CHECKS, Failure, Report
from chain_client.audit.verify import verify_bundle

__all__ = [
    "CHECKS",
    "AuditError",
    "Bundle",
    "Failure",
    "Observation",
    "Report",
    "export_bundle",
    "load",
    "observe",
    "save",
    "verify_bundle",
]
