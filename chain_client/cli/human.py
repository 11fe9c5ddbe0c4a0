"""What the CLI needs to print values for people: the ledger's currency and who each account is.

The rules themselves are ``chain_client.human``; this adds what they need from the ledger
(``/v1/info`` for the currency and the operator's account, ``/v1/enterprises`` for names) and
from the keystore (your own key names), fetched once, only when a command prints for people.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chain_client import human
from chain_client.client import KeystoreError, LedgerClient
from chain_client.client.keystore import Keystore

OPERATOR = "platform operator"


class View:
    """Human forms of one ledger's values; the lookups run on first use."""

    def __init__(self, connect: Callable[[], LedgerClient], keystore: Keystore | None = None) -> None:
        self._connect = connect
        self._keystore = keystore
        self._currency: str | None = None
        self._parties: dict[str, human.Party] | None = None

    def _load(self) -> None:
        with self._connect() as client:
            info = client.info()
            enterprises = client.enterprises()
        parties: dict[str, human.Party] = {}
        if self._keystore is not None:
            try:
                for key in self._keystore.list():
                    parties[key.account] = human.Party(f"key {key.name}")
            except KeystoreError:
                pass  # no keystore (or an unreadable one): names come from the ledger alone
        parties[info.log_key] = human.Party(OPERATOR)
        for found in enterprises:
            parties[found.account] = human.Party(found.name, found.status)
        self._currency, self._parties = info.currency, parties

    @property
    def currency(self) -> str:
        """The ledger's currency code, from ``/v1/info``."""
        if self._currency is None:
            self._load()
        assert self._currency is not None
        return self._currency

    @property
    def parties(self) -> Mapping[str, human.Party]:
        """Account -> enterprise name (or key name, or the operator)."""
        if self._parties is None:
            self._load()
        assert self._parties is not None
        return self._parties

    def party(self, account: str) -> str:
        """``Acme Machines (9cc3a1b2…)``, or the short account when nobody is known by it."""
        kind, sep, owner = account.partition(":")
        if sep and kind == "settlement":
            return f"{human.party(owner, self.parties)}, settlement"
        if sep or account == "external":
            return account  # a ledger account (escrow:<lease>, …) is already readable
        return human.party(account, self.parties)

    def money(self, amount: int) -> str:
        """Minor units as ``1,180.00 EUR``."""
        return human.money(amount, self.currency)

    def fees(self, splits: list[tuple[str, int]]) -> str:
        """Fee splits as ``SiteLink (1f2e…) 2.00 %, …``; ``none`` for none."""
        return ", ".join(f"{self.party(a)} {human.percent_bps(b)}" for a, b in splits) or "none"
