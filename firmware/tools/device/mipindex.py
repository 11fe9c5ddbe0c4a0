"""Build a local mip package index, for sites and tests without internet.

The packages come from a micropython-lib checkout (``build``) or from their
source archives on PyPI (``build_from_pypi``, pinned in ``pypisource``).

micropython-lib publishes its packages as a static index (``tools/build.py``
in micropython-lib, served at micropython.org/pi/v2): ``package/{py|6}/{name}/
{version}.json`` lists each file's install path and short SHA-256, and the
bytes live at ``file/{hash[:2]}/{hash}``.  ``mip`` on a board, ``mpremote
mip`` and ``leasechain-device flash --index`` all read that layout.  This
module writes the same layout (source files, the ``py`` flavour) for the
packages asked for and everything they ``require()``, from the packages'
own ``manifest.py`` files, so the files served are byte for byte the ones
in the checkout.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from firmware.tools.device.errors import DependencyError

HASH_PREFIX = 8  # micropython-lib's tools/build.py default
# Where micropython-lib keeps its packages (unix-ffi is for the unix port's FFI only).
LIBRARY_DIRS = ("micropython", "python-stdlib", "python-ecosys")


@dataclass
class Package:
    """One package as its manifest describes it."""

    name: str
    version: str = ""
    files: list[tuple[str, Path]] = field(default_factory=list)  # (install path, source)
    requires: list[str] = field(default_factory=list)


def find_package(lib: Path, name: str) -> Path:
    """The directory of package ``name`` in the micropython-lib checkout ``lib``."""
    for top in LIBRARY_DIRS:
        base = lib / top
        if not base.is_dir():
            continue
        for manifest in sorted(base.rglob("manifest.py")):
            if manifest.parent.name == name:
                return manifest.parent
    raise DependencyError(f"package {name} is not in the micropython-lib checkout {lib}")


def read_manifest(directory: Path) -> Package:
    """Evaluate ``directory/manifest.py`` with micropython-lib's manifest functions, recording them."""
    pkg = Package(directory.name)

    def metadata(version: str = "", **_info: object) -> None:
        pkg.version = version

    def require(name: str, **_opts: object) -> None:
        pkg.requires.append(name)

    def package(name: str, files: list[str] | None = None, base_path: str = ".", **_opts: object) -> None:
        root = directory / base_path
        sources = [root / name / f for f in files] if files else sorted((root / name).rglob("*.py"))
        for src in sources:
            pkg.files.append((src.relative_to(root).as_posix(), src))

    def module(name: str, base_path: str = ".", **_opts: object) -> None:
        src = directory / base_path / name
        pkg.files.append((src.name, src))

    def options(**_kw: object) -> None:
        pass

    scope: dict[str, object] = {
        "metadata": metadata,
        "require": require,
        "package": package,
        "module": module,
        "options": options,
        "__builtins__": __builtins__,
    }
    text = (directory / "manifest.py").read_text()
    exec(compile(text, str(directory / "manifest.py"), "exec"), scope)  # noqa: S102 - a manifest is code
    return pkg


def _put_file(index: Path, data: bytes) -> str:
    short = hashlib.sha256(data).hexdigest()[:HASH_PREFIX]
    target = index / "file" / short[:2] / short
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return short


def _put_package(index: Path, name: str, version: str, hashes: list[list[str]], requires: list[str]) -> None:
    body = {"hashes": hashes, "deps": [[r, "latest"] for r in requires], "version": version}
    for tag in {"latest", version} - {""}:
        out = index / "package" / "py" / name / f"{tag}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(body, separators=(",", ":")))


def build_files(index: Path, name: str, version: str, files: list[tuple[str, bytes]]) -> None:
    """Write package ``name`` (``files`` as (install path, bytes), no requirements) into ``index``."""
    hashes = [[path, _put_file(index, data)] for path, data in files]
    _put_package(index, name, version, hashes, [])


def build_from_pypi(names: list[str], index: Path, cache: Path | None = None) -> list[str]:
    """Write ``names`` into ``index`` from their source archives on PyPI (``pypisource.PINNED``)."""
    from firmware.tools.device import pypisource

    for name in names:
        pin = pypisource.PINNED.get(name)
        if pin is None:
            known = ", ".join(sorted(pypisource.PINNED))
            raise DependencyError(f"package {name} has no pinned PyPI source (known: {known})")
        build_files(index, name, pin.version, pypisource.modules(pypisource.fetch(pin, cache=cache)))
    return list(names)


def build(lib: Path, names: list[str], index: Path) -> list[str]:
    """Write the index for ``names`` and their requirements under ``index``; return every package written."""
    done: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop(0)
        if name in done:
            continue
        pkg = read_manifest(find_package(lib, name))
        hashes = [[path, _put_file(index, src.read_bytes())] for path, src in pkg.files]
        _put_package(index, name, pkg.version, hashes, pkg.requires)
        done.append(name)
        todo.extend(pkg.requires)
    return done
