"""A whole site for the simulator's tests: a real ledger backend, a private Mosquitto and a real gateway."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from harness.mosquitto import Mosquitto
from simulator.runner import Target
from simulator.services import Gateway
from tests.gateway.ledger_backend import LedgerBackend, seeded


@dataclass
class Site:
    """The parts a simulator run is pointed at."""

    backend: LedgerBackend | None
    broker: Mosquitto
    gateway: Gateway
    gateway_key: SigningKey

    def target(self, with_ledger: bool = True) -> Target:
        """Where the simulator publishes and what it observes."""
        backend = self.backend if with_ledger else None
        return Target(
            broker=(self.broker.host, self.broker.port),
            backend=backend.url if backend is not None else None,
            gateway_store=self.gateway.store,
            gateway_metrics=self.gateway.metrics_url if backend is not None else None,
            reviewer=backend.operator if backend is not None else None,
        )


def start_site(tmp: Path, broker: Mosquitto, registry_file: Path | None = None, ledger: bool = True) -> Site:
    """Backend (certifying the gateway's service enterprise) and gateway; the caller stops them."""
    key = seeded("site gateway")
    backend = None
    if ledger:
        backend = LedgerBackend(tmp / "backend")
        backend.start()
        backend.certify(key, "Site gateway", "service")
    gateway = Gateway(
        tmp / "gateway",
        (broker.host, broker.port, "5"),
        backend.url if backend is not None and registry_file is None else None,
        key,
        registry_file=registry_file,
        batch_age=0.5,
    )
    if backend is not None and registry_file is not None:
        # Anchors to the ledger, but trusts only its (stale) registry file.
        text = gateway.config.read_text().replace(
            "[registry]\n",
            f'[backend]\nurl = "{backend.url}"\nkey = {{ file = "{gateway.workdir / "gateway.key"}" }}\n'
            "backoff_initial_seconds = 0.5\nbackoff_max_seconds = 2.0\n\n[registry]\n",
        )
        gateway.config.write_text(text)
    gateway.start()
    return Site(backend, broker, gateway, key)


@pytest.fixture
def site(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Site]:
    """Backend, broker and a gateway syncing its registry from the backend."""
    s = start_site(tmp_path, mosquitto)
    try:
        yield s
    finally:
        s.gateway.stop()
        if s.backend is not None:
            s.backend.kill()
