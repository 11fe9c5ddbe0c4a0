"""The parts of a site, started as child processes: ledger backend, witnesses, explorer, MQTT broker, gateway.

Used by ``leasechain-sim demo``, the tests and the benchmark.  Each part
runs in its own process with its state in a directory of its own and its
log next to it; ``stop()`` ends it (SIGTERM, then SIGKILL after a grace
period).  The broker is Mosquitto when it is installed, otherwise amqtt (a
pure-Python broker) in a child process, so the demo works after a plain
``pip install``.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from nacl.signing import SigningKey

from harness import ports
from harness.mosquitto import installed_mosquitto, write_config
from harness.ports import free_port
from simulator.errors import ServiceError


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    """Block until 127.0.0.1:``port`` accepts connections; fail early, with its log, if ``process`` dies."""
    try:
        ports.wait_for_port("127.0.0.1", port, timeout, process)
    except ports.ProcessExitedError as exc:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise ServiceError(f"{exc}:\n{tail}") from None
    except ports.PortTimeoutError as exc:
        raise ServiceError(str(exc)) from None


def raise_fd_limit(wanted: int = 65536) -> int:
    """Raise this process's open-file limit towards ``wanted`` (children inherit it); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return soft
        return target
    return soft


class Service:
    """A child process with a log file."""

    name = "service"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / f"{self.name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def _spawn(self, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and Mosquitto, fixed arguments
            args,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C goes to the simulator, which stops its children in order
        )
        return self.process

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, wait, then SIGKILL."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def kill(self) -> None:
        """SIGKILL."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.stop()


class Backend(Service):
    """``leasechain-backend serve`` with SQLite in ``workdir``."""

    name = "backend"

    def __init__(
        self,
        workdir: Path,
        operator: SigningKey | None = None,
        port: int | None = None,
        extra: list[str] | None = None,
    ) -> None:
        super().__init__(workdir)
        self.extra = extra or []  # more ``serve`` options, e.g. --origin and --witness-policy
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.operator = operator or SigningKey.generate()
        key_file = workdir / "operator.key"
        key_file.write_text(bytes(self.operator).hex())
        key_file.chmod(0o600)

    def start(self) -> None:
        """Start serving and wait until the port answers."""
        process = self._spawn(
            [
                sys.executable,
                "-m",
                "backend",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.workdir),
                "--verify-workers",
                "1",
                *self.extra,
            ]
        )
        wait_for_port(self.port, process, self.log)


class Witness(Service):
    """``leasechain-witness serve`` for one log: a c2sp.org/tlog-witness with its own key and views."""

    name = "witness"

    def __init__(self, workdir: Path, witness_name: str, log_vkey: str, port: int | None = None) -> None:
        super().__init__(workdir)
        self.witness_name = witness_name
        self.log_vkey = log_vkey
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        from witness.keys import create

        self.vkey = create(workdir / "data", witness_name).vkey()

    def start(self) -> None:
        """Start serving and wait until the port answers."""
        args = [sys.executable, "-m", "witness", "serve", "--data-dir", str(self.workdir / "data")]
        process = self._spawn([*args, "--port", str(self.port), "--log", self.log_vkey])
        wait_for_port(self.port, process, self.log)


class Explorer(Service):
    """``leasechain-explorer`` over a ledger (needs the ``explorer`` extra: Jinja2)."""

    name = "explorer"

    def __init__(self, workdir: Path, ledger_url: str, port: int | None = None) -> None:
        super().__init__(workdir)
        self.ledger_url = ledger_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start serving and wait until the port answers."""
        process = self._spawn(
            [sys.executable, "-m", "explorer", "--ledger", self.ledger_url, "--port", str(self.port)]
        )
        wait_for_port(self.port, process, self.log)


