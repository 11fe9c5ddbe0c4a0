"""The device's logic: boot, sample, sign, buffer and deliver readings.

``Device`` does no I/O of its own: the file store, clock, sensors, transport
and key source are injected, so the same object runs on the board (board.py
wires the hardware), in tests (fakes) and in the fleet simulator (many
devices in one asyncio process).  Nothing here blocks except the injected
transport, whose calls are bounded by timeouts.

A reading's life: sampled and signed with the next sequence number and the
digest of the previous reading -> written to the outbox -> committed by the
state write (state.py) -> published oldest-first (QoS 1) -> removed from the
outbox.  A power cut before the commit discards the reading unpublished; one
after it leaves the reading queued for delivery after the reboot.
"""

import hashlib

from . import VERSION, cose, payload, state
from .const import const
from .outbox import Outbox
from .transport import TransportError

_DEFAULT_CAPACITY = const(2048)
TOPIC_PREFIX = "leasechain/v1/dev/"
STATUS_ONLINE = b"online"
STATUS_OFFLINE = b"offline"


def _print_log(message):
    print(message)


def _is_int(value):
    # bool is an int on CPython, not on MicroPython: refuse it on both.
    return isinstance(value, int) and not isinstance(value, bool)


def _counts(used):
    """Whether a driver's usage() is (run_seconds, cycles), both integers >= 0."""
    if not isinstance(used, (tuple, list)) or len(used) != 2:
        return False
    return _is_int(used[0]) and _is_int(used[1]) and used[0] >= 0 and used[1] >= 0


