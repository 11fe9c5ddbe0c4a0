"""Regenerate tests/vectors/audit-bundle.json: the bundle the CLI story exports (tests/cli/story.py).

Run ``python -m tests.vectors.audit_bundle`` after a deliberate change of the bundle's content
(the transactions it holds, the claims the ledger serves); it starts a backend in a temporary
directory, tells the story through the CLI and copies the exported bundle here, after checking
that it verifies against the story's log key.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from chain_client.audit import load, verify_bundle
from tests.cli.story import tell
from tests.gateway.ledger_backend import LedgerBackend

TARGET = Path(__file__).resolve().parent / "audit-bundle.json"


def main() -> None:
    """Tell the story on a fresh backend and keep its bundle as the vector."""
    with tempfile.TemporaryDirectory() as scratch:
        backend = LedgerBackend(Path(scratch) / "ledger")
        backend.start()
        try:
            workdir = Path(scratch) / "story"
            workdir.mkdir()
            story = tell(backend, workdir)
        finally:
            backend.kill()
        report = verify_bundle(load(story.bundle), story.accounts["operator"])
        if not report.ok:
            raise SystemExit(f"the story's bundle does not verify: {report.failures}")
        shutil.copyfile(story.bundle, TARGET)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
