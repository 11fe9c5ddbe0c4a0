# Builds Devices on fakes and reports what they did, for the app tests.
import fakes
import mptest
from leasechain.app import Device
from leasechain.store import FileStore

VALUES = {1: 2150, 2: 4512, 3: 101325, 4: 3250, 5: 4100, 6: 1}


class Rig:
    """One device with a recording transport, a fake clock and one fake sensor."""

    def __init__(self, store=None, root="data", capacity=16, t=1764000000, usage=(60, 3), up=True):
        self.logs = []
        self.clock = fakes.FakeClock(t)
        self.transport = fakes.RecordingTransport()
        self.transport.up = up
        self.sensor = fakes.FakeSensor(VALUES, usage)
        self.store = store if store is not None else FileStore(root)
        self.device = Device(
            self.store, self.clock, [self.sensor], self.transport, capacity=capacity, log=self.logs.append
        )
        self.signed = []

    def start(self):
        return self.device.start()

    def step(self, seconds=60):
        self.clock.advance(seconds)
        message = self.device.step()
        self.signed.append(message)
        return message

    def report(self):
        d = self.device
        st = d.state
        return {
            "boot": st.boot,
            "seq": st.seq,
            "device": d.device_hex,
            "public_key": mptest.hx(d.public_key) if d.public_key else "",
            "sent": [[t, mptest.hx(m), r] for (t, m, r) in self.transport.sent],
            "wills": [[t, mptest.hx(m)] for (t, m) in self.transport.wills],
            "signed": [mptest.hx(m) for m in self.signed],
            "pending": d.pending(),
            "online": d.online,
            "log": self.logs,
        }
