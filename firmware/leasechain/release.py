"""A release of the app as the device checks it: a signed manifest (docs/firmware.md, "Updates").

``manifest.json`` is JSON::

    {"format": "leasechain-release/1", "version": "1.1.0",
     "files": [{"path": "leasechain/app.mpy", "size": 5120, "sha256": "<64 hex>"}, ...]}

``manifest.sig`` is the 64-byte Ed25519 signature (RFC 8032) of the manifest's
bytes exactly as served, by the fleet's release key.  The signature is checked
before the manifest is parsed, and every bound (manifest size, file count, file
and total size, path shape) is checked before anything is fetched, so a
hostile server chooses none of the device's costs beyond one bounded fetch.
"""

import json
import os

from . import streamed

FORMAT = "leasechain-release/1"
MAX_MANIFEST = 8192
MAX_FILES = 64
MAX_FILE = 65536
MAX_TOTAL = 524288
_PATH_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_./"
_SUFFIXES = (".py", ".mpy", ".bin")

# Reasons the device names in its update status message (docs/firmware.md).
BAD_SIGNATURE = "bad_signature"
BAD_MANIFEST = "bad_manifest"
DOWNGRADE = "downgrade"
ROLLED_BACK = "rolled_back_before"
FILE_MISMATCH = "file_mismatch"
FETCH_FAILED = "fetch_failed"


class RefusedError(Exception):
    """A release the device will not install; ``reason`` is one of the names above."""

    def __init__(self, reason, detail):
        super().__init__("%s: %s" % (reason, detail))
        self.reason = reason
        self.detail = detail


def parse_version(text):
    """``"1.2.3"`` as a tuple of three integers; raise RefusedError(bad_manifest)."""
    parts = text.split(".") if isinstance(text, str) and len(text) <= 32 else []
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 6 for p in parts):
        raise RefusedError(BAD_MANIFEST, "version %r is not MAJOR.MINOR.PATCH" % (text,))
    return (int(parts[0]), int(parts[1]), int(parts[2]))


def _check_path(path):
    ok = isinstance(path, str) and 0 < len(path) <= 64 and path.startswith("leasechain/")
    ok = ok and all(c in _PATH_CHARS for c in path) and ".." not in path and "//" not in path
    if not ok or not path.endswith(_SUFFIXES):
        raise RefusedError(BAD_MANIFEST, "file path %r is not a leasechain module" % (path,))


def _check_file(entry):
    if not isinstance(entry, dict):
        raise RefusedError(BAD_MANIFEST, "file entry %r is not an object" % (entry,))
    _check_path(entry.get("path"))
    size = entry.get("size")
    digest = entry.get("sha256")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_FILE:
        raise RefusedError(BAD_MANIFEST, "size of %s is %r, at most %d" % (entry["path"], size, MAX_FILE))
    if not isinstance(digest, str) or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        raise RefusedError(BAD_MANIFEST, "sha256 of %s is %r, not 64 hex digits" % (entry["path"], digest))
    return entry["path"], size, digest


def _blocks(path):
    # One 128-byte buffer, reused: SHA-512 consumes each block before the next is read.
    buf = bytearray(128)
    view = memoryview(buf)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                return
            yield view[:n]


def check(path, signature, public_key, running, rejected=(), table=None):
    """The release the manifest in file ``path`` offers, as (version, [(path, size, sha256)]), or None.

    None when it offers the ``running`` version.  Raise RefusedError when the
    signature is not the release key's, the manifest is malformed or out of
    bounds, the version is older than ``running`` or was rolled back on this
    device before (``rejected``).  The manifest is read from flash a block at
    a time, so no part of the heap need hold it whole.
    """
    size = os.stat(path)[6]
    if size > MAX_MANIFEST:
        raise RefusedError(BAD_MANIFEST, "manifest is %d bytes, at most %d" % (size, MAX_MANIFEST))
    if not streamed.verify_parts(public_key, _blocks(path), signature, table):
        raise RefusedError(BAD_SIGNATURE, "manifest is not signed by the release key")
    body = read_json(path)
    if body is None:
        raise RefusedError(BAD_MANIFEST, "manifest is not JSON")
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise RefusedError(BAD_MANIFEST, "format is not %s" % FORMAT)
    version = body.get("version")
    offered = parse_version(version)
    if offered == parse_version(running):
        return None
    if offered < parse_version(running):
        raise RefusedError(DOWNGRADE, "%s is older than the running %s" % (version, running))
    if version in rejected:
        raise RefusedError(ROLLED_BACK, "%s was rolled back on this device" % version)
    entries = body.get("files")
    if not isinstance(entries, list) or not 0 < len(entries) <= MAX_FILES:
        raise RefusedError(BAD_MANIFEST, "files must list 1 to %d entries" % MAX_FILES)
    files = [_check_file(e) for e in entries]
    if sum(f[1] for f in files) > MAX_TOTAL:
        raise RefusedError(BAD_MANIFEST, "files add up to more than %d bytes" % MAX_TOTAL)
    if len(set(f[0] for f in files)) != len(files):
        raise RefusedError(BAD_MANIFEST, "a path is listed twice")
    return version, files


def read_json(path):
    """The JSON value in file ``path`` (parsed from the stream), or None if it is not JSON."""
    try:
        with open(path) as f:
            return json.load(f)
    except (ValueError, OSError):
        return None
