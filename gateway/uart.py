"""Serial ingestion for wired sensors: the protocol's UART frames read with pyserial.

Each configured port gets a reader thread that deframes the byte stream
(``chain_client.uart.Deframer``) and hands each message to the inbox.  A
frame that fails to decode (bad COBS, bad CRC, oversize) is quarantined
with its reason and the stream resynchronises at the next delimiter.  A port
that disappears (USB unplugged) is reopened with backoff.  A serial line has
no acknowledgement: the sensor keeps its own buffer and the gateway stores
whatever arrives intact.
"""

from __future__ import annotations

import logging
import threading
import time

import serial

from chain_client.errors import ProtocolError
from chain_client.uart import Deframer
from gateway.config import SerialPort
from gateway.inbox import Delivery, Inbox
from gateway.metrics import Metrics
from gateway.store import Received
from gateway.threads import Spawn, daemon
from gateway.verifier import Rejected

log = logging.getLogger(__name__)

# Above this many queued messages the reader stops reading; the UART's own
# buffer and the sensor's flow then hold the rest.
MAX_QUEUED = 5000
READ_TIMEOUT = 0.2


class SerialReader:
    """Reads one serial port in a daemon thread until :meth:`stop`."""

    def __init__(self, port: SerialPort, inbox: Inbox, metrics: Metrics) -> None:
        self.port = port
        self.inbox = inbox
        self.metrics = metrics
        self.source = f"serial:{port.path}"
        self._stop = threading.Event()
        self._line: serial.Serial | None = None
        self._thread: threading.Thread | None = None

    def start(self, spawn: Spawn = daemon) -> None:
        """Open the port, then read it in the background.

        The first open happens here, before the service says READY: opening a
        serial port discards what its input buffer holds, so a reader that
        opened it later would silently drop what the sensor sent in between.
        """
        self._line = self._open()
        self._thread = spawn(self._run, self.source)

    def stop(self) -> None:
        """Stop reading and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _open(self) -> serial.Serial | None:
        try:
            line = serial.serial_for_url(self.port.path, baudrate=self.port.baudrate, timeout=READ_TIMEOUT)
        except (serial.SerialException, OSError) as exc:
            log.warning("serial port %s: %s", self.port.path, exc)
            return None
        log.info("reading %s at %d baud", self.port.path, self.port.baudrate)
        return line

    def _run(self) -> None:
        delay = 0.5
        line, self._line = self._line, None
        while not self._stop.is_set():
            if line is None:
                line = self._open()
            if line is not None:
                try:
                    with line:
                        delay = 0.5
                        self._read(line)
                    continue
                except (serial.SerialException, OSError) as exc:
                    log.warning("serial port %s: %s", self.port.path, exc)
                finally:
                    line = None
            log.info("retrying serial port %s in %.1f s", self.port.path, delay)
            self._stop.wait(delay)
            delay = min(delay * 2, 30.0)

    def _read(self, line: serial.Serial) -> None:
        deframer = Deframer()
        while not self._stop.is_set():
            if len(self.inbox) > MAX_QUEUED:
                self._stop.wait(0.05)
                continue
            data = line.read(max(1, line.in_waiting))
            if not data:
                continue
            now = time.time()
            for item in deframer.feed(data):
                self.metrics.received.labels("serial").inc()
                if isinstance(item, ProtocolError):
                    self.metrics.frame_errors.labels(item.reason.value).inc()
                    # The frame's bytes are gone by now; the reason and detail are what is kept.
                    received = Received(b"", None, self.source, now)
                    self.inbox.put(Delivery(received, verdict=Rejected(item.reason, item.detail)))
                else:
                    self.inbox.put(Delivery(Received(item, None, self.source, now)))
