"""``flash``: firmware and mip dependencies onto a stock MicroPython board, skipping identical files."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from firmware.tools.device import deploy, mip
from firmware.tools.device.errors import DependencyError, FirmwareError
from firmware.tools.device.link import Board
from tests.device_tools.conftest import (
    DEP_FILE,
    DEP_NAME,
    DEP_SOURCE,
    BoardFactory,
    CliRunner,
    Source,
    write_index,
)

pytestmark = pytest.mark.micropython


def test_flash_deploys_everything_then_skips_what_is_identical(
    make_board: BoardFactory, cli: CliRunner, source: Source
) -> None:
    board = make_board(flashed=False)
    first = cli(
        "flash",
        "--port",
        board.port,
        "--source",
        str(source.firmware),
        "--index",
        str(source.index),
        "--json",
    )
    assert first.code == 0, first.out
    shipped = deploy.firmware_files(source.firmware)
    assert sorted(first.json["written"]) == sorted([*shipped, f"lib/{DEP_FILE}"])
    assert first.json["firmware"] == deploy.firmware_version(source.firmware)
    for path, data in shipped.items():
        assert (board.flash / path).read_bytes() == data, path
    assert (board.flash / "lib" / "leasechain" / "provision.py").exists()  # where mip puts the package
    with Board(board.port) as link:
        assert link.exec(
            "import lc_testdep, leasechain\nprint(lc_testdep.VALUE, leasechain.VERSION)"
        ).split() == [
            b"42",
            deploy.firmware_version(source.firmware).encode(),
        ]
    second = cli(
        "flash",
        "--port",
        board.port,
        "--source",
        str(source.firmware),
        "--index",
        str(source.index),
        "--json",
    )
    assert second.code == 0
    assert second.json["written"] == []
    assert second.json["bytes_written"] == 0
    assert len(second.json["unchanged"]) == len(first.json["written"])


def test_flash_rewrites_only_what_changed_removes_stale_modules_and_keeps_the_board_data(
    make_board: BoardFactory, cli: CliRunner, source: Source
) -> None:
    board = make_board()
    app = board.flash / "lib" / "leasechain" / "app.py"
    board.stop()
    app.write_bytes(app.read_bytes() + b"# edited on the board\n")
    (board.flash / "lib" / "leasechain" / "old_module.py").write_text("X = 1\n")
    (board.flash / "config.json").write_text('{"mqtt": {"host": "gw"}}')
    (board.flash / "data").mkdir()
    (board.flash / "data" / "key.bin").write_bytes(b"k" * 40)
    board.start()
    run = cli(
        "flash",
        "--port",
        board.port,
        "--source",
        str(source.firmware),
        "--index",
        str(source.index),
        "--json",
    )
    assert run.code == 0
    assert run.json["written"] == ["lib/leasechain/app.py"]
    assert run.json["removed"] == ["lib/leasechain/old_module.py"]
    assert app.read_bytes() == (source.firmware / "leasechain" / "app.py").read_bytes()
    assert not (board.flash / "lib" / "leasechain" / "old_module.py").exists()
    assert (board.flash / "config.json").read_text() == '{"mqtt": {"host": "gw"}}'
    assert (board.flash / "data" / "key.bin").read_bytes() == b"k" * 40


@pytest.fixture
def http_index(source: Source) -> Iterator[str]:
    """The test index served over HTTP, as micropython.org serves micropython-lib."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(source.index))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]  # quiet
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_dependencies_resolve_over_http_with_their_own_deps(
    tmp_path: Path, http_index: str, source: Source
) -> None:
    files = mip.resolve([(DEP_NAME, "latest")], http_index)
    assert [(f.path, f.package) for f in files] == [(DEP_FILE, DEP_NAME)]
    assert mip.download(files[0]) == DEP_SOURCE
    # A package whose deps point at another one: both are installed, each once.
    index = tmp_path / "index"
    write_index(index, "leaf", {"leaf.py": b"LEAF = 1\n"})
    write_index(index, "top", {"top.py": b"import leaf\n"})
    top = index / "package" / "py" / "top" / "latest.json"
    top.write_text(
        json.dumps({**json.loads(top.read_text()), "deps": [["leaf", "latest"], ["top", "latest"]]})
    )
    assert sorted(f.path for f in mip.resolve([("top", "latest")], str(index))) == ["leaf.py", "top.py"]


def test_a_dependency_that_does_not_match_its_hash_is_refused(
    make_board: BoardFactory, cli: CliRunner, source: Source, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    shutil.copytree(source.index, index)
    blob = next(p for p in (index / "file").rglob("*") if p.is_file())
    blob.write_bytes(b"VALUE = 'tampered'\n")
    board = make_board(flashed=False)
    run = cli("flash", "--port", board.port, "--source", str(source.firmware), "--index", str(index))
    assert run.code == DependencyError.exit_code
    assert "does not match its hash" in run.err
    assert DEP_NAME in run.err
    assert not (board.flash / "lib" / DEP_FILE).exists()


def test_an_unknown_dependency_or_unreachable_index_names_the_url(source: Source, tmp_path: Path) -> None:
    with pytest.raises(DependencyError, match="no-such-package"):
        mip.resolve([("no-such-package", "latest")], str(source.index))
    with pytest.raises(DependencyError, match="cannot reach the package index"):
        mip.resolve([("umqtt.simple", "latest")], "http://127.0.0.1:9")


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ('{"deps": "umqtt.simple"}', "deps must be a list"),
        ('{"deps": [["a", 1]]}', "is not a name or"),
        ("not json", "not valid JSON"),
    ],
)
def test_malformed_manifest_deps_are_named(tmp_path: Path, manifest: str, message: str) -> None:
    (tmp_path / "package.json").write_text(manifest)
    with pytest.raises(DependencyError, match=message):
        mip.manifest_deps(tmp_path)


def test_index_entries_cannot_write_outside_lib(tmp_path: Path) -> None:
    index = tmp_path / "index"
    package = index / "package" / "py" / "evil" / "latest.json"
    package.parent.mkdir(parents=True)
    package.write_text(json.dumps({"hashes": [["../boot.py", "abcdef12"]]}))
    with pytest.raises(DependencyError, match="not a file under /lib"):
        mip.resolve([("evil", "latest")], str(index))


def test_manifest_urls_must_be_files_of_the_firmware(source: Source, tmp_path: Path) -> None:
    firmware = tmp_path / "firmware"
    shutil.copytree(source.firmware, firmware)
    manifest = json.loads((firmware / "package.json").read_text())
    manifest["urls"].append(["leasechain/gone.py", "leasechain/gone.py"])
    (firmware / "package.json").write_text(json.dumps(manifest))
    with pytest.raises(FirmwareError, match=r"gone\.py"):
        deploy.firmware_files(firmware)
    manifest["urls"][-1] = ["x.py", "../../etc/passwd"]
    (firmware / "package.json").write_text(json.dumps(manifest))
    with pytest.raises(FirmwareError, match="not a file of the firmware"):
        deploy.firmware_files(firmware)


def test_shipped_manifest_deploys_every_package_file() -> None:
    files = deploy.firmware_files()
    package = Path(deploy.FIRMWARE_DIR) / "leasechain"
    expected = {
        "lib/" + p.relative_to(package.parent).as_posix()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert set(files) == expected | {"boot.py", "main.py", "lib/lcboot.py"}
    assert (
        hashlib.sha256(files["boot.py"]).digest()
        == hashlib.sha256((Path(deploy.FIRMWARE_DIR) / "boot.py").read_bytes()).digest()
    )
