"""The async ledger client against a real backend: the same API, awaited, and the reading stream."""

from __future__ import annotations

import asyncio

import pytest
from nacl.signing import SigningKey

from chain_client.client import AsyncLedgerClient, RejectedError
from chain_client.client.models import TelemetryReading
from chain_client.ledger import TxReason
from tests.backend.world import reading, seeded_key
from tests.gateway.ledger_backend import LedgerBackend


async def _certify(url: str, operator: SigningKey, key: SigningKey, *roles: str) -> None:
    async with AsyncLedgerClient(url, key) as client:
        await client.register_enterprise(f"aio-{roles[0]}", roles)
    async with AsyncLedgerClient(url, operator) as reviewer:
        await reviewer.approve_enterprise(bytes(key.verify_key).hex())


def test_async_actions_and_the_reading_stream(backend: LedgerBackend) -> None:
    maker, gateway, sensor = seeded_key("aio-maker"), seeded_key("aio-gw"), SigningKey.generate()

    async def scenario() -> tuple[list[TelemetryReading], TxReason]:
        await _certify(backend.url, backend.operator, maker, "manufacturer")
        await _certify(backend.url, backend.operator, gateway, "service")
        async with AsyncLedgerClient(backend.url, maker) as client:
            minted = await client.mint_token(
                "SN-A", "CNC-5", price=10, salvage_value=1, shares=1, share_price=1
            )
            await client.bind_device(minted.token, bytes(sensor.verify_key).hex())
            try:
                await client.bind_device(minted.token, bytes(SigningKey.generate().verify_key))
            except RejectedError as exc:
                reason = exc.tx_reason
        got: list[TelemetryReading] = []
        async with AsyncLedgerClient(backend.url, gateway) as client:

            async def listen() -> None:
                async for row in client.stream_readings():
                    got.append(row)
                    if len(got) == 2:
                        return

            listener = asyncio.create_task(listen())
            await asyncio.sleep(0.5)  # let the stream connect before anchoring
            await client.anchor_batch([reading(sensor, seq=1), reading(sensor, seq=2, run_seconds=30)])
            await asyncio.wait_for(listener, timeout=20)
            assert (await client.token(minted.token)).devices[0].status == "active"
        return got, reason

    rows, reason = asyncio.run(scenario())
    assert reason is TxReason.DEVICE_ALREADY_BOUND
    assert [(r.seq, r.status) for r in rows] == [(1, "verified"), (2, "verified")]


def test_async_iter_entries_pages_through_the_log(backend: LedgerBackend) -> None:
    async def scenario() -> list[int]:
        # Entries of its own (a registration and its approval after the log's first): the module's
        # backend is shared, but the other tests may run after this one, or on another worker.
        await _certify(backend.url, backend.operator, SigningKey.generate(), "lessee")
        async with AsyncLedgerClient(backend.url) as client:
            return [row.index async for row in client.iter_entries(0, 3)]

    assert asyncio.run(scenario()) == [0, 1, 2]


def test_the_async_client_without_a_key_cannot_act(backend: LedgerBackend) -> None:
    from chain_client.client import ClientError

    async def scenario() -> None:
        async with AsyncLedgerClient(backend.url) as client:
            await client.withdraw(1, "x")

    with pytest.raises(ClientError, match="no signing key"):
        asyncio.run(scenario())
