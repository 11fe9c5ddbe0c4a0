"""micropython-lib packages as PyPI carries them, for building a local mip index.

micropython-lib's own index (micropython.org/pi/v2) and its repository are
not always reachable from a bench or CI machine; PyPI is.  micropython-lib
published its packages there as source distributions until 2017, and
``umqtt.simple`` 1.3.4 is the newest one (the firmware is written for its
API, docs/firmware.md).  Those archives have no ``setup.py``, so ``pip
download`` refuses them; this module reads PyPI's Simple API (PEP 503) the
way pip does, downloads the archive, checks it against the SHA-256 pinned
here, and returns its modules for ``mipindex.build_files``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tarfile
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from firmware.tools.device.errors import DependencyError

SIMPLE_INDEX = "https://pypi.org/simple"
_MAX_ARCHIVE = 1 << 20  # these archives are a few KB; a bigger answer is not the package


@dataclass(frozen=True)
class Pinned:
    """One micropython-lib package on PyPI: the mip name, the PyPI project, version and archive hash."""

    name: str
    project: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.project}-{self.version}.tar.gz"


UMQTT_SIMPLE = Pinned(
    "umqtt.simple",
    "micropython-umqtt.simple",
    "1.3.4",
    "b6a2520239e3992c63a7de9370ee9b3d9d27819a90359c521f1c0f7ccab8d12f",
)
PINNED = {p.name: p for p in (UMQTT_SIMPLE,)}


def cache_dir() -> Path:
    """Where downloaded archives are kept (``$LEASECHAIN_CACHE`` or ``~/.cache/leasechain``)."""
    base = os.environ.get("LEASECHAIN_CACHE") or os.path.join(Path.home(), ".cache", "leasechain")
    return Path(base) / "pypi"


def _archive_url(pin: Pinned, index: str) -> str:
    page_url = f"{index.rstrip('/')}/{pin.project}/"
    try:
        with urllib.request.urlopen(page_url, timeout=30) as answer:  # noqa: S310 - an https index URL
            page = answer.read(_MAX_ARCHIVE).decode("utf-8", "replace")
    except OSError as exc:
        raise DependencyError(f"cannot read the package index {page_url}: {exc}") from None
    for href in re.findall(r'href="([^"]+)"', page):
        link = href.split("#")[0]
        if link.rsplit("/", 1)[-1] == pin.filename:
            return str(urllib.parse.urljoin(page_url, link))
    raise DependencyError(f"{pin.filename} is not listed on {page_url}")


def fetch(pin: Pinned, index: str = SIMPLE_INDEX, cache: Path | None = None) -> bytes:
    """The archive of ``pin``, from the cache or the index, checked against its pinned SHA-256."""
    folder = cache or cache_dir()
    path = folder / pin.filename
    if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == pin.sha256:
        return path.read_bytes()
    url = _archive_url(pin, index)
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 - a URL the index listed
            data: bytes = answer.read(_MAX_ARCHIVE + 1)
    except OSError as exc:
        raise DependencyError(f"cannot download {url}: {exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != pin.sha256:
        raise DependencyError(f"{url} has SHA-256 {digest}, expected {pin.sha256}")
    folder.mkdir(parents=True, exist_ok=True)
    # A temporary name of this writer's own: processes filling the same cache at once (parallel
    # test workers, two builds on one machine) must never write into, or rename, each other's file.
    handle, part = tempfile.mkstemp(dir=folder, prefix=f"{pin.filename}.", suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    Path(part).replace(path)
    return data


def modules(archive: bytes) -> list[tuple[str, bytes]]:
    """The ``.py`` files of a micropython-lib source archive as (install path, bytes), setup.py left out."""
    out = []
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if not member.isfile() or len(parts) < 2 or not member.name.endswith(".py"):
                continue
            inner = "/".join(parts[1:])
            if inner == "setup.py" or ".." in parts or inner.startswith("/"):
                continue
            handle = tar.extractfile(member)
            assert handle is not None  # a regular file, checked above
            out.append((inner, handle.read()))
    if not out:
        raise DependencyError("the archive holds no modules")
    return sorted(out)
