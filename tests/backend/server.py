"""A real ``leasechain-backend serve`` process for the HTTP tests, and a tiny JSON client."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from harness.ports import ProcessExitedError, free_port, wait_for_port
from tests.backend.world import seeded_key

OPERATOR_KEY = seeded_key("http-operator")


def command() -> list[str]:
    """The installed console script, or the module when it is not on PATH."""
    script = shutil.which("leasechain-backend") or str(Path(sys.executable).with_name("leasechain-backend"))
    return [script] if Path(script).exists() else [sys.executable, "-m", "backend"]


class Server:
    """``leasechain-backend serve`` on a free port."""

    def __init__(self, data_dir: Path, key_file: Path, db: tuple[str, str | None]) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_args = ["--data-dir", str(data_dir)]
        url, schema = db
        if not url.startswith("sqlite"):
            self.db_args += ["--db", url, "--db-schema", str(schema)]
        self.args = [*command(), "serve", *self.db_args, "--port", str(self.port), "--key", str(key_file)]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.data_dir / "server.log").open("wb")
        self.process = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
        try:
            wait_for_port("127.0.0.1", self.port, 60, self.process)
        except ProcessExitedError:
            raise RuntimeError((self.data_dir / "server.log").read_text()) from None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def replay(self) -> dict[str, Any]:
        out = subprocess.run(
            [*command(), "replay", *self.db_args], capture_output=True, check=True, timeout=120
        )
        return json.loads(out.stdout)  # type: ignore[no-any-return]

    def raw(self, path: str) -> str:
        """GET a text document."""
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return str(response.read().decode())

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return json.loads(response.read())

    def post(self, path: str, body: bytes, content_type: str = "application/cbor") -> tuple[int, Any]:
        request = urllib.request.Request(
            self.url + path, data=body, method="POST", headers={"Content-Type": content_type}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def get_status(self, path: str) -> tuple[int, Any]:
        try:
            return 200, self.get(path)
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def call(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """Any request, sent as given (``path`` already URL-encoded): its status and answer.

        The answer is decoded JSON, the raw bytes of any other content type, or None when empty.
        """
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            raw = response.read()
            if not raw:
                return response.status, None
            # The checkpoint and the tiles are text and bytes; every other answer is JSON.
            is_json = response.getheader("Content-Type", "").startswith("application/json")
            return response.status, json.loads(raw) if is_json else raw
        finally:
            connection.close()
