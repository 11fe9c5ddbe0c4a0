"""A virtual device's flash: the firmware's ``FileStore`` interface, held in memory.

The real store (firmware/leasechain/store.py) fsyncs every write, which is
right on a board and would make ten thousand virtual devices wait on one
disk.  Writes here are atomic by construction (one dict assignment), so the
firmware's commit protocol (outbox file, then state record) behaves as on
the board; the contents outlive the ``Device`` object, so a new ``Device`` on
the same flash is a reboot.
"""

from __future__ import annotations

TMP_SUFFIX = ".tmp"


class MemoryFlash:
    """Named files in a dict; directories are name prefixes."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.dirs: set[str] = set()

    def path(self, name: str) -> str:
        """Full path of ``name`` (the flash has no root)."""
        return name

    def read(self, name: str) -> bytes | None:
        """Contents of ``name``, or None."""
        return self.files.get(name)

    def write(self, name: str, data: bytes) -> None:
        """Replace ``name`` with ``data``."""
        self.files[name] = bytes(data)

    def remove(self, name: str) -> None:
        """Delete ``name`` if it exists."""
        self.files.pop(name, None)

    def makedirs(self, name: str) -> None:
        """Create directory ``name``."""
        self.dirs.add(name)

    def listdir(self, name: str = "") -> list[str]:
        """Names directly inside directory ``name``."""
        prefix = name + "/" if name else ""
        return [p[len(prefix) :] for p in self.files if p.startswith(prefix) and "/" not in p[len(prefix) :]]

    def clean(self, name: str = "") -> None:
        """Remove leftovers of cut writes (there are none in memory, but keep the contract)."""
        for entry in self.listdir(name):
            if entry.endswith(TMP_SUFFIX):
                self.remove(name + "/" + entry if name else entry)
