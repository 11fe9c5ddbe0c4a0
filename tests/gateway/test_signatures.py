"""Batched signature checks: the C helper and the fallback give PyNaCl's answer for every input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey

from gateway import signatures

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
    from gateway._sigbatch import open_many

    assert signatures._HELPER is not None
    _, address = signatures._HELPER
    with pytest.raises(ValueError, match="2 messages but 1 keys"):
        open_many(address, [b"a" * 64, b"b" * 64], [b"k" * 32])
    with pytest.raises(TypeError, match="item 0"):
        open_many(address, ["text"], [b"k" * 32])  # type: ignore[list-item]  # the error under test
    with pytest.raises(ValueError, match="address is 0"):
        open_many(0, [], [])
