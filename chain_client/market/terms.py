"""The lease a proposal offers, from the three signed entries it rests on (docs/market.md, 'propose').

The ledger builds a proposal's lease from its listing, its request and its own arguments; an auditor
holding those entries rebuilds the same ``offer_lease`` arguments here and checks them like any offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def proposal_offer(
    proposal: Mapping[str, Any], listing: Mapping[str, Any], request: Mapping[str, Any], lessee: str
) -> dict[str, Any]:
    """The ``offer_lease`` arguments of a ``propose`` on ``listing`` (its args) for ``request`` (its args,
    posted by ``lessee``)."""
    return {
        "token": listing["token"],
        "lessee": lessee,
        "start": proposal["start"],
        "end": proposal["start"] + request["term"],
        "period": listing["period"],
        "fixed_rent": listing["fixed_rent"],
        "usage_rate": listing["usage_rate"],
        "deposit": proposal["deposit"],
        "grace": proposal["grace"],
        "fees": proposal["fees"],
        "expires": proposal["expires"],
    }
