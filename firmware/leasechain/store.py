"""Files in the board's flash, each written atomically.

Every write goes to ``<name>.tmp`` first and is then renamed over ``<name>``:
a power cut leaves either the old file or the new one, never half of one
(LittleFS, the ESP32 default, renames atomically and commits a file on
close).  A stale ``.tmp`` is the trace of a cut write and is removed by
``clean``.

The primitives (``_write``, ``_rename``, ``_remove``) are the only places
that touch the file system, so a test can cut the power between any two of
them.
"""

import os

TMP_SUFFIX = ".tmp"


class FileStore:
    """Named files under ``root`` ("" is the current directory, as on the board)."""

    def __init__(self, root=""):
        self.root = root.rstrip("/")
        if self.root:
            self._mkdir(self.root)

    def path(self, name):
        """Full path of ``name``."""
        return self.root + "/" + name if self.root else name

    def read(self, name):
        """Contents of ``name``, or None if it does not exist."""
        try:
            with open(self.path(name), "rb") as f:
                return f.read()
        except OSError:
            return None

    def write(self, name, data):
        """Replace ``name`` with ``data`` atomically."""
        path = self.path(name)
        self._write(path + TMP_SUFFIX, data)
        self._rename(path + TMP_SUFFIX, path)

    def remove(self, name):
        """Delete ``name`` if it exists."""
        try:
            self._remove(self.path(name))
        except OSError:
            pass

    def makedirs(self, name):
        """Create the directory ``name`` (one level) if it does not exist."""
        self._mkdir(self.path(name))

    def listdir(self, name=""):
        """Names in the directory ``name`` (empty if it does not exist)."""
        try:
            return os.listdir(self.path(name) if name else (self.root or "."))
        except OSError:
            return []

    def clean(self, name=""):
        """Remove the leftovers of writes cut by a power loss in directory ``name``."""
        for entry in self.listdir(name):
            if entry.endswith(TMP_SUFFIX):
                self.remove(name + "/" + entry if name else entry)

    def _write(self, path, data):
        with open(path, "wb") as f:
            f.write(data)
            if hasattr(os, "fsync"):  # CPython: make the data durable before the rename
                f.flush()
                os.fsync(f.fileno())

    def _rename(self, src, dst):
        os.rename(src, dst)

    def _remove(self, path):
        os.remove(path)

    def _mkdir(self, path):
        try:
            os.mkdir(path)
        except OSError:
            pass
