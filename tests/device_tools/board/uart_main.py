# main.py for the board behind the pty: the firmware's own Device, signing with
# the key the board made at provisioning, delivering over transport "uart"
# wired to the board's console (UART0 carries the USB serial line on an
# ESP32 devkit).  One birth and one reading, then back to the REPL.
import sys

from leasechain import config
from leasechain.app import Device
from leasechain.clock import SystemClock
from leasechain.framing import UartTransport
from leasechain.sensors.chip import ChipTemperature
from leasechain.store import FileStore


class Console:
    """UART0: the bytes go out on the serial line the technician's laptop listens to."""

    def write(self, data):
        sys.stdout.write(data)
        return len(data)


cfg = config.load()
# The chip sensor's driver with the value an ESP32-S3 would report (the wasm port has no esp32 module).
sensors = [ChipTemperature(read=lambda: 41.25, unit="C")]
device = Device(FileStore(cfg["data_dir"]), SystemClock(), sensors, UartTransport(Console()))
device.start()
device.connect()
device.step()
