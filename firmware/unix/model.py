# A machine for the unix-port board: the BME280, current clamp and pulse input
# it would drive on a real site, as the buses the firmware's drivers read.
#
# Everything is a deterministic function of the millisecond tick, so two runs
# of the same length see the same machine: it runs for ``on_ms`` and idles for
# ``off_ms``, draws ``running_ma`` RMS while it runs, and closes the cycle
# switch every ``cycle_ms``.

from micropython import const

# BME280 calibration of the datasheet's worked example (BST-BME280-DS002 4.2.3 /
# BMP280 datasheet 3.12) and the humidity trimming of a production part.
_CALIB_TP = bytes.fromhex("706b436718fc7d8e43d6d00b270b8c00f9ff8c3cf8c67017004b")
_CALIB_H = bytes.fromhex("7201001323031e")
_ADC_T = const(519888)  # 25.08 degC with the calibration above
_ADC_P = const(415148)  # 100653 Pa
_ADC_H = const(30000)
_BIAS_UV = const(1650000)  # the clamp's output rides on half the 3.3 V supply
# One mains cycle in 16 steps, sin() * 1000.
_SINE = (0, 383, 707, 924, 1000, 924, 707, 383, 0, -383, -707, -924, -1000, -924, -707, -383)


class MachineModel:
    """What the machine does at tick ``now``; ``advance(now)`` fires its cycle edges."""

    def __init__(self, on_ms=6000, off_ms=4000, running_ma=12000, idle_ma=100, cycle_ms=500):
        self.on_ms = on_ms
        self.off_ms = off_ms
        self.running_ma = running_ma
        self.idle_ma = idle_ma
        self.cycle_ms = cycle_ms
        self.now = 0
        self.start = None
        self.edges = 0
        self._last_edge = None
        self._handler = None

    def running(self):
        if self.start is None:
            return False
        return (self.now - self.start) % (self.on_ms + self.off_ms) < self.on_ms

    def current_ma(self):
        return self.running_ma if self.running() else self.idle_ma

    def advance(self, now):
        """Move the machine to tick ``now``; a running machine closes its cycle switch."""
        if self.start is None:
            self.start = now
        self.now = now
        if not self.running():
            return
        if self._last_edge is None or now - self._last_edge >= self.cycle_ms:
            self._last_edge = now
            self.edges += 1
            if self._handler is not None:
                self._handler(self)

    def watch_cycles(self, handler):
        self._handler = handler


class ModelI2C:
    """A BME280 on I2C address ``address`` whose raw values drift slowly with the model's time."""

    def __init__(self, model, address=0x76):
        self.model = model
        self.address = address
        # Registers 0x80-0xFF, the only ones a BME280 has: calibration, id, control, data.
        self.mem = bytearray(128)
        self.mem[0x08 : 0x08 + len(_CALIB_TP)] = _CALIB_TP
        self.mem[0x61 : 0x61 + len(_CALIB_H)] = _CALIB_H
        self.mem[0x50] = 0x60

    def _check(self, address):
        if address != self.address:
            raise OSError(19)  # ENODEV: no ACK

    def readfrom_mem(self, address, reg, n):
        self._check(address)
        if reg == 0xF7:
            drift = (self.model.now // 1000) % 64
            p = (_ADC_P + drift) << 4
            t = (_ADC_T + 40 * drift) << 4
            h = _ADC_H + drift
            data = bytes((p >> 16, (p >> 8) & 0xFF, p & 0xFF, t >> 16, (t >> 8) & 0xFF, t & 0xFF))
            return (data + bytes((h >> 8, h & 0xFF)))[:n]
        if reg == 0xF3:
            return b"\x00"  # conversion done
        return bytes(self.mem[reg - 0x80 : reg - 0x80 + n])

    def writeto_mem(self, address, reg, data):
        self._check(address)
        self.mem[reg - 0x80 : reg - 0x80 + len(data)] = data


class ModelAdc:
    """The clamp's voltage: a mains sine whose amplitude follows the machine's current."""

    def __init__(self, model, ma_per_volt):
        self.model = model
        self.ma_per_volt = ma_per_volt
        self._i = 0

    def read_uv(self):
        # Peak microvolts = RMS mA * sqrt(2) * 1e6 / (mA per volt); sqrt(2) as 1414/1000.
        peak = self.model.current_ma() * 1414000 // self.ma_per_volt
        s = _SINE[self._i % 16]
        self._i += 1
        return _BIAS_UV + peak * s // 1000


class ModelPin:
    """The cycle switch's input: ``irq(handler)`` is called for each cycle the model makes."""

    def __init__(self, model):
        self.model = model

    def irq(self, handler=None, trigger=None):
        self.model.watch_cycles(handler)


def chip_celsius():
    return 41.5