class Device:
    """One sensor device; call ``start()`` once, then ``step()`` every period."""

    def __init__(
        self,
        store,
        clock,
        sensors=(),
        transport=None,
        capacity=_DEFAULT_CAPACITY,
        firmware=VERSION,
        rng=None,
        make_key=None,
        log=None,
    ):
        """Inject the device's parts.

        ``store``: a store.FileStore (the board's flash); ``clock``: has ``time()``
        (Unix seconds) and ``synced``; ``sensors``: drivers with ``read()`` and
        ``usage()`` (sensors/__init__.py); ``transport``: see transport.py;
        ``capacity``: readings the outbox holds before it drops the oldest;
        ``rng`` / ``make_key``: key creation (identity.py); ``log``: a callable
        taking one line of text.
        """
        self.store = store
        self.clock = clock
        self.sensors = list(sensors)
        self.transport = transport
        self.firmware = firmware
        self.outbox = Outbox(store, capacity)
        self.log = log or _print_log
        self._rng = rng
        self._make_key = make_key
        self.key = None
        self.public_key = b""
        self.device_id = b""
        self.device_hex = ""
        self.state = state.State()  # replaced by the persisted state in start()
        self.online = False
        self.errors = 0  # sensor read failures since boot
        self.published = 0  # readings the broker acknowledged since boot (an update's health)

    # -- boot ---------------------------------------------------------------

    def start(self):
        """Boot: load or create the key, recover the outbox, count the boot; return the boot number."""
        # Imported here, not at the top: only booting needs it, and a board may unload it
        # afterwards (heap.unload) so its code is not carried while the sensor runs.
        from . import identity

        self.store.clean()  # leftovers of writes a power cut interrupted
        self.key, created = identity.load_or_create(self.store, self._rng, self._make_key)
        self.public_key = bytes(self.key.public_key)
        self.device_id = identity.device_id(self.public_key)
        self.device_hex = identity.device_hex(self.device_id)
        if created:
            self.log("created device key; device id " + self.device_hex)
        st = state.load(self.store) or state.State()
        st.head = self.outbox.recover(st.head, st.tail)
        st.boot += 1
        st.seq = 0
        # Persisted before anything is signed: no two boots ever share a boot number.
        state.save(self.store, st)
        self.state = st
        self.log("boot %d of device %s, %d readings waiting" % (st.boot, self.device_hex, self.pending()))
        return st.boot

    @property
    def boot(self):
        return self.state.boot

    def topic(self, kind):
        """MQTT topic of this device for ``kind`` ("data", "birth" or "status")."""
        return TOPIC_PREFIX + self.device_hex + "/" + kind

    # -- producing messages -------------------------------------------------

    def _sign(self, encoded):
        return cose.sign1(encoded, self.key, self.device_id)

    def birth(self):
        """A signed birth message (not queued: one is sent on every connection)."""
        encoded = payload.birth(
            self.device_id,
            self.state.boot,
            self.clock.time(),
            self.clock.synced,
            self.firmware,
            self.public_key,
        )
        return self._sign(encoded)

    def read_sensors(self):
        """Readings and usage deltas of all sensors; a failing sensor or a bad value is skipped and logged."""
        readings = {}
        run_seconds = 0
        cycles = 0
        for sensor in self.sensors:
            name = getattr(sensor, "name", "?")
            try:
                values = sensor.read()
                used = sensor.usage()
            except Exception as exc:  # noqa: BLE001 - a broken sensor must not stop the others or the chain
                self.errors += 1
                self.log("sensor %s failed: %r" % (name, exc))
                continue
            for key in values:
                value = values[key]
                try:
                    payload.check_reading(key, value)
                except ValueError:
                    # One bad value must not make the whole reading unsignable, period after period.
                    self.errors += 1
                    self.log("sensor %s gave %r = %r, not a reading; left out" % (name, key, value))
                    continue
                readings[key] = value
            if _counts(used):
                run_seconds += used[0]
                cycles += used[1]
            else:
                self.errors += 1
                self.log("sensor %s gave usage %r, expected two counts >= 0; left out" % (name, used))
        if len(readings) > payload.MAX_READINGS:
            keys = sorted(readings)
            for key in keys[payload.MAX_READINGS :]:
                del readings[key]
            self.errors += 1
            self.log(
                "%d readings, the protocol carries %d: left out ids %r"
                % (len(keys), payload.MAX_READINGS, keys[payload.MAX_READINGS :])
            )
        return readings, run_seconds, cycles

    def sample(self):
        """Read the sensors, sign the next reading and commit it to the outbox; return its bytes."""
        readings, run_seconds, cycles = self.read_sensors()
        return self.record(readings, run_seconds, cycles)

    def record(self, readings, run_seconds=0, cycles=0):
        """Sign and commit one reading with these values (usage as deltas); return its bytes."""
        st = self.state
        nxt = st.copy()
        nxt.run_seconds = st.run_seconds + run_seconds
        nxt.cycles = st.cycles + cycles
        full = st.tail - st.head >= self.outbox.capacity
        dropped = st.dropped + (1 if full else 0)
        encoded = payload.reading(
            self.device_id,
            st.boot,
            st.seq,
            self.clock.time(),
            self.clock.synced,
            readings,
            nxt.run_seconds,
            nxt.cycles,
            st.prev,
            dropped,
        )
        message = self._sign(encoded)
        nxt.seq = st.seq + 1
        nxt.prev = hashlib.sha256(message).digest()
        nxt.dropped = 0
        try:
            self.outbox.put(st.tail, message)
        except OSError as exc:
            # Signed but not stored: it is lost.  Count it (with any drops it
            # carried), keep the chain and the sequence moving so that nothing
            # signed is ever reused.
            self.log("outbox write failed, reading %d dropped: %r" % (st.seq, exc))
            nxt.dropped = st.dropped + 1
            state.save(self.store, nxt)
            self.state = nxt
            return message
        nxt.tail = st.tail + 1
        if full:
            nxt.head = st.head + 1
        state.save(self.store, nxt)  # the commit point
        self.state = nxt
        if full:
            self.outbox.discard(st.head)
            self.log("outbox full: dropped the oldest reading")
        return message

    # -- delivering messages ------------------------------------------------

    def pending(self):
        """Readings waiting in the outbox."""
        return self.state.tail - self.state.head

    def oldest(self):
        """(index, bytes) of the oldest waiting reading, or None."""
        st = self.state
        while st.head < st.tail:
            message = self.outbox.get(st.head)
            if message is not None:
                return st.head, message
            # Lost from flash behind our back: nothing to send, move on.
            self.log("outbox entry %d is missing" % st.head)
            st.head += 1
        return None

    def delivered(self, index):
        """Mark reading ``index`` (the oldest) as delivered and free its space."""
        st = self.state
        if index != st.head:
            raise ValueError("reading %d is not the oldest waiting (%d)" % (index, st.head))
        st.head += 1
        self.outbox.discard(index)

    def connect(self, flush_limit=None):
        """Open the transport with its last will, announce the device, flush; return success.

        ``flush_limit`` bounds how many waiting readings are sent now (default: all).
        """
        if self.transport is None:
            return False
        try:
            self.transport.connect(self.topic("status"), STATUS_OFFLINE)
            self.transport.publish(self.topic("status"), STATUS_ONLINE, True)
            self.transport.publish(self.topic("birth"), self.birth())
        except TransportError as exc:
            self.log("connect failed: %s" % (exc,))
            self.disconnect()
            return False
        self.online = True
        self.log("online")
        self.flush(flush_limit)
        return self.online

    def disconnect(self):
        """Drop the link (the broker publishes the last will)."""
        self.online = False
        if self.transport is not None:
            self.transport.close()

    def flush(self, limit=None):
        """Publish waiting readings oldest-first until done, ``limit`` or a failure; return how many."""
        sent = 0
        while self.online and (limit is None or sent < limit):
            entry = self.oldest()
            if entry is None:
                break
            try:
                self.transport.publish(self.topic("data"), entry[1])
            except TransportError as exc:
                self.log("publish failed, %d readings waiting: %s" % (self.pending(), exc))
                self.disconnect()
                break
            self.delivered(entry[0])
            self.published += 1
            sent += 1
        return sent

    def step(self, flush_limit=None):
        """One period: sample, sign and commit a reading, then deliver what is waiting; return the reading."""
        message = self.sample()
        if self.online:
            self.flush(flush_limit)
        return message
