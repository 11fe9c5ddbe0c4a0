# A stand-in for MicroPython's machine module on an ESP32 board: pins, I2C with a
# BME280 (the datasheet's example calibration), ADC, UART and a watchdog that
# ends the test after a number of feeds.  For tests of leasechain/board.py only.
import binascii

import buses

_BME280 = {
    0x88: binascii.unhexlify("706b436718fc7d8e43d6d00b270b8c00f9ff8c3cf8c67017004b"),
    0xE1: binascii.unhexlify("7201001323031e"),
    0xD0: b"\x60",
    0xF7: binascii.unhexlify("655ac07eed007530"),
}

log = []
feeds_left = [3]
levels = {}  # input pin -> level; unset inputs read high (pull-ups)


class BoardStop(BaseException):
    """The test has seen enough: leave main()."""


class Pin:
    IN = 1
    OUT = 3
    PULL_UP = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, pin, mode=-1, pull=-1):
        self.pin = pin
        self.mode = mode
        self.pull = pull
        self.handler = None
        log.append(["pin", pin, mode, pull])

    def value(self, v=None):
        if v is not None:
            log.append(["led", self.pin, v])
            return None
        return levels.get(self.pin, 1)

    def irq(self, handler=None, trigger=0):
        self.handler = handler
        log.append(["irq", self.pin, trigger])


def I2C(bus_id, sda=None, scl=None, freq=400000):
    log.append(["i2c", bus_id, sda.pin, scl.pin, freq])
    return buses.FakeI2C(0x76, _BME280, busy_reads=0)


class ADC:
    ATTN_11DB = 3

    def __init__(self, pin, atten=0):
        log.append(["adc", pin.pin, atten])
        self._n = 0

    def read_uv(self):
        self._n += 1
        return 1650000 + (10000 if self._n % 2 else -10000)  # 10 mV around the bias: 300 mA


class UART:
    def __init__(self, uart_id, baudrate=9600, tx=None, rx=None):
        log.append(["uart", uart_id, baudrate, tx, rx])
        self.data = bytearray()

    def write(self, data):
        self.data.extend(data)
        return len(data)


class WDT:
    def __init__(self, timeout=5000):
        log.append(["wdt", timeout])

    def feed(self):
        feeds_left[0] -= 1
        if feeds_left[0] < 0:
            raise BoardStop()


def disable_irq():
    return 0


def enable_irq(state):
    pass


def reset():
    log.append(["reset"])
    raise BoardStop()
