"""Complete exports, streamed: the whole log, or everything an account received, as CSV or JSON.

No row cap: an export pages through the API (the log 1,000 entries at a time) and writes each row
as it arrives, so its memory stays flat however long the log is. The log is exported up to the
size it had when the export began. Amounts are decimal strings in the ledger's currency
(``"11.80"``, with a ``currency`` column), times ISO 8601 UTC beside the Unix seconds.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from chain_client import human
from chain_client.client import LedgerClient
from chain_client.ledger import decode, decode_entry
from explorer.names import Names

# Argument names that hold an amount in minor units (docs/ledger.md, 'Transaction types').
MONEY_ARGS = frozenset(
    {"amount", "price", "salvage_value", "share_price", "fixed_rent", "usage_rate", "deposit"}
)
LOG_COLUMNS = ["index", "time", "unix_time", "type", "id", "signer", "signer_name", "args", "currency"]
PAYOUT_COLUMNS = ["invoice", "kind", "basis", "amount", "currency"]
JOURNAL_COLUMNS = ["index", "debit", "debit_name", "credit", "credit_name", "amount", "currency", "memo"]
READING_COLUMNS = [
    "batch", "position", "device", "token", "stamp", "unix_stamp", "status", "reason",
    "run_seconds", "increment", "readings", "message",
]  # fmt: skip


def _plain(value: Any, currency: str, key: str = "") -> Any:  # noqa: ANN401 - any argument value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): _plain(v, currency, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, currency, key) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and key in MONEY_ARGS:
        return human.decimal(value, currency)
    return value


def log_rows(client: LedgerClient, names: Names) -> Iterator[dict[str, Any]]:
    """Every entry of the log as it stands now, decoded from the raw entries (one request per 1,000)."""
    currency = names.currency
    for raw in client.iter_entries(0, names.info.size):
        entry = decode_entry(bytes.fromhex(raw.entry))
        tx = decode(entry.tx, check_signature=False)
        yield {
            "index": raw.index,
            "time": human.when(entry.time),
            "unix_time": entry.time,
            "type": tx.type,
            "id": tx.id,
            "signer": tx.signer,
            "signer_name": names.name(tx.signer),
            "args": _plain(tx.args, currency),
            "currency": currency,
        }


def payout_rows(client: LedgerClient, names: Names, account: str, page: int) -> Iterator[dict[str, Any]]:
    """Every payout line the account received, ``page`` lines a request."""
    for line in client.iter_payouts(account, page_size=page):
        yield {
            "invoice": line.invoice,
            "kind": line.kind,
            "basis": line.basis,
            "amount": human.decimal(line.amount, names.currency),
            "currency": names.currency,
        }


def journal_rows(client: LedgerClient, names: Names, account: str, page: int) -> Iterator[dict[str, Any]]:
    """Every posting that touched the account, oldest first, ``page`` postings a request."""
    for p in client.iter_journal(account, page_size=page):
        yield {
            "index": p.index,
            "debit": p.debit,
            "debit_name": names.party(p.debit),
            "credit": p.credit,
            "credit_name": names.party(p.credit),
            "amount": human.decimal(p.amount, names.currency),
            "currency": names.currency,
            "memo": p.memo,
        }


def reading_rows(client: LedgerClient, page: int, **filters: Any) -> Iterator[dict[str, Any]]:  # noqa: ANN401 - telemetry filters
    """Every stored reading matching ``filters``, in stamp order, ``page`` readings a request."""
    for r in client.iter_telemetry(page_size=page, **filters):
        yield {
            "batch": r.batch,
            "position": r.position,
            "device": r.device,
            "token": r.token,
            "stamp": human.when(r.stamp),
            "unix_stamp": r.stamp,
            "status": r.status,
            "reason": r.reason,
            "run_seconds": r.run_seconds,
            "increment": r.increment,
            "readings": r.readings,
            "message": r.message,
        }


def csv_stream(columns: list[str], rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """A header line, then one CSV line per row (nested values as JSON)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [
                json.dumps(row[c], sort_keys=True) if isinstance(row[c], dict | list) else row[c]
                for c in columns
            ]
        )
        yield buffer.getvalue()


def json_stream(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """A JSON array written one element at a time."""
    yield "["
    first = True
    for row in rows:
        yield ("\n" if first else ",\n") + json.dumps(row, sort_keys=True)
        first = False
    yield "\n]\n"
