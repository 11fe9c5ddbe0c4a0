"""Deploy the firmware (and its mip dependencies) onto a board running stock MicroPython.

Files whose SHA-256 on the board already equals the host's are skipped, so a
second ``flash`` writes nothing.  Each file is written to ``<name>.tmp`` and
renamed into place, and every written file's hash is read back and compared:
a cable pulled mid-way leaves whole files only, and a corrupted write is an
error rather than a board that boots half a firmware.  The board's data
(``config.json``, the data directory with the key) is never touched.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from firmware.tools.device import mip
from firmware.tools.device.errors import BoardError, FirmwareError
from firmware.tools.device.link import Board

FIRMWARE_DIR = Path(__file__).resolve().parents[2]
ROOT_FILES = ("boot.py", "main.py")
PACKAGE_DIR = "leasechain"
BOARD_PACKAGE_DIR = "lib/leasechain"  # where mip puts the package on the board
CHUNK = 2048  # raw bytes per REPL command (base64 on the wire)

Progress = Callable[[str, int, int], None]


@dataclass
class FlashReport:
    """What ``flash`` did, file by file."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    bytes_written: int = 0
    firmware_version: str = ""

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "firmware": self.firmware_version,
            "written": self.written,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "bytes_written": self.bytes_written,
        }


def firmware_version(source: Path = FIRMWARE_DIR) -> str:
    """The VERSION in ``source/leasechain/__init__.py`` (what flash deploys)."""
    init = source / PACKAGE_DIR / "__init__.py"
    for line in init.read_text().splitlines():
        if line.startswith("VERSION"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise FirmwareError(f"{init} has no VERSION line")


def firmware_files(source: Path = FIRMWARE_DIR) -> dict[str, bytes]:
    """Board path -> contents of every file the firmware consists of.

    As ``mip install firmware/package.json`` places them: the manifest's
    ``urls`` under ``/lib``, and ``boot.py`` and ``main.py`` at the root.
    """
    package = source / PACKAGE_DIR
    if not package.is_dir():
        raise FirmwareError(f"{package} is not a firmware package directory")
    files: dict[str, bytes] = {}
    for name in ROOT_FILES:
        path = source / name
        if path.exists():
            files[name] = path.read_bytes()
    for dest, src in _manifest_urls(source):
        path = source / src
        if not path.is_file():
            raise FirmwareError(f"{source / 'package.json'} lists {src!r}, which does not exist")
        files[f"{mip.LIB_DIR}/{dest}"] = path.read_bytes()
    return files


def _manifest_urls(source: Path) -> list[tuple[str, str]]:
    """The manifest's (destination, source) pairs; every package file when there is no manifest."""
    manifest = source / "package.json"
    if not manifest.exists():
        paths = [
            p.relative_to(source).as_posix()
            for p in sorted((source / PACKAGE_DIR).rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        ]
        return [(p, p) for p in paths]
    try:
        urls = json.loads(manifest.read_text()).get("urls", [])
    except (ValueError, AttributeError) as exc:
        raise FirmwareError(f"{manifest} is not a JSON package manifest: {exc}") from None
    pairs: list[tuple[str, str]] = []
    for entry in urls:
        if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(p, str) for p in entry)):
            raise FirmwareError(f"{manifest}: urls entry {entry!r} is not [destination, source]")
        if entry[1].startswith(("http://", "https://", "github:")) or ".." in entry[1].split("/"):
            raise FirmwareError(f"{manifest}: {entry[1]!r} is not a file of the firmware directory")
        pairs.append((entry[0], entry[1]))
    return pairs


_HASH_CODE = """
import hashlib, binascii, json, os
def _h(p):
    try:
        f = open(p, 'rb')
    except OSError:
        return None
    h = hashlib.sha256()
    b = bytearray(512)
    m = memoryview(b)
    while True:
        n = f.readinto(b)
        if not n:
            break
        h.update(m[:n])
    f.close()
    return binascii.hexlify(h.digest()).decode()
def _walk(d, out):
    try:
        entries = list(os.ilistdir(d))
    except OSError:
        return
    for e in entries:
        p = d + '/' + e[0]
        if e[1] & 0x4000:
            _walk(p, out)
        else:
            out.append(p)
_found = []
for _d in %(dirs)r:
    _walk(_d, _found)
print('LCP ' + json.dumps({'hashes': dict((p, _h(p)) for p in %(paths)r), 'found': _found}))
"""

_OPEN_CODE = """
import os, binascii
for _d in %(dirs)r:
    try:
        os.mkdir(_d)
    except OSError:
        pass
_f = open(%(tmp)r, 'wb')
"""

