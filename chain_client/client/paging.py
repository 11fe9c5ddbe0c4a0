"""Reading a list a page at a time (docs/ledger.md, "Paging").

A list answer names its next page in a ``Link: <...>; rel="next"`` header whose URL carries an
opaque ``cursor``; the last page has no such link.  Both clients run the same :class:`Query` with
the cursor of the page before until none follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from chain_client.client.errors import BadResponseError

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next (``None`` on the last page)."""

    items: T
    next_cursor: str | None


def next_cursor(response: httpx.Response) -> str | None:
    """The cursor of the page after this answer, from its ``Link`` header."""
    link = response.links.get("next")
    if link is None:
        return None
    cursor = httpx.URL(link.get("url", "")).params.get("cursor")
    if not cursor:
        raise BadResponseError(f"{response.request.url}: its next link {link.get('url')!r} names no cursor")
    return str(cursor)
