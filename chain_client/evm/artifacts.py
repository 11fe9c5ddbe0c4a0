"""The compiled contracts as committed (``contracts/build.mjs`` writes them; a test rebuilds them)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from chain_client.evm.errors import ChainError

DIR = Path(__file__).with_name("artifacts")
NAMES = ("CheckpointAnchor", "MachineToken")


@dataclass(frozen=True)
class Artifact:
    """One contract's ABI, creation bytecode and function selectors (4 bytes, by signature)."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    selectors: dict[str, bytes]

    def selector(self, signature: str) -> bytes:
        """The 4-byte selector of ``signature`` (e.g. ``latest(string)``)."""
        try:
            return self.selectors[signature]
        except KeyError:
            raise ChainError(f"{self.name} has no function {signature!r}") from None


@cache
def artifact(name: str) -> Artifact:
    """The committed artifact of contract ``name``."""
    if name not in NAMES:
        raise ChainError(f"no contract {name!r}; the contracts are {list(NAMES)}")
    data = json.loads((DIR / f"{name}.json").read_text())
    selectors = {sig: bytes.fromhex(sel) for sig, sel in data["methodIdentifiers"].items()}
    return Artifact(name, data["abi"], data["bytecode"], selectors)
