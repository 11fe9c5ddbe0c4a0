"""A MicroPython board on a pseudo-terminal: the real interpreter's REPL behind a serial port path.

``ReplBoard`` opens a pty, runs scripts/micropython-board.mjs on its master
side and gives the slave's path (``.port``, e.g. ``/dev/pts/7``), which
mpremote, pyserial and ``leasechain-device`` open exactly like an ESP32's USB
serial port.  ``flash`` is the host directory that holds the board's file
system and survives restarts.  ``transcript`` has every byte both ways, so
tests can prove what crossed the line (and what did not).

Run one by hand to try the tools without a board:

    python -m harness.repl_pty --flash /tmp/board
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
import tty
from pathlib import Path
from types import TracebackType

from harness.micropython import node_binary

REPO = Path(__file__).resolve().parents[1]
BRIDGE = REPO / "scripts" / "micropython-board.mjs"


class ReplBoard:
    """One board: ``start()``, use ``.port``, ``stop()`` (also a context manager)."""

    def __init__(
        self,
        flash: Path,
        *,
        rtc_unset: bool = False,
        run_main: bool = False,
        heap: int | None = None,
        record: bool = True,
    ) -> None:
        self.node = node_binary()
        self.flash = flash
        self.rtc_unset = rtc_unset
        self.run_main = run_main
        self.heap = heap
        self.record = record
        self.port = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._master = -1
        self._slave = -1
        self._relay_fd = -1
        self._relay: threading.Thread | None = None
        self._stopping = threading.Event()
        self._booted = False
        self._lock = threading.Lock()
        self._to_board = bytearray()
        self._from_board = bytearray()

    # The bridge talks to a socketpair-like relay rather than to the pty master
    # directly, so the test process sees (and records) every byte in both directions.
    def start(self) -> None:
        """Open the pty, start the interpreter behind it and wait for its first prompt."""
        self.flash.mkdir(parents=True, exist_ok=True)
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no newline translation: a UART passes bytes as they are
        self.port = os.ttyname(self._slave)
        bridge_side, self._relay_fd = _pipe_pair()
        argv = [self.node, str(BRIDGE), "--flash", str(self.flash), "--fd", str(bridge_side)]
        if self.rtc_unset:
            argv.append("--rtc-unset")
        if self.run_main:
            argv.append("--run-main")
        if self.heap is not None:
            argv += ["--heap", str(self.heap)]
        self.process = subprocess.Popen(argv, pass_fds=(bridge_side,), cwd=REPO)
        os.close(bridge_side)
        self._stopping.clear()
        self._booted = False
        self._relay = threading.Thread(target=self._pump, name=f"repl-pty {self.port}", daemon=True)
        self._relay.start()
        deadline = time.monotonic() + 60
        with self._lock:
            mark = len(self._from_board)
        while b">>> " not in self.received()[mark:] and b"\r\n>" not in self.received()[mark:]:
            if self.process.poll() is not None:
                raise RuntimeError(f"the MicroPython bridge exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("the MicroPython bridge gave no prompt")
            time.sleep(0.02)
        # A board's boot banner is long gone when a technician connects.
        self._drain_slave()
        with self._lock:
            self._booted = True
            if not self.record:
                self._to_board.clear()
                self._from_board.clear()

    def _drain_slave(self) -> None:
        time.sleep(0.05)
        while select.select([self._slave], [], [], 0)[0]:
            if not os.read(self._slave, 65536):
                break

    def _pump(self) -> None:
        """Copy bytes between the pty master and the bridge, recording them."""
        fds = [self._master, self._relay_fd]
        while not self._stopping.is_set():
            try:
                ready = select.select(fds, [], [], 0.1)[0]
            except (OSError, ValueError):
                return
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    if fd == self._relay_fd:
                        return
                    time.sleep(0.02)  # EIO: no one has the port open right now
                    continue
                target = self._relay_fd if fd == self._master else self._master
                with self._lock:
                    if self.record or not self._booted:
                        (self._to_board if fd == self._master else self._from_board).extend(data)
                _write_all(target, data)

    def received(self) -> bytes:
        """Everything the board has sent so far."""
        with self._lock:
            return bytes(self._from_board)

    def sent(self) -> bytes:
        """Everything sent to the board so far."""
        with self._lock:
            return bytes(self._to_board)

    def transcript(self) -> bytes:
        """Both directions, for searching: what was sent, then what was received."""
        return self.sent() + b"\n" + self.received()

    def stop(self) -> None:
        """Stop the interpreter (its flash is written back first) and close the pty."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        self._stopping.set()
        if self._relay is not None:
            self._relay.join(timeout=5)
            self._relay = None
        for fd in (self._master, self._slave, self._relay_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = self._relay_fd = -1

    def restart(self) -> None:
        """Power-cycle: stop, then start on the same flash (a new port path)."""
        self.stop()
        self.start()

    def __enter__(self) -> ReplBoard:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _pipe_pair() -> tuple[int, int]:
    """Two connected stream sockets as raw descriptors (bridge side, relay side)."""
    import socket

    a, b = socket.socketpair()
    return a.detach(), b.detach()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [], 1)
            continue
        except OSError:
            return  # the other side is gone
        view = view[n:]


def main(argv: list[str] | None = None) -> int:
    """Run a board until interrupted, printing its port path."""
    parser = argparse.ArgumentParser(description="A MicroPython board on a pseudo-terminal")
    parser.add_argument("--flash", type=Path, required=True, help="host directory that is the board's flash")
    parser.add_argument("--rtc-unset", action="store_true", help="start the board's clock at 2000-01-01")
    args = parser.parse_args(argv)
    board = ReplBoard(args.flash, rtc_unset=args.rtc_unset, record=False)
    board.start()
    print(board.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set() and board.process is not None and board.process.poll() is None:
            stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        board.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
