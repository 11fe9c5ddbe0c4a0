"""The real ledger backend (``python -m backend serve``) as a child process, and the parties a site needs.

The gateway is tested against the backend's own HTTP API, never against an
imitation of it.
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from chain_client.ledger import sign
from simulator.services import Backend


def seeded(label: str) -> SigningKey:
    """A deterministic key for ``label``."""
    return SigningKey(hashlib.sha256(label.encode()).digest())


class LedgerBackend(Backend):
    """The simulator's backend service (a child process with its data directory), seeded for tests."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir, operator=seeded("operator"))
        self.data_dir = data_dir
        self._ids = 0

    def get(self, path: str) -> Any:
        """GET a JSON document."""
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def submit(self, key: SigningKey, tx_type: str, **args: Any) -> dict[str, Any]:
        """Sign and submit one transaction; return its result (fails the test if refused)."""
        self._ids += 1
        body = sign(tx_type, f"setup-{self._ids}", args, key, ledger=bytes(self.operator.verify_key))
        request = urllib.request.Request(
            self.url + "/v1/transactions",
            data=body,
            method="POST",
            headers={"Content-Type": "application/cbor"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
        assert answer["status"] == "accepted", answer
        return answer

    def certify(self, key: SigningKey, name: str, *roles: str) -> None:
        """Register an enterprise and have the operator approve it."""
        account = bytes(key.verify_key).hex()
        self.submit(key, "register_enterprise", name=name, roles=list(roles), info={"country": "DE"})
        self.submit(self.operator, "review_enterprise", enterprise=account, decision="approve", reason="")

    def enroll(self, maker: SigningKey, serial: str, public_key: bytes) -> str:
        """Mint a token and bind a device key to it; return the token id."""
        minted = self.submit(
            maker,
            "mint_token",
            serial=serial,
            model="CNC-5",
            specs={"spindle": "12kW"},
            price=100_000,
            salvage_value=10_000,
            shares=100,
            share_price=10,
            fee_terms=[],
        )
        token = str(minted["result"]["token"])
        self.submit(maker, "bind_device", token=token, public_key=public_key)
        return token

    def anchor_ids(self, signer: SigningKey) -> list[str]:
        """Ids of every anchor_batch transaction of ``signer`` in the log, in log order."""
        from chain_client.ledger import decode, decode_entry

        account = bytes(signer.verify_key).hex()
        size = int(self.get("/v1/info")["size"])
        ids: list[str] = []
        for start in range(0, size, 1000):
            for row in self.get(f"/v1/log/entries?start={start}&end={min(size, start + 1000)}")["entries"]:
                tx = decode(decode_entry(bytes.fromhex(row["entry"])).tx, check_signature=False)
                if tx.type == "anchor_batch" and tx.signer == account:
                    ids.append(tx.id)
        return ids

    def verified_messages(self) -> list[bytes]:
        """Every message the ledger holds as verified."""
        rows = self.get("/v1/telemetry?status=verified&limit=10000")["readings"]
        return [bytes.fromhex(r["message"]) for r in rows]
