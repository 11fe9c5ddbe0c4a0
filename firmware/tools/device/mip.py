"""Resolve the firmware's mip dependencies (``package.json`` "deps") against a package index.

The index speaks micropython-lib's layout, as ``mip`` on the board and
``mpremote mip`` do: ``{index}/package/py/{name}/{version}.json`` lists a
package's files by short SHA-256 (``hashes``), files live at
``{index}/file/{hash[:2]}/{hash}``, and ``deps`` name further packages.
Files are installed under ``/lib`` on the board.  The index may also be a
local directory with the same layout (a mirror, for sites without internet).
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firmware.tools.device.errors import DependencyError

DEFAULT_INDEX = "https://micropython.org/pi/v2"
LIB_DIR = "lib"
MAX_DEPTH = 8


@dataclass(frozen=True)
class LibFile:
    """One dependency file: where it goes on the board and its short SHA-256 from the index."""

    package: str
    path: str
    short_hash: str
    url: str


def manifest_deps(source: Path) -> list[tuple[str, str]]:
    """The ``deps`` of ``source/package.json`` as (name, version); none if the file is absent."""
    manifest = source / "package.json"
    if not manifest.exists():
        return []
    try:
        data = json.loads(manifest.read_text())
    except ValueError as exc:
        raise DependencyError(f"{manifest} is not valid JSON: {exc}") from None
    deps = data.get("deps", []) if isinstance(data, dict) else None
    if not isinstance(deps, list):
        raise DependencyError(f"{manifest}: deps must be a list of [name, version] pairs, got {deps!r}")
    out: list[tuple[str, str]] = []
    for dep in deps:
        if isinstance(dep, str):
            out.append((dep, "latest"))
        elif isinstance(dep, list) and len(dep) in (1, 2) and all(isinstance(p, str) for p in dep):
            out.append((dep[0], dep[1] if len(dep) == 2 else "latest"))
        else:
            raise DependencyError(f"{manifest}: dependency {dep!r} is not a name or [name, version]")
    return out


def _fetch(url: str, timeout: float) -> bytes:
    if not url.startswith(("http://", "https://")):
        # A local mirror of the index (a directory with the same layout), for sites without internet.
        path = Path(url.removeprefix("file://"))
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise DependencyError(f"package index has no {path}") from None
        except OSError as exc:
            raise DependencyError(f"cannot read {path} from the package index: {exc.strerror}") from None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            data: bytes = response.read()
            return data
    except urllib.error.HTTPError as exc:
        raise DependencyError(f"package index answered {exc.code} for {url}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DependencyError(f"cannot reach the package index for {url}: {reason}") from None


def resolve(deps: list[tuple[str, str]], index: str, timeout: float = 20.0) -> list[LibFile]:
    """Every file the dependencies (and theirs) consist of, each path once."""
    index = index.rstrip("/")
    files: dict[str, LibFile] = {}
    seen: set[str] = set()

    def visit(name: str, version: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise DependencyError(f"dependency chain deeper than {MAX_DEPTH} at {name!r}")
        if name in seen:
            return
        seen.add(name)
        url = f"{index}/package/py/{name}/{version}.json"
        try:
            package: Any = json.loads(_fetch(url, timeout))
        except ValueError:
            raise DependencyError(f"{url} is not a package description (not JSON)") from None
        if not isinstance(package, dict):
            raise DependencyError(f"{url} is not a package description")
        for entry in package.get("hashes", []):
            path, short_hash = _pair(entry, url, "hashes")
            files.setdefault(
                path, LibFile(name, path, short_hash, f"{index}/file/{short_hash[:2]}/{short_hash}")
            )
        for entry in package.get("urls", []):
            path, file_url = _pair(entry, url, "urls")
            if not file_url.startswith(("http://", "https://")):
                if ".." in file_url.split("/"):
                    raise DependencyError(f"{url}: file URL {file_url!r} leaves the package")
                file_url = url.rpartition("/")[0] + "/" + file_url
            files.setdefault(path, LibFile(name, path, "", file_url))
        for dep in package.get("deps", []):
            dep_name, dep_version = _pair(dep, url, "deps")
            visit(dep_name, dep_version or "latest", depth + 1)

    for name, version in deps:
        visit(name, version, 0)
    return list(files.values())


def _pair(entry: object, url: str, field: str) -> tuple[str, str]:
    if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(p, str) for p in entry)):
        raise DependencyError(f"{url}: {field} entry {entry!r} is not a pair of strings")
    if field != "deps" and (entry[0].startswith("/") or ".." in entry[0].split("/") or not entry[0]):
        raise DependencyError(f"{url}: target path {entry[0]!r} is not a file under /lib")
    return entry[0], entry[1]


def download(lib_file: LibFile, timeout: float = 20.0) -> bytes:
    """A file's bytes, checked against its short hash when the index gives one."""
    data = _fetch(lib_file.url, timeout)
    if lib_file.short_hash and not hashlib.sha256(data).hexdigest().startswith(lib_file.short_hash):
        raise DependencyError(
            f"{lib_file.url} does not match its hash {lib_file.short_hash} (package {lib_file.package})"
        )
    return data
