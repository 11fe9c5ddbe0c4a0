# The sensor on MicroPython's unix port: leasechain/board.py's counterpart for a workstation.
#
# Same parts, same order as on the ESP32: the configuration file, the key and
# counters in "flash" (a directory), the real drivers (BME280, current clamp,
# pulse counter, chip temperature) on buses driven by model.MachineModel, and
# umqtt.simple over a real TCP socket to the broker.  There is no Wi-Fi to
# join, no watchdog and no LED; the host's clock is already synchronised.
#
#     micropython -X heapsize=110K firmware/unix/main.py --flash DIR [--readings N] [--period-ms MS]
#
# with DIR/lib holding what `mip install` put there (leasechain, umqtt.simple)
# and DIR/config.json the board's settings (docs/firmware.md).

import gc
import os
import sys

import model
from micropython import const

from leasechain.clock import SystemClock
from leasechain.heap import HeapWatch, unload
from leasechain.ticks import sleep_ms, ticks_diff, ticks_ms

EXIT_STOPPED = const(3)  # what the ESP32 shows as the 5 Hz error blink
EXIT_RESTART = const(4)  # an update was installed or rolled back: the ESP32 resets itself
_DRAIN_MS = const(30000)


def _log(message):
    print("[leasechain] " + message)


class HostClock(SystemClock):
    """The workstation's clock, which NTP already keeps right."""

    def __init__(self):
        super().__init__()
        self.synced = True

    def sync(self, host="", timeout_s=2):
        self.synced = True


def ignore(*args):
    """A callback that does nothing: no delay after a BME280 measurement, no interrupts to mask."""


def main(flash=".", readings=0, period_ms=0, slot=None):
    """Boot the sensor in directory ``flash`` and run it; stop after ``readings`` (0: never).

    ``period_ms`` overrides ``period_s`` for runs faster than a reading a second;
    ``slot`` is what lcboot.select() chose.  Returns the exit status: 0,
    EXIT_STOPPED when the board would refuse to sign, EXIT_RESTART when an
    update asks for a restart.
    """
    heap = HeapWatch()
    heap.sample()
    os.chdir(flash)
    machine = model.MachineModel()
    import unixboot

    runner = unixboot.boot(machine, slot, heap, _log)
    # The board's wiring, the configuration parser, the key loader and the link builder
    # are needed only to boot: the running sensor does not carry their code.
    del sys.modules["unixboot"]
    del unixboot
    unload(("config", "identity", "link"))
    if runner is None:
        return EXIT_STOPPED
    device = runner.device
    if period_ms:
        runner.period_ms = period_ms
        runner.poll_ms = min(runner.poll_ms, period_ms)
    _run(runner, machine, readings)
    if runner.restart is not None:
        device.disconnect()
        return EXIT_RESTART
    gc.collect()
    _log(
        "done: %d readings, %d waiting, heap lowest %d bytes free of %d"
        % (runner.readings, device.pending(), heap.low, gc.mem_free() + gc.mem_alloc())
    )
    device.disconnect()
    return 0


def _run(runner, machine, readings):
    device = runner.device
    drain_until = None
    while True:
        machine.advance(ticks_ms())
        wait = runner.tick()
        if runner.restart is not None:
            return
        if readings and runner.readings >= readings:
            # Stop taking readings; give the outbox a bounded time to drain.
            runner.period_ms = 1 << 29
            if drain_until is None:
                drain_until = ticks_ms() + _DRAIN_MS
            if not device.pending() or ticks_diff(ticks_ms(), drain_until) >= 0:
                return
            wait = min(wait, 100)
        sleep_ms(wait)
