"""Token ids as small integer keys in the readings table, and the map between the two.

A reading row and its (token, stamp) index entry name the token by a key of the ``token_keys``
table instead of its id (21 characters and more), which the index entry would carry again.
Key 0 is the empty token of a message whose device is bound to no token; it has no row.  A key,
once written, names its token for good, so every process may keep the map: a key is given only
inside the transaction that writes the first reading of its token, and is remembered once that
transaction committed.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.engine import Connection

from backend.errors import BackendError

UNBOUND = 0  # the key of the empty token (no binding)
_CHUNK = 500  # tokens per ``IN (...)`` lookup, well under every database's parameter limit


def token_keys_table(metadata: MetaData) -> Table:
    """The ``token_keys`` table in ``metadata``: key and token id, each unique."""
    return Table(
        "token_keys",
        metadata,
        Column("key", Integer, primary_key=True, autoincrement=False),
        Column("token", String(100), nullable=False, unique=True),
    )


class TokenKeys:
    """The token id of each key and the key of each token id, read from ``table`` as needed."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._keys: dict[str, int] = {"": UNBOUND}
        self._ids: dict[int, str] = {UNBOUND: ""}
        self._loaded = False

    def _load(self, conn: Connection) -> None:
        # The whole map once (a fleet's tokens, thousands): a page of readings names many tokens.
        self.remember({str(t): int(k) for k, t in conn.execute(select(self.table.c.key, self.table.c.token))})
        self._loaded = True

    def key(self, conn: Connection, token: str) -> int | None:
        """The key of ``token``, None if no reading of it was ever stored."""
        found = self._keys.get(token)
        if found is not None:
            return found
        if not self._loaded:
            self._load(conn)
            return self._keys.get(token)
        t = self.table
        value = conn.execute(select(t.c.key).where(t.c.token == token)).scalar_one_or_none()
        if value is not None:
            self.remember({token: int(value)})
        return None if value is None else int(value)

    def token(self, conn: Connection, key: int) -> str:
        """The token id of ``key``; an error if no such key was written."""
        found = self._ids.get(key)
        if found is not None:
            return found
        if not self._loaded:
            self._load(conn)
            found = self._ids.get(key)
            if found is not None:
                return found
        t = self.table
        value = conn.execute(select(t.c.token).where(t.c.key == key)).scalar_one_or_none()
        if value is None:
            raise BackendError(f"a stored reading names token key {key}, not in table token_keys")
        self.remember({str(value): key})
        return str(value)

    def assign(self, conn: Connection, tokens: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
        """The keys of ``tokens``, and those not kept yet (written now in ``conn``'s transaction if new):
        pass the second map to :meth:`remember` once that transaction committed."""
        wanted = set(tokens)
        missing = sorted(t for t in wanted if t not in self._keys)
        if missing and not self._loaded:
            self._load(conn)
            missing = [t for t in missing if t not in self._keys]
        new: dict[str, int] = {}
        if missing:
            t = self.table
            for i in range(0, len(missing), _CHUNK):
                chunk = missing[i : i + _CHUNK]
                query = select(t.c.token, t.c.key).where(t.c.token.in_(chunk))
                new.update({str(tok): int(k) for tok, k in conn.execute(query)})
            fresh = [tok for tok in missing if tok not in new]
            top = int(conn.execute(select(func.coalesce(func.max(t.c.key), UNBOUND))).scalar_one())
            given = {tok: top + 1 + i for i, tok in enumerate(fresh)}
            if given:
                conn.execute(t.insert(), [{"key": k, "token": tok} for tok, k in given.items()])
            new.update(given)
        return {tok: new[tok] if tok in new else self._keys[tok] for tok in wanted}, new

    def key_of_kept(self, token: str) -> int | None:
        """The key kept in memory for ``token``, without asking the database."""
        return self._keys.get(token)

    def remember(self, keys: dict[str, int]) -> None:
        """Keep committed ``keys`` (token id to key)."""
        for token, key in keys.items():
            self._keys[token] = key
            self._ids[key] = token
