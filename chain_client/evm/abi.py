"""The little of the Solidity ABI that reading an anchor needs: a string argument, uint words."""

from __future__ import annotations

from chain_client.evm.errors import ChainError

WORD = 32


def uint_word(value: int) -> bytes:
    """A uint256 word."""
    if not 0 <= value < 2**256:
        raise ChainError(f"{value} does not fit a uint256")
    return value.to_bytes(WORD, "big")


def call_data(selector: bytes, text: str, *words: int) -> bytes:
    """Call data of ``f(string, uint...)``: the string's offset, the uints, then the string."""
    raw = text.encode()
    padded = raw + b"\0" * (-len(raw) % WORD)
    head = uint_word(WORD * (1 + len(words))) + b"".join(uint_word(w) for w in words)
    return selector + head + uint_word(len(raw)) + padded


def words(data: bytes, count: int) -> list[int]:
    """The first ``count`` 32-byte words of a return value, as integers."""
    if len(data) < WORD * count:
        raise ChainError(f"the node returned {len(data)} bytes, expected at least {WORD * count}")
    return [int.from_bytes(data[i * WORD : (i + 1) * WORD], "big") for i in range(count)]


def address(word: int) -> str:
    """An address word as ``0x`` and 40 lowercase hex digits."""
    if word >> 160:
        raise ChainError(f"word {word:#x} is not an address")
    return f"0x{word:040x}"