_WRITE_CODE = "_f.write(binascii.a2b_base64(%r))"

_CLOSE_CODE = """
_f.close()
try:
    os.rename(%(tmp)r, %(path)r)
except OSError:
    os.remove(%(path)r)
    os.rename(%(tmp)r, %(path)r)
"""


def remote_state(
    board: Board, paths: list[str], dirs: tuple[str, ...] = ()
) -> tuple[dict[str, str | None], list[str]]:
    """SHA-256 (hex, None if absent) of ``paths`` on the board, and every file found under ``dirs``."""
    reply = board.call(_HASH_CODE % {"paths": paths, "dirs": list(dirs)}, timeout=60)
    hashes = reply.get("hashes")
    found = reply.get("found")
    if not isinstance(hashes, dict) or not isinstance(found, list):
        raise BoardError(f"the board on {board.port!r} answered the hash query with {reply!r}")
    return {str(k): (str(v) if v is not None else None) for k, v in hashes.items()}, [str(p) for p in found]


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def write_file(board: Board, path: str, data: bytes, progress: Progress | None = None) -> None:
    """Write ``data`` to ``path`` on the board via ``path.tmp`` and a rename."""
    tmp = path + ".tmp"
    board.exec(_OPEN_CODE % {"dirs": _parents(path), "tmp": tmp})
    for offset in range(0, len(data), CHUNK):
        chunk = data[offset : offset + CHUNK]
        board.exec(_WRITE_CODE % base64.b64encode(chunk))
        if progress is not None:
            progress(path, offset + len(chunk), len(data))
    board.exec(_CLOSE_CODE % {"tmp": tmp, "path": path})


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def flash(
    board: Board,
    source: Path = FIRMWARE_DIR,
    index: str = mip.DEFAULT_INDEX,
    progress: Progress | None = None,
) -> FlashReport:
    """Bring the board's firmware files and /lib dependencies up to ``source``; return what changed."""
    wanted = firmware_files(source)
    lib_files = mip.resolve(mip.manifest_deps(source), index)
    lib_paths = {f"{mip.LIB_DIR}/{f.path}": f for f in lib_files}
    paths = sorted(wanted) + sorted(lib_paths)
    current, found = remote_state(board, paths, dirs=(BOARD_PACKAGE_DIR,))
    report = FlashReport(firmware_version=firmware_version(source))
    for path, lib_file in sorted(lib_paths.items()):
        have = current.get(path)
        if have is not None and lib_file.short_hash and have.startswith(lib_file.short_hash):
            report.unchanged.append(path)
            continue
        data = mip.download(lib_file)
        if have == _sha(data):
            report.unchanged.append(path)
            continue
        wanted[path] = data
    for path in sorted(wanted):
        data = wanted[path]
        if current.get(path) == _sha(data):
            report.unchanged.append(path)
            continue
        write_file(board, path, data, progress)
        report.written.append(path)
        report.bytes_written += len(data)
    # Modules an older firmware had and this one has not would still be importable.
    for path in sorted(set(found) - set(wanted)):
        board.exec(f"import os\nos.remove({path!r})")
        report.removed.append(path)
    if report.written:
        check, _ = remote_state(board, report.written)
        bad = [p for p in report.written if check.get(p) != _sha(wanted[p])]
        if bad:
            raise BoardError(f"the board on {board.port!r} holds different bytes than were sent for {bad}")
    # An over-the-air update would still be chosen over what was just flashed: the copy the
    # technician flashed is the one that runs (docs/firmware.md, "Updates and rollback").
    out = board.exec(_FORGET_UPDATES).decode(errors="replace")
    if "removed" in out:
        report.removed.append(_SLOT_FILE)
    return report


_SLOT_FILE = "app/slot.json"  # lcboot.SLOT_FILE
_FORGET_UPDATES = f"""
import os
try:
    os.remove({_SLOT_FILE!r})
    print('removed')
except OSError:
    pass
"""


def installed(board: Board, source: Path = FIRMWARE_DIR) -> dict[str, object]:
    """Compare the board's firmware files with ``source``: missing and differing paths."""
    wanted = firmware_files(source)
    current, found = remote_state(board, sorted(wanted), dirs=(BOARD_PACKAGE_DIR,))
    missing = [p for p in sorted(wanted) if current.get(p) is None]
    differ = [p for p in sorted(wanted) if current.get(p) not in (None, _sha(wanted[p]))]
    extra = sorted(set(found) - set(wanted))
    return {"missing": missing, "differ": differ, "extra": extra}


__all__ = ["FIRMWARE_DIR", "FlashReport", "firmware_files", "firmware_version", "flash", "installed"]
