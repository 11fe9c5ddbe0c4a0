"""Decoded values as JSON: the one rule the ledger's answers and the CLI's output share.

Bytes become lowercase hex, map keys text, tuples lists, pydantic models their fields; everything
else (text, integers, booleans, None) stays as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel


def plain(value: Any) -> Any:  # noqa: ANN401 - any decoded value in, its JSON value out
    """``value`` as a JSON value: bytes in hex, containers converted all the way down."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
