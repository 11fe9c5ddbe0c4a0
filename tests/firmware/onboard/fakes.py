# Stand-ins for what cannot run here: clock, ticks, Wi-Fi, watchdog, broker
# link, sensors, buses, pins and the power supply.  Device-side code: runs
# under MicroPython and CPython.
from leasechain.store import FileStore
from leasechain.transport import TransportError


class PowerCutError(Exception):
    """The supply vanished: nothing after this point ran."""


class FakeClock:
    def __init__(self, t=1764000000, synced=True):
        self.t = t
        self.synced = synced
        self.syncs = 0
        self.fail_sync = False

    def time(self):
        return self.t

    def advance(self, seconds):
        self.t += seconds

    def sync(self, host="pool.ntp.org", timeout_s=2):
        self.syncs += 1
        if self.fail_sync:
            raise OSError(110)
        self.synced = True


class FakeTicks:
    def __init__(self, start=0):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, ms):
        self.now += ms


class FakeWifi:
    def __init__(self, up=True):
        self.up = up
        self.joins = 0

    def isconnected(self):
        return self.up

    def connect(self):
        self.joins += 1


class FakeWdt:
    def __init__(self):
        self.feeds = 0

    def feed(self):
        self.feeds += 1


class FakePin:
    """An output pin (records values) or an input pin with an interrupt."""

    def __init__(self):
        self.values = []
        self.handler = None
        self.trigger = None

    def value(self, v=None):
        if v is None:
            return self.values[-1] if self.values else 0
        self.values.append(v)

    def irq(self, handler=None, trigger=None):
        self.handler = handler
        self.trigger = trigger

    def edge(self):
        self.handler(self)


class RecordingTransport:
    """A broker link that records every byte it is given; ``up`` False makes it fail."""

    def __init__(self):
        self.up = True
        self.connected = False
        self.sent = []  # (topic, bytes, retain)
        self.wills = []
        self.connects = 0
        self.closes = 0
        self.pings = 0
        self.fail_after = None  # publishes that succeed before the link breaks

    def connect(self, will_topic, will_message):
        self.connects += 1
        if not self.up:
            raise TransportError("broker unreachable")
        self.wills.append((will_topic, bytes(will_message)))
        self.connected = True

    def publish(self, topic, message, retain=False):
        if not (self.up and self.connected):
            raise TransportError("not connected")
        if self.fail_after is not None:
            if self.fail_after <= 0:
                self.up = False
                self.connected = False
                raise TransportError("link broke")
            self.fail_after -= 1
        self.sent.append((topic, bytes(message), retain))

    def ping(self):
        if not (self.up and self.connected):
            raise TransportError("not connected")
        self.pings += 1

    def close(self):
        self.connected = False
        self.closes += 1

    def of(self, kind):
        return [m for (t, m, r) in self.sent if t.endswith("/" + kind)]


class FakeSensor:
    """Fixed readings and usage deltas."""

    def __init__(self, values, usage=(0, 0), name="fake"):
        self.values = values
        self.use = usage
        self.name = name
        self.polls = []
        self.broken = False

    def read(self):
        if self.broken:
            raise OSError(19)
        return dict(self.values)

    def usage(self):
        return self.use

    def poll(self, now_ms):
        self.polls.append(now_ms)


class CutStore(FileStore):
    """A FileStore whose power fails at its ``cut_at``-th primitive operation.

    Operations are counted from ``arm()``.  A cut write leaves half of its
    data in the temporary file, as a write interrupted on flash would.
    ``full`` makes writes under ``full`` fail with ENOSPC instead.
    """

    def __init__(self, root=""):
        self.ops = 0
        self.cut_at = None
        self.log = []
        self.full = None
        FileStore.__init__(self, root)

    def arm(self, cut_at):
        self.ops = 0
        self.cut_at = cut_at
        self.log = []

    def _step(self, what):
        self.ops += 1
        self.log.append(what)
        return self.cut_at is not None and self.ops >= self.cut_at

    def _write(self, path, data):
        if self.full is not None and path.startswith(self.path(self.full)):
            raise OSError(28)
        if self._step("write " + path):
            with open(path, "wb") as f:
                f.write(data[: len(data) // 2])
            raise PowerCutError("during write of " + path)
        FileStore._write(self, path, data)

    def _rename(self, src, dst):
        if self._step("rename " + dst):
            raise PowerCutError("before rename to " + dst)
        FileStore._rename(self, src, dst)

    def _remove(self, path):
        if self._step("remove " + path):
            raise PowerCutError("before remove of " + path)
        FileStore._remove(self, path)
