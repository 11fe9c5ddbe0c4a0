"""Typed, bounded integer parameters of the HTTP API (docs/ledger.md, "HTTP API").

Every integer a request names in its path or query is one of these types, so
FastAPI refuses a value outside its range (400 ``bad_request``, see
:mod:`backend.http_errors`) before a route runs: no value can overflow the
database's 64-bit integers, and the bounds show in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chain_client.ledger.schema import MAX_MESSAGES

# SQLite INTEGER and PostgreSQL BIGINT are signed 64-bit: the largest value a query can carry.
INT64_MAX = 2**63 - 1
MAX_ENTRIES = 1000
MAX_JOURNAL = 100_000
MAX_READINGS = 10_000

Index = Annotated[int, Field(ge=0, le=INT64_MAX, description="a log index or tree size")]
Position = Annotated[int, Field(ge=0, le=MAX_MESSAGES - 1, description="a message's position in its batch")]
Seconds = Annotated[int, Field(ge=0, le=INT64_MAX, description="a time stamp, Unix seconds")]
JournalLimit = Annotated[int, Field(ge=1, le=MAX_JOURNAL, description="at most this many postings")]
ReadingsLimit = Annotated[int, Field(ge=1, le=MAX_READINGS, description="at most this many readings")]
