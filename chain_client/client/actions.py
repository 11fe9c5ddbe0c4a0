"""One method per transaction type, shared by the sync and the async client.

Each action signs with the client's :class:`~chain_client.client.transactions.TxBuilder`
and submits; ``Actions[R]`` is generic in what a submission returns, so the
sync client's ``mint_token`` returns a ``TxResult`` and the async client's an
awaitable of one, from a single definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, Generic, ParamSpec, TypeVar

from chain_client.client.errors import ClientError
from chain_client.client.transactions import SignedTx, TxBuilder

P = ParamSpec("P")
R = TypeVar("R")


class Actions(Generic[R]):
    """Transaction methods; subclasses define :meth:`act` and :meth:`submit_tx`."""

    builder: TxBuilder | None = None

    @property
    def tx(self) -> TxBuilder:
        """The builder signing with this client's key (raises if the client has none)."""
        if self.builder is None:
            raise ClientError("this client has no signing key: pass key= to act on the ledger")
        return self.builder

    def act(self, make: Callable[[TxBuilder], SignedTx]) -> R:
        """Build a transaction with this client's builder (its ledger known) and submit it."""
        raise NotImplementedError

    def submit_tx(self, tx: SignedTx) -> R:
        """Submit a signed transaction."""
        raise NotImplementedError


def _action(build: Callable[Concatenate[TxBuilder, P], SignedTx]) -> Callable[Concatenate[Actions[R], P], R]:
    def method(self: Actions[R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.act(lambda builder: build(builder, *args, **kwargs))

    method.__name__ = build.__name__
    method.__doc__ = f"{build.__doc__} Signs with the client's key and submits."
    return method


class LedgerActions(Actions[R]):
    """Every transaction type as a method: sign with the client's key, submit, return the result."""

    add_reviewer = _action(TxBuilder.add_reviewer)
    register_enterprise = _action(TxBuilder.register_enterprise)
    review_enterprise = _action(TxBuilder.review_enterprise)
    approve_enterprise = _action(TxBuilder.approve_enterprise)
    reject_enterprise = _action(TxBuilder.reject_enterprise)
    review_service = _action(TxBuilder.review_service)
    deposit = _action(TxBuilder.deposit)
    withdraw = _action(TxBuilder.withdraw)
    mint_token = _action(TxBuilder.mint_token)
    approve_token = _action(TxBuilder.approve_token)
    transfer_token = _action(TxBuilder.transfer_token)
    set_token_status = _action(TxBuilder.set_token_status)
    set_fee_terms = _action(TxBuilder.set_fee_terms)
    bind_device = _action(TxBuilder.bind_device)
    rotate_device = _action(TxBuilder.rotate_device)
    revoke_device = _action(TxBuilder.revoke_device)
    buy_shares = _action(TxBuilder.buy_shares)
    transfer_shares = _action(TxBuilder.transfer_shares)
    offer_lease = _action(TxBuilder.offer_lease)
    sign_lease = _action(TxBuilder.sign_lease)
    cancel_offer = _action(TxBuilder.cancel_offer)
    close_lease = _action(TxBuilder.close_lease)
    # issue_invoice reads the period's evidence first: each client defines it (sync.py, aio.py).
    issue_invoice_with = _action(TxBuilder.issue_invoice)
    pay_invoice = _action(TxBuilder.pay_invoice)
    anchor_batch = _action(TxBuilder.anchor_batch)
