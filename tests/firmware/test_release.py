"""The device's check of a release manifest (firmware/leasechain/release.py) under MicroPython.

Every refusal is named: forged or foreign signatures, malformed, oversized and
hostile manifests, downgrades and versions this device rolled back before.
Manifests are signed on the host with libsodium, as leasechain-device release does.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from harness.micropython import MicroPython
from tests.firmware.device import run_mp

KEY = SigningKey(b"\x11" * 32)
OTHER = SigningKey(b"\x22" * 32)

SCRIPT = """
import mptest
from leasechain import release
out = []
for case in mptest.inp():
    with open("manifest.json", "wb") as f:
        f.write(mptest.unhx(case["manifest"]))
    try:
        got = release.check("manifest.json", mptest.unhx(case["sig"]), mptest.unhx(case["key"]),
                            "1.0.0", case["rejected"])
        out.append(["ok", got and [got[0], [list(f) for f in got[1]]]])
    except release.RefusedError as exc:
        out.append([exc.reason, exc.detail])
mptest.out(out)
"""


def entry(path: str = "leasechain/app.mpy", data: bytes = b"code") -> dict[str, Any]:
    return {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def manifest(version: str = "1.1.0", files: list[Any] | None = None, **extra: Any) -> bytes:
    body = {
        "format": "leasechain-release/1",
        "version": version,
        "files": [entry()] if files is None else files,
        **extra,
    }
    return json.dumps(body).encode()


def case(
    raw: bytes, key: SigningKey = KEY, rejected: tuple[str, ...] = (), tamper: bool = False
) -> dict[str, Any]:
    sig = bytearray(key.sign(raw).signature)
    if tamper:
        sig[5] ^= 1
    return {
        "manifest": raw.hex(),
        "sig": sig.hex(),
        "key": bytes(KEY.verify_key).hex(),
        "rejected": list(rejected),
    }


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("good", case(manifest()), "ok"),
    ("same version", case(manifest("1.0.0")), "ok"),
    ("flipped signature bit", case(manifest(), tamper=True), "bad_signature"),
    ("another key", case(manifest(), key=OTHER), "bad_signature"),
    ("older", case(manifest("0.9.9")), "downgrade"),
    ("rolled back here", case(manifest("1.1.0"), rejected=("1.1.0",)), "rolled_back_before"),
    ("oversized", case(manifest(pad="x" * 9000)), "bad_manifest"),
    ("not JSON", case(b"\xff not json"), "bad_manifest"),
    ("wrong format", case(json.dumps({"format": "other/1", "version": "1.1.0"}).encode()), "bad_manifest"),
    ("version 1.2", case(manifest("1.2")), "bad_manifest"),
    ("version 1.2.x", case(manifest("1.2.x")), "bad_manifest"),
    ("version not a string", case(manifest(7)), "bad_manifest"),  # type: ignore[arg-type]
    ("escaping path", case(manifest(files=[entry("leasechain/../boot.py")])), "bad_manifest"),
    ("absolute path", case(manifest(files=[entry("/leasechain/app.py")])), "bad_manifest"),
    ("outside the package", case(manifest(files=[entry("main.py")])), "bad_manifest"),
    ("not a module", case(manifest(files=[entry("leasechain/app.txt")])), "bad_manifest"),
    ("huge file", case(manifest(files=[{**entry(), "size": 70000}])), "bad_manifest"),
    ("bad hash", case(manifest(files=[{**entry(), "sha256": "00"}])), "bad_manifest"),
    ("twice", case(manifest(files=[entry(), entry()])), "bad_manifest"),
    ("no files", case(manifest(files=[])), "bad_manifest"),
    ("too many", case(manifest(files=[entry(f"leasechain/m{i}.mpy") for i in range(65)])), "bad_manifest"),
    (
        "too much",
        case(manifest(files=[{**entry(f"leasechain/m{i}.mpy"), "size": 60000} for i in range(9)])),
        "bad_manifest",
    ),
]


@pytest.fixture(scope="module")
def results(micropython: MicroPython, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    flash: Path = tmp_path_factory.mktemp("flash")
    got = run_mp(micropython, SCRIPT, [c for _, c, _ in CASES], flash=flash)
    return dict(zip([name for name, _, _ in CASES], got, strict=True))


@pytest.mark.micropython
@pytest.mark.parametrize(("name", "expected"), [(n, e) for n, _, e in CASES])
def test_each_manifest_gets_its_named_answer(results: dict[str, Any], name: str, expected: str) -> None:
    assert results[name][0] == expected, results[name]


@pytest.mark.micropython
def test_a_good_manifest_gives_its_version_and_files_and_the_running_one_nothing(
    results: dict[str, Any],
) -> None:
    assert results["good"] == [
        "ok",
        ["1.1.0", [["leasechain/app.mpy", 4, hashlib.sha256(b"code").hexdigest()]]],
    ]
    assert results["same version"] == ["ok", None]
    assert "older than the running 1.0.0" in results["older"][1]
