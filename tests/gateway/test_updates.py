"""gateway.updates: the three kinds of release file over HTTP, and nothing else."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway import updates

SHA = "ab" * 32


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "files").mkdir()
    (tmp_path / "manifest.json").write_bytes(b'{"m": 1}')
    (tmp_path / "manifest.sig").write_bytes(b"s" * 64)
    (tmp_path / "files" / SHA).write_bytes(b"module")
    (tmp_path / "secret.txt").write_text("not part of a release")
    server = updates.serve(tmp_path, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def get(url: str) -> tuple[int, bytes, str | None]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read(), answer.headers["Content-Length"]
    except urllib.error.HTTPError as exc:
        return exc.code, b"", None


def test_the_release_files_are_served_with_their_length(url: str) -> None:
    assert get(f"{url}/manifest.json") == (200, b'{"m": 1}', "8")
    assert get(f"{url}/manifest.sig") == (200, b"s" * 64, "64")
    assert get(f"{url}/files/{SHA}") == (200, b"module", "6")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/secret.txt",
        "/files/",
        "/files/" + "AB" * 32,
        "/files/../secret.txt",
        "/files/" + SHA + "/x",
        "/manifest.json?x=1",
        "/%2e%2e/secret.txt",
        "/files/" + "cd" * 32,
    ],
)
def test_anything_else_is_404(url: str, path: str) -> None:
    assert get(url + path)[0] == 404
