"""The witness's view of each log: the latest checkpoint it cosigned, one file per log.

A view is written to a temporary file, flushed to disk, renamed over the old
one and the directory flushed, before the witness answers: a crash (even
``kill -9``) leaves the old view or the new one, never half of one, and never
a cosignature the view does not cover.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chain_client.tlog.witness import origin_hash
from witness.errors import WitnessError

FORMAT = "leasechain-witness-view/1"
MAX_VIEW = 64 * 1024


@dataclass(frozen=True)
class View:
    """The latest cosigned checkpoint of one log: size, root, cosignature time, the note as served."""

    origin: str
    size: int
    root: bytes
    timestamp: int
    checkpoint: bytes


class Views:
    """The views of every log, in ``directory`` (``<sha256(origin)>.json``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob(".tmp-*"):
            stale.unlink(missing_ok=True)  # a write a crash interrupted; its view never counted

    def path(self, origin: str) -> Path:
        """The file of ``origin``'s view."""
        return self.directory / f"{origin_hash(origin)}.json"

    def get(self, origin: str) -> View | None:
        """The view of ``origin``, None if this witness never cosigned for it."""
        path = self.path(origin)
        try:
            with path.open("rb") as file:
                raw = file.read(MAX_VIEW + 1)
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
            if data["format"] != FORMAT or data["origin"] != origin:
                raise ValueError(f"format {data['format']!r}, origin {data['origin']!r}")
            return View(
                origin,
                int(data["size"]),
                base64.b64decode(data["root"], validate=True),
                int(data["timestamp"]),
                data["checkpoint"].encode(),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WitnessError(
                f"view {path} is damaged ({exc}): restore it, never cosign without it"
            ) from None

    def put(self, view: View) -> None:
        """Replace the view of ``view.origin``, durably, before returning."""
        body = {
            "format": FORMAT,
            "origin": view.origin,
            "size": view.size,
            "root": base64.b64encode(view.root).decode(),
            "timestamp": view.timestamp,
            "checkpoint": view.checkpoint.decode(),
        }
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w") as out:
                out.write(json.dumps(body, indent=1) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path(view.origin))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself must survive a power cut
        finally:
            os.close(directory)
