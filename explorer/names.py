"""Who each account is and how values read, for one page: the rules of ``chain_client.human``.

The names come from the ledger (``/v1/info`` for the operator and the currency,
``/v1/enterprises`` for everybody else), read once per page so a new enterprise shows at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from chain_client import human
from chain_client.client import LedgerClient
from chain_client.client import models as m

OPERATOR = "platform operator"


@dataclass(frozen=True)
class Names:
    """Human forms of one ledger's values at one moment."""

    info: m.Info
    parties: dict[str, human.Party]
    enterprises: dict[str, m.Enterprise]

    @classmethod
    def load(cls, client: LedgerClient) -> Names:
        """Read the ledger's currency, operator and enterprises."""
        info = client.info()
        found = client.enterprises()
        parties = {info.log_key: human.Party(OPERATOR)}
        for e in found:
            parties[e.account] = human.Party(e.name, e.status)
        return cls(info, parties, {e.account: e for e in found})

    @property
    def currency(self) -> str:
        """The ledger's currency code."""
        return self.info.currency

    def party(self, account: str) -> str:
        """``Acme Machines (9cc3a1b2…)``; a ledger account (``escrow:<lease>``) as it is named."""
        kind, sep, owner = account.partition(":")
        if sep and kind == "settlement":
            return f"{human.party(owner, self.parties)}, settlement"
        if sep or account == "external":
            return account
        return human.party(account, self.parties)

    def name(self, account: str) -> str:
        """The enterprise's name alone, or the short account when nobody is known by it."""
        found = self.parties.get(account)
        return found.name if found is not None else human.short_account(account)

    def money(self, amount: int) -> str:
        """Minor units as ``1,180.00 EUR``."""
        return human.money(amount, self.currency)

    def fees(self, splits: list[m.FeeSplit]) -> str:
        """Fee splits as ``SiteLink (1f2e…) 2.50 %, …``; ``none`` for none."""
        return ", ".join(f"{self.party(f.account)} {human.percent_bps(f.bps)}" for f in splits) or "none"
