"""Batched signature checks: the C helper and the fallback give PyNaCl's answer for every input."""

from __future__ import annotations

import _ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey

from chain_client import signatures

KEYS = [SigningKey(bytes([i]) * 32) for i in range(1, 5)]


def _pynacl(key: bytes, signature: bytes, message: bytes) -> bool:
    """The reference answer: PyNaCl's own verify."""
    from nacl.signing import VerifyKey

    try:
        VerifyKey(key).verify(message, signature)
    except (BadSignatureError, ValueError):
        return False
    return True


def _items() -> list[tuple[bytes, bytes, bytes]]:
    items = []
    for n, key in enumerate(KEYS):
        message = f"reading {n}".encode() * (n + 1)
        signature = key.sign(message).signature
        public = bytes(key.verify_key)
        items.append((public, signature, message))  # good
        items.append((public, signature, message + b"!"))  # message changed
        items.append((public, bytes([signature[0] ^ 1]) + signature[1:], message))  # signature changed
        items.append((bytes(KEYS[(n + 1) % len(KEYS)].verify_key), signature, message))  # another key
    items.append((bytes(KEYS[0].verify_key), b"\x00" * 63, b"short signature"))
    items.append((bytes(KEYS[0].verify_key), b"", b""))
    items.append((bytes(KEYS[0].verify_key), KEYS[0].sign(b"").signature, b""))  # empty message, good
    return items


@pytest.fixture(params=["helper", "fallback"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test through the C helper and through the one-call-per-signature fallback."""
    if request.param == "fallback":
        monkeypatch.setattr(signatures, "_HELPER", None)
    return str(request.param)


def test_the_helper_is_built_for_the_suite() -> None:
    # scripts/test installs with a compiler; without the helper the tests here would test the fallback twice.
    assert signatures.BATCHED


def test_answers_equal_pynacl(path: str) -> None:
    items = _items()
    assert signatures.verify_many(items) == [_pynacl(*item) for item in items]
    assert signatures.verify_many(items)[0] is True


def test_empty_list(path: str) -> None:
    assert signatures.verify_many([]) == []


def test_a_key_of_the_wrong_size_does_not_verify(path: str) -> None:
    key = KEYS[0]
    signature = key.sign(b"m").signature
    public = bytes(key.verify_key)
    assert signatures.verify_many([(public[:31], signature, b"m"), (public + b"\x00", signature, b"m")]) == [
        False,
        False,
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(KEYS) - 1),
            st.binary(max_size=300),
            st.integers(-1, 63),  # which signature byte to flip; -1 leaves it intact
            st.booleans(),  # sign another message than the one checked
        ),
        max_size=40,
    )
)
def test_random_lists_match_pynacl(cases: list[tuple[int, bytes, int, bool]]) -> None:
    items = []
    for index, message, flip, other in cases:
        key = KEYS[index]
        signature = bytearray(key.sign(message + b"x" if other else message).signature)
        if flip >= 0:
            signature[flip] ^= 0x40
        items.append((bytes(key.verify_key), bytes(signature), message))
    expected = [_pynacl(*item) for item in items]
    assert signatures.verify_many(items) == expected


def test_helper_rejects_bad_arguments() -> None:
    from chain_client._sigbatch import verify_many

    key, signature = bytes(KEYS[0].verify_key), KEYS[0].sign(b"m").signature
    assert verify_many([key], [signature], [b"m"]) == b"\x01"
    with pytest.raises(ValueError, match="2 keys, 1 signatures and 2 messages"):
        verify_many([key, key], [signature], [b"a", b"b"])
    with pytest.raises(TypeError, match="messages item 0 is str"):
        verify_many([key], [signature], ["m"])  # type: ignore[list-item]  # the error under test
    with pytest.raises(TypeError, match="keys must be a sequence"):
        verify_many(4096, [signature], [b"m"])  # type: ignore[arg-type]  # the error under test
    with pytest.raises(TypeError):
        verify_many(key, signature)  # type: ignore[call-arg, arg-type]  # the error under test


# Each line would have crashed the interpreter with the helper that took a function address from Python
# (open_many(4096, ...) jumped to address 4096); now each raises or answers, and the process exits cleanly.
HOSTILE = """
import threading
from chain_client._sigbatch import verify_many

key, sig = b"k" * 32, b"s" * 64
for args in [
    (4096, [sig], [b"m"]), (0, 0, 0), (None, None, None), ([4096], [sig], [b"m"]),
    ([key], [4096], [b"m"]), ([key], [sig], [4096]), ([key], [sig], [bytearray(b"m")]),
    ([key], [sig], [memoryview(b"m")]), ([key[:1]], [sig[:1]], [b""]), (iter([key]), [sig], [b"m"]),
    ([key] * 3, [sig] * 2, [b"m"] * 3), (b"", b"", b""), ("abc", "abc", "abc"),
]:
    try:
        print(verify_many(*args))
    except (TypeError, ValueError) as exc:
        print(type(exc).__name__, exc)

# Lists changed by another thread while the helper runs without the lock: it holds its own references.
messages = [bytes(1000) for _ in range(2000)]
stop = False
def churn():
    while not stop:
        messages[:] = [bytes(1000) for _ in range(2000)]
worker = threading.Thread(target=churn)
worker.start()
for _ in range(20):
    assert verify_many([key] * 2000, [sig] * 2000, messages) == bytes(2000)
stop = True
worker.join()
print("done")
"""


def test_hostile_arguments_raise_and_never_crash() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HOSTILE], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("done\n")
    assert "TypeError verify_many: keys must be a sequence of bytes" in done.stdout
    assert "TypeError verify_many: messages item 0 is bytearray, not bytes" in done.stdout


def test_the_helper_refuses_to_load_a_libsodium_that_fails_its_self_test(tmp_path: Path) -> None:
    # A `nacl` package whose _sodium is not libsodium: the helper does not import, so no call goes astray.
    fake = tmp_path / "nacl"
    (fake / "bindings").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "bindings" / "__init__.py").write_text("")
    shutil.copy(_ctypes.__file__, fake / "_sodium.abi3.so")
    from chain_client import _sigbatch

    # The built helper loaded by its path, so that only the fake `nacl` is importable beside it.
    script = (
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('_sigbatch', {_sigbatch.__file__!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "ImportError: _sigbatch:" in done.stderr
    assert "lacks libsodium's Ed25519 functions" in done.stderr
