"""docs/ledger.md's table of rejection reasons names every reason, with the status the API answers."""

from __future__ import annotations

import re
from pathlib import Path

from backend.api import http_status
from chain_client.ledger.reasons import TxReason

DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"
ROW = re.compile(r"^\| `([a-z_]+)` \| (\d{3}) \| .+ \|$", re.MULTILINE)


def _table() -> dict[str, int]:
    section = DOC.read_text().split("## Rejection reasons", 1)[1]
    return {reason: int(status) for reason, status in ROW.findall(section)}


def test_every_reason_is_documented_once_with_its_http_status() -> None:
    documented = _table()
    assert set(documented) == {r.value for r in TxReason}
    assert {r: http_status(TxReason(r)) for r in documented} == documented
