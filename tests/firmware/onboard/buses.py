# Fake buses for the sensor drivers: an I2C register file and an ADC fed with samples.


class FakeI2C:
    """A BME280-like register file on one address; conversions stay busy for ``busy_reads``."""

    def __init__(self, address, registers, busy_reads=1):
        self.address = address
        self.mem = bytearray(256)
        for reg in registers:
            data = registers[reg]
            self.mem[reg : reg + len(data)] = data
        self.busy_reads = busy_reads
        self._busy = 0
        self.writes = []
        self.absent = False

    def _check(self, address):
        if self.absent or address != self.address:
            raise OSError(19)  # ENODEV: no ACK

    def readfrom_mem(self, address, reg, n):
        self._check(address)
        if reg == 0xF3:
            busy = self._busy > 0
            if busy and self.busy_reads >= 0:
                self._busy -= 1
            return bytes((0x08 if busy else 0x00,))
        return bytes(self.mem[reg : reg + n])

    def writeto_mem(self, address, reg, data):
        self._check(address)
        self.writes.append((reg, bytes(data)))
        self.mem[reg : reg + len(data)] = data
        if reg == 0xF4:
            self._busy = self.busy_reads if self.busy_reads >= 0 else 1


class FakeAdc:
    """``read_uv()`` returns the given samples in a loop."""

    def __init__(self, samples):
        self.samples = samples
        self.i = 0

    def read_uv(self):
        v = self.samples[self.i % len(self.samples)]
        self.i += 1
        return v
