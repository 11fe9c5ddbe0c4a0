"""Marketplace helpers for the backend tests: a lessee's request, an owner's listing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.backend.world import DAY, Party, World


@dataclass
class Market:
    """A manufacturer with a minted token, a funded lessee and a service."""

    world: World
    maker: Party
    lessee: Party
    service: Party
    token: str

    def request_args(self, **over: Any) -> dict[str, Any]:
        now = self.world.clock.now
        args: dict[str, Any] = {
            "kind": "cnc-mill",
            "specs": {"spindle": "12kW"},
            "site": "Leipzig",
            "start": now,
            "term": 3 * DAY,
            "budget": 40_000,
            "hours": 100,
            "expires": now + 7 * DAY,
        }
        return {**args, **over}

    def listing_args(self, **over: Any) -> dict[str, Any]:
        args: dict[str, Any] = {
            "token": self.token,
            "kind": "cnc-mill",
            "site": "Leipzig",
            "period": DAY,
            "fixed_rent": 1000,
            "usage_rate": 36,
            "deposit": 5000,
            "min_term": DAY,
            "max_term": 30 * DAY,
        }
        return {**args, **over}

    def request(self, **over: Any) -> str:
        return str(self.world.do(self.lessee, "post_request", **self.request_args(**over))["request"])

    def listing(self, **over: Any) -> str:
        return str(self.world.do(self.maker, "list_machine", **self.listing_args(**over))["listing"])

    def proposal_args(self, request: str, listing: str, **over: Any) -> dict[str, Any]:
        now = self.world.clock.now
        args: dict[str, Any] = {
            "request": request,
            "listing": listing,
            "start": now,
            "deposit": 5000,
            "grace": 3600,
            "fees": [],
            "expires": now + DAY,
        }
        return {**args, **over}


def market(world: World) -> Market:
    """A small market: one machine, one lessee with money, one inspection service."""
    maker = world.enterprise("maker", "manufacturer")
    lessee = world.enterprise("lessee", "lessee")
    service = world.enterprise("inspector", "service")
    world.fund(lessee, 1_000_000)
    world.fund(maker, 1_000_000)
    return Market(world, maker, lessee, service, world.mint(maker, "SN-1"))
