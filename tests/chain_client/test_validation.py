"""Settings errors name the key, the value and what was expected."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from chain_client.validation import describe, problems


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    port: int
    host: str = "localhost"


class Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    net: Inner


def _problems(data: dict[str, object]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        Outer.model_validate(data)
    return problems(info.value, Outer)


def test_missing_unknown_and_wrong_values_are_each_named() -> None:
    found = _problems({"net": {"port": "eighty", "hots": "x"}})
    assert "name: missing; expected a value (this key is required)" in found
    assert "net.port = 'eighty' (str): expected a valid integer, unable to parse string as an integer" in (
        found
    )
    assert "net.hots = 'x' (str): unknown key; expected one of: host, port" in found
    assert len(found) == 3


def test_long_values_are_shortened() -> None:
    assert describe("x" * 100) == "'" + "x" * 56 + "... (str)"
    assert describe(3) == "3 (int)"
