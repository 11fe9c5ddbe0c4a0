"""Ledger accounts: balances, journals and the payouts an account received (docs/ledger.md, 'Money')."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend import paging
from backend.paging import CursorParam, PageLimit
from backend.params import JournalLimit
from backend.reads import ledger_account
from backend.routes.context import Context, answer
from chain_client.client import models as m


def add(api: APIRouter, context: Context) -> None:
    """``/v1/accounts/{account}``, its journal, and ``/v1/payouts/{account}``."""
    reads = context.reads

    @api.get("/v1/accounts/{account}", response_model=m.Balance)
    async def account(account: str) -> Response:
        """Balances of an account's settlement account (and of any ledger account named exactly)."""
        return answer(reads.balance(account))

    @api.get("/v1/accounts/{account}/journal", response_model=m.Journal)
    async def journal(
        request: Request, account: str, limit: JournalLimit = 1000, cursor: CursorParam = None
    ) -> Response:
        """Postings that touched an account, oldest first, a page at a time."""
        name = ledger_account(account)
        listing = f"journal:{name}"
        start = paging.int_keys(context.after(listing, cursor), 1, "journal")[0] + 1 if cursor else 0
        found, last = reads.journal(name, start, limit)
        return context.page(request, found, listing, last)

    @api.get("/v1/payouts/{account}", response_model=m.Payouts)
    async def payouts(
        request: Request, account: str, limit: PageLimit = paging.MAX_PAGE, cursor: CursorParam = None
    ) -> Response:
        """Payout lines an account received, invoice by invoice, a page at a time."""
        listing = f"payouts:{account}"
        start = paging.payout_key(context.after(listing, cursor)) if cursor else None
        found, last = reads.payouts(account, start, limit)
        return context.page(request, found, listing, last)