class Broker(Service):
    """An MQTT broker on 127.0.0.1: Mosquitto if installed, else amqtt."""

    name = "broker"

    def __init__(self, workdir: Path, port: int | None = None, prefer: str = "auto") -> None:
        super().__init__(workdir)
        self.host = "127.0.0.1"
        self.port = port or free_port()
        binary = installed_mosquitto() if prefer in ("auto", "mosquitto") else None
        if prefer == "mosquitto" and binary is None:
            raise ServiceError("mosquitto is not installed (apt-get install mosquitto)")
        self.binary = binary
        self.kind = "mosquitto" if binary else "amqtt"

    @property
    def protocol(self) -> str:
        """The MQTT version the gateway should speak to this broker."""
        return "5" if self.kind == "mosquitto" else "3.1.1"

    def start(self) -> None:
        """Start the broker and wait until it accepts connections."""
        if self.binary is not None:
            config = write_config(self.workdir, self.host, self.port, persistence=False)
            raise_fd_limit()
            process = self._spawn([self.binary, "-c", str(config)])
        else:
            process = self._spawn([sys.executable, "-m", "simulator.embedded_broker", str(self.port)])
        wait_for_port(self.port, process, self.log, timeout=30)


class Gateway(Service):
    """``leasechain-gateway run`` with a generated config, ready when it says READY=1.

    ``broker`` is (host, port, MQTT protocol version: "5" or "3.1.1").
    """

    name = "gateway"

    def __init__(
        self,
        workdir: Path,
        broker: tuple[str, int, str],
        backend_url: str | None,
        key: SigningKey,
        gateway_id: str = "sim-gw",
        registry_file: Path | None = None,
        sync_interval: float = 5.0,
        batch_age: float = 1.0,
        batch_size: int = 1000,
    ) -> None:
        super().__init__(workdir)
        self.key = key
        host, port, protocol = broker
        self.metrics_port = free_port()
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        self.state = workdir / "state"
        self.store = self.state / "gateway.sqlite3"
        key_file = workdir / "gateway.key"
        key_file.write_text(bytes(key).hex())
        key_file.chmod(0o600)
        backend = ""
        if backend_url is not None:
            backend = (
                f'[backend]\nurl = "{backend_url}"\nkey = {{ file = "{key_file}" }}\n'
                "backoff_initial_seconds = 0.5\nbackoff_max_seconds = 2.0\n"
            )
        registry = f"[registry]\nsync_from_backend = {'true' if backend_url else 'false'}\n"
        registry += f"sync_interval_seconds = {sync_interval}\n"
        if registry_file is not None:
            registry += f'file = "{registry_file}"\n'
        self.config = workdir / "gateway.toml"
        self.config.write_text(
            f'[gateway]\nid = "{gateway_id}"\nstate_directory = "{self.state}"\n\n'
            f'[mqtt]\nhost = "{host}"\nport = {port}\nprotocol = "{protocol}"\n'
            "reconnect_min_seconds = 0.5\nreconnect_max_seconds = 2.0\n\n"
            f"{backend}\n{registry}\n"
            f'[metrics]\nhost = "127.0.0.1"\nport = {self.metrics_port}\n\n'
            f"[batch]\nmax_readings = {batch_size}\nmax_age_seconds = {batch_age}\n\n"
            '[log]\nlevel = "WARNING"\n'
        )

    def start(self, timeout: float = 60.0) -> None:
        """Start and wait for READY=1 on a private notification socket."""
        sock_path = self.workdir / "notify.sock"
        sock_path.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(sock_path))
        try:
            env = dict(os.environ, NOTIFY_SOCKET=str(sock_path))
            process = self._spawn([sys.executable, "-m", "gateway", "run", "--config", str(self.config)], env)
            deadline = time.monotonic() + timeout
            sock.settimeout(0.2)
            while True:
                try:
                    if "READY=1" in sock.recv(4096).decode().split("\n"):
                        return
                except TimeoutError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = self.log.read_text(errors="replace")[-2000:]
                    self.stop()
                    raise ServiceError(f"the gateway did not become ready:\n{tail}")
        finally:
            sock.close()
