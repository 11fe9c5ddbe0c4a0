"""umqtt.simple from its PyPI source archive: pinned by hash, laid out as mip's index."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from firmware.tools.device import mipindex, pypisource
from firmware.tools.device.errors import DependencyError
from harness import unixport


def _archive(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _index(root: Path, pin: pypisource.Pinned, archive: bytes) -> None:
    page = root / "simple" / pin.project
    page.mkdir(parents=True)
    (page / pin.filename).write_bytes(archive)
    (page / "index.html").write_text(f'<a href="{pin.filename}#sha256=0">{pin.filename}</a>')


def test_the_archive_is_checked_against_its_pinned_hash(tmp_path: Path) -> None:
    good = _archive({"p-1.0/umqtt/simple.py": b"x = 1\n", "p-1.0/setup.py": b"", "p-1.0/PKG-INFO": b""})
    pin = pypisource.Pinned("umqtt.simple", "p", "1.0", hashlib.sha256(good).hexdigest())
    _index(tmp_path / "ok", pin, good)
    with unixport.serve(tmp_path / "ok") as url:
        data = pypisource.fetch(pin, index=f"{url}/simple", cache=tmp_path / "cache")
    assert pypisource.modules(data) == [("umqtt/simple.py", b"x = 1\n")]
    assert (tmp_path / "cache" / pin.filename).read_bytes() == good  # the next build needs no network

    tampered = _archive({"p-1.0/umqtt/simple.py": b"x = 2\n"})
    _index(tmp_path / "bad", pin, tampered)
    with unixport.serve(tmp_path / "bad") as url, pytest.raises(DependencyError, match=pin.sha256):
        pypisource.fetch(pin, index=f"{url}/simple", cache=tmp_path / "cache2")
    assert not (tmp_path / "cache2" / pin.filename).exists()


def test_a_package_without_a_pin_is_named(tmp_path: Path) -> None:
    with pytest.raises(DependencyError, match=r"package umqtt\.robust has no pinned PyPI source"):
        mipindex.build_from_pypi(["umqtt.robust"], tmp_path)


def test_the_index_has_mips_layout(tmp_path: Path) -> None:
    mipindex.build_files(tmp_path, "umqtt.simple", "1.3.4", [("umqtt/simple.py", b"x = 1\n")])
    body = json.loads((tmp_path / "package/py/umqtt.simple/latest.json").read_text())
    assert body == json.loads((tmp_path / "package/py/umqtt.simple/1.3.4.json").read_text())
    assert body["version"] == "1.3.4"
    [[path, short]] = body["hashes"]
    assert path == "umqtt/simple.py"
    assert (tmp_path / "file" / short[:2] / short).read_bytes() == b"x = 1\n"


def test_builds_filling_one_cache_at_once_all_get_the_archive(tmp_path: Path) -> None:
    # Parallel test workers (and two builds on one machine) download into the same cache: each
    # writes a file of its own and renames it, so none renames or truncates another's.
    good = _archive({f"p-1.0/umqtt/m{i}.py": os.urandom(20_000) for i in range(20)})
    pin = pypisource.Pinned("umqtt.simple", "p", "1.0", hashlib.sha256(good).hexdigest())
    _index(tmp_path / "ok", pin, good)
    cache = tmp_path / "cache"
    with unixport.serve(tmp_path / "ok") as url, ThreadPoolExecutor(8) as pool:
        index = f"{url}/simple"
        fetched = list(pool.map(lambda _: pypisource.fetch(pin, index=index, cache=cache), range(16)))
    assert fetched == [good] * 16
    assert sorted(p.name for p in cache.iterdir()) == [pin.filename]
    assert (cache / pin.filename).read_bytes() == good
