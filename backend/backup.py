"""Backups of the embedded database through SQLite's online backup API.

The backup API copies pages under SQLite's own locking, so the copy is one consistent state of the
database even while a server goes on appending (WAL mode); a restore is starting a backend on the copy.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from backend.errors import BackendError

PAGES_PER_STEP = 1024  # copy in steps, so a running server's writers are never held for long


def backup_sqlite(source: Path, dest: Path) -> int:
    """Copy the database ``source`` to the new file ``dest``; the bytes written."""
    if dest.exists():
        raise BackendError(f"backup destination {dest} exists already; name a new file")
    if not dest.parent.is_dir():
        raise BackendError(f"backup destination directory {dest.parent} does not exist")
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(dest) as out:
            src.backup(out, pages=PAGES_PER_STEP)
    except sqlite3.Error as exc:
        dest.unlink(missing_ok=True)
        raise BackendError(f"cannot back up {source} to {dest}: {exc}") from None
    return dest.stat().st_size
