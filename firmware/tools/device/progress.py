"""Progress for people: step lines and a file bar on stderr, only when it is a terminal."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """Shows ``step`` lines and ``file`` progress when ``stream`` is a TTY; silent otherwise."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._bar = False

    def step(self, text: str) -> None:
        """Announce the next step."""
        if self.enabled:
            self._end_bar()
            self.stream.write(f"* {text}\n")
            self.stream.flush()

    def file(self, name: str, done: int, total: int) -> None:
        """Redraw the bar for ``name``: ``done`` of ``total`` bytes."""
        if not self.enabled:
            return
        width = 30
        filled = width * done // total if total else width
        self.stream.write(f"\r  {name:<40.40} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        self.stream.flush()
        self._bar = True
        if done >= total:
            self._end_bar()

    def _end_bar(self) -> None:
        if self._bar:
            self.stream.write("\n")
            self._bar = False
