"""The machine page's "last reading" of each sensor is its newest, however many readings came before.

And the home page's totals are the ledger's own (``GET /v1/stats``), also after a restart from a
snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chain_client.client import LedgerClient
from explorer import pages
from explorer.names import Names
from tests.backend.server import OPERATOR_KEY, Server
from tests.backend.test_http import Actor
from tests.backend.world import T0, batch_args, reading, seeded_key

pytestmark = pytest.mark.slow

COUNT = 1100  # more than the 1,000 readings the page once read to find the last
BATCH = 550


@pytest.fixture
def crowded(tmp_path: Path) -> Iterator[tuple[Server, dict[str, Any]]]:
    """A machine whose sensor sent ``COUNT`` readings."""
    key_file = tmp_path / "operator.key"
    key_file.write_text(bytes(OPERATOR_KEY).hex())
    server = Server(tmp_path / "data", key_file, (f"sqlite:///{tmp_path / 'ledger.sqlite3'}", None))
    server.data_dir.mkdir()
    server.start()
    try:
        api = Actor(server)
        maker = api.enterprise("newest-maker", "manufacturer")
        token = api.do(
            maker, "mint_token", serial="N-1", model="Press", specs={}, price=10, salvage_value=1,
            shares=1, share_price=10, fee_terms=[],
        )["result"]["token"]  # fmt: skip
        busy = seeded_key("newest-busy")
        api.do(maker, "bind_device", token=token, public_key=bytes(busy.verify_key))
        gateway = api.enterprise("newest-gw", "service")
        msgs = [reading(busy, seq=n, time=T0 + 10 * n, run_seconds=5 * n) for n in range(1, COUNT + 1)]
        for start in range(0, len(msgs), BATCH):
            api.do(gateway, "anchor_batch", tx_id=f"nb-{start}", **batch_args(msgs[start : start + BATCH]))
        yield server, {"token": token}
    finally:
        server.stop()


def test_the_sensors_last_reading_is_its_newest_past_a_thousand(
    crowded: tuple[Server, dict[str, Any]],
) -> None:
    server, made = crowded
    with LedgerClient(server.url) as client:
        shown = pages.machine(client, Names.load(client), made["token"])
    (last,) = shown["last"].values()
    assert (last.seq, last.run_seconds, last.stamp) == (COUNT, 5 * COUNT, T0 + 10 * COUNT)
    assert [r.seq for r in shown["readings"]][:3] == [1, 2, 3]  # the listed page stays oldest first


def test_the_totals_are_the_ledgers_own_and_survive_a_restart(crowded: tuple[Server, dict[str, Any]]) -> None:
    server, _ = crowded
    with LedgerClient(server.url) as client:
        before = client.stats()
        shown = pages.home(client, Names.load(client), 5)
    # the operator, the maker and the gateway
    assert (before.machines, before.enterprises, before.readings_verified) == (1, 3, COUNT)
    assert (before.active_leases, before.rent_paid, before.readings_rejected) == (0, 0, 0)
    assert (shown["machines"], shown["readings"], shown["enterprises"]) == (1, COUNT, 3)
    server.stop()
    server.start()
    with LedgerClient(server.url) as client:
        assert client.stats() == before
