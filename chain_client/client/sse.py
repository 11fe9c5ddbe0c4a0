"""Server-Sent Events, as ``GET /v1/stream/readings`` sends them (one ``reading`` event per reading)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chain_client.client.errors import BadResponseError


@dataclass
class EventParser:
    """Feeds lines, yields ``(event, data)`` when a blank line ends an event; comments are skipped."""

    event: str = ""
    data: list[str] = field(default_factory=list)

    def feed(self, line: str) -> Iterator[tuple[str, Any]]:
        """Take one line (without its newline)."""
        if line == "":
            if self.data:
                text = "\n".join(self.data)
                try:
                    value = json.loads(text)
                except json.JSONDecodeError:
                    shown = text[:80]
                    raise BadResponseError(f"event {self.event!r} carries non-JSON data {shown!r}") from None
                yield self.event or "message", value
            self.event, self.data = "", []
            return
        if line.startswith(":"):
            return
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self.event = value
        elif name == "data":
            self.data.append(value)
