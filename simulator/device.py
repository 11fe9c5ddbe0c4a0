"""One virtual sensor: the firmware's ``Device`` on virtual flash, a virtual clock and an asyncio link.

The firmware's transport interface is blocking (``publish`` returns after the
PUBACK), which an event loop cannot offer ten thousand devices at once.  So
the virtual device drives the firmware's ``Device`` through its delivery
primitives instead of ``Device.flush``: ``sample()`` signs and commits,
``oldest()``/``delivered()`` walk the outbox oldest first, ``birth()`` and
``topic()`` give the announcement; here only the waiting is asynchronous.
Up to ``WINDOW`` readings are in flight per device, and a reading leaves the
outbox only once its PUBACK came back, as on the board.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from typing import Any

from chain_client.mqtt_codec import Will
from firmware.leasechain import state as firmware_state
from firmware.leasechain.app import STATUS_OFFLINE, STATUS_ONLINE, Device
from simulator import faults
from simulator.errors import MqttError
from simulator.flash import MemoryFlash
from simulator.machines import MachineModel
from simulator.mqtt import MqttConnection
from simulator.scenario import Machine
from simulator.signer import NaclSigner
from simulator.truth import ACCEPT, EITHER, REJECT, Sent, Truth

WINDOW = 16
SKEW_MARGIN = 30  # seconds either side of the gateway's limit where the verdict may go both ways


class VirtualClock:
    """The device's RTC: the driver sets ``now`` (device seconds) before each reading."""

    def __init__(self, skew: int, synced: bool = True) -> None:
        self.skew = skew
        self.synced = synced
        self.now = 0.0

    def time(self) -> int:
        return int(self.now) + self.skew


def device_seed(seed: int, index: int) -> bytes:
    """The 32 random bytes device ``index`` draws for its key at first boot (deterministic per seed)."""
    return hashlib.sha256(f"leasechain-sim:{seed}:{index}".encode()).digest()


def signer_for(seed: int, index: int) -> NaclSigner:
    """The key device ``index`` of a fleet with ``seed`` creates."""
    return NaclSigner(device_seed(seed, index))


def _quiet(_line: str) -> None:
    pass


class VirtualDevice:
    """The firmware's device logic with the simulator's hardware, link and fault plan."""

    def __init__(
        self,
        index: int,
        seed: int,
        profile: Machine,
        plan: faults.DevicePlan,
        truth: Truth,
        broker: tuple[str, int],
        max_future: int,
        keepalive: int,
        first_boot: int = 1,
    ) -> None:
        self.index = index
        self.seed = seed
        self.profile = profile
        self.plan = plan
        self.truth = truth
        self.broker = broker
        self.keepalive = keepalive
        self.max_future = max_future
        self.flash = MemoryFlash()
        if first_boot > 1:
            # As if the board had kept its counters since an earlier run: the boot number goes on
            # from there, so a site that saw that run never sees its (boot, seq) again.
            earlier = firmware_state.State()
            earlier.boot = first_boot - 1
            firmware_state.save(self.flash, earlier)
        self.machine = MachineModel(profile, seed, index)
        self.clock = VirtualClock(plan.skew)
        self.clock.now = time.time()  # the birth of the first connection, before any reading is due
        self.rng = random.Random(f"{seed}:{index}:link")
        self.device = self._boot()
        self._data_topic = str(self.device.topic("data"))
        self.expect, self.reason = ACCEPT, ""
        if plan.role == faults.WRONG_KEY:
            self.expect, self.reason = REJECT, "unknown_device"
        elif plan.role == faults.REVOKED:
            self.expect, self.reason = REJECT, "revoked_device"
        self.conn: MqttConnection | None = None
        self.online = False
        self.held = False  # a reading held back to be delivered out of order
        self.attacker: NaclSigner | None = None
        self._sent: list[bytes] = []  # recent readings, for replays and clones
        self._records: dict[int, Sent] = {}  # outbox index -> ground truth, until delivered

    def _boot(self) -> Any:  # noqa: ANN401 - the firmware's untyped Device
        seed = device_seed(self.seed, self.index)
        device = Device(
            self.flash,
            self.clock,
            self.machine.sensors,
            None,
            self.profile.outbox_capacity,
            rng=lambda n: seed[:n],
            make_key=NaclSigner,
            log=_quiet,
        )
        device.start()
        return device

    @property
    def public_key(self) -> bytes:
        return bytes(self.device.public_key)

    @property
    def device_hex(self) -> str:
        return str(self.device.device_hex)

    # -- the link ---------------------------------------------------------------------------

    async def connect(self) -> bool:
        """Connect with the offline will, announce status and birth; return success."""
        host, port = self.broker
        conn = MqttConnection(
            host,
            port,
            "sim-" + self.device_hex,
            keepalive=self.keepalive,
            will=Will(self.device.topic("status"), STATUS_OFFLINE),
        )
        try:
            await conn.connect()
            conn.publish_future(self.device.topic("status"), STATUS_ONLINE, 1, True)
            await conn.publish(self.device.topic("birth"), bytes(self.device.birth()))
        except MqttError:
            conn.abort()
            self.truth.publish_errors += 1
            return False
        self.conn = conn
        self.online = True
        return True

    def drop(self) -> None:
        """Lose the link without a goodbye (the broker publishes the will)."""
        self.online = False
        if self.conn is not None:
            self.conn.abort()
            self.conn = None

    def close(self) -> None:
        """Polite disconnect at the end of the run."""
        self.online = False
        if self.conn is not None:
            self.conn.disconnect()
            self.conn = None

    async def reconnect(self, deadline: float) -> None:
        """Reconnect with a jittered wait until it works or ``deadline`` (loop time) passes."""
        loop = asyncio.get_running_loop()
        delay = 0.2
        while not self.online and loop.time() < deadline:
            await asyncio.sleep(delay * (0.5 + self.rng.random()))
            if await self.connect():
                self.truth.reconnects += 1
                return
            delay = min(delay * 2, 5.0)

    # -- readings ---------------------------------------------------------------------------

    def sample(self, k: int, device_time: float) -> bytes:
        """Sign and commit reading ``k`` of the run at ``device_time``; return it."""
        actions = self.plan.at(k)
        if "reboots" in actions:
            self.device = self._boot()
        self.machine.advance(device_time)
        self.clock.now = device_time
        dropped_before = self.device.state.head
        full = self.device.pending() >= self.device.outbox.capacity
        message = bytes(self.device.sample())
        if full and self.device.state.head > dropped_before:
            self.truth.dropped_by_devices += 1
        self.truth.signed += 1
        st = self.device.state
        expect, reason = self.expect, self.reason
        if self.plan.skew and self.plan.role == faults.GENUINE:
            # Under acceleration a skewed clock may still be behind the gateway's: predict per reading.
            ahead = self.clock.time() - time.time()
            if ahead > self.max_future + SKEW_MARGIN:
                expect, reason = REJECT, "clock_skew"
            elif ahead > self.max_future - SKEW_MARGIN:
                expect, reason = EITHER, ""
            else:
                expect, reason = ACCEPT, ""
        # The device keeps the digest of what it just signed as the next reading's ``prev``.
        self._records[st.tail - 1] = self.truth.add(
            message, self.device_hex, st.boot, st.seq - 1, "reading", expect, reason, st.run_seconds, st.prev
        )
        self._sent.append(message)
        if len(self._sent) > 8:
            del self._sent[0]
        return message

    def hostile(self, k: int, message: bytes) -> list[tuple[str, bytes, Sent | None]]:
        """The extra messages the plan injects after reading ``k``: (topic, bytes, record)."""
        out: list[tuple[str, bytes, Sent | None]] = []
        topic = self.device.topic("data")
        hexid = self.device_hex
        st = self.device.state
        for action in self.plan.at(k):
            raw: bytes | None = None
            kind, expect, reason = action, REJECT, "*"
            if action == "forged_signatures":
                raw, reason = faults.forged(message), "bad_signature"
            elif action == "replays" and len(self._sent) > 3:
                raw = self._sent[0]  # an older reading again, verbatim: must count once
                kind, expect, reason = "reading", self.expect, self.reason
            elif action == "clones" and len(self._sent) > 4:
                raw, reason = faults.clone(self._sent[0], self.device.key, self.device.device_id), "replay"
            elif action == "duplicates":
                raw = message
                kind, expect, reason = "reading", self.expect, self.reason
            elif action == "impostors":
                if self.attacker is None:
                    self.attacker = NaclSigner(hashlib.sha256(b"attacker" + self.device.public_key).digest())
                raw = faults.impostor(message, self.attacker, self.device.device_id, st.seq + 1_000_000)
                reason = "bad_signature"
            elif action == "malformed":
                raw = faults.malformed(message)
            elif action == "oversized":
                raw, reason = faults.oversized(message), "oversize"
            if raw is None:
                continue
            self.truth.injected[action] += 1
            record = self.truth.add(raw, hexid, st.boot, -1, kind, expect, reason)
            out.append((topic, raw, record))
        return out

    async def send_raw(self, items: list[tuple[str, bytes, Sent | None]]) -> None:
        """Publish hostile messages (not from the outbox; a failure is just counted)."""
        for topic, raw, record in items:
            if not self.online or self.conn is None:
                return
            try:
                future = self.conn.publish_future(topic, raw)
                if record is not None:
                    Truth.published(record)
                await future
                if record is not None:
                    Truth.acked(record)
            except MqttError:
                self.truth.publish_errors += 1
                self.drop()

    async def flush(self, cut_after_first: bool = False, swap: bool = False) -> int:
        """Deliver the outbox oldest first, ``WINDOW`` at a time; return readings delivered.

        ``cut_after_first`` drops the link right after the first PUBLISH (before its
        PUBACK) and ``swap`` sends the two oldest readings in reverse order.
        """
        st = self.device.state
        if st.tail - st.head == 1 and not cut_after_first and self.conn is not None and self.online:
            # The steady state: one reading waiting, sent and acknowledged.
            index = st.head
            message = self.device.outbox.get(index)
            if message is not None:
                record = self._records.get(index)
                future = self.conn.publish_future(self._data_topic, message)
                if record is not None:
                    Truth.published(record)
                try:
                    await future
                except MqttError:
                    self.truth.publish_errors += 1
                    self.drop()
                    return 0
                if record is not None:
                    Truth.acked(record)
                self.device.delivered(index)
                self._records.pop(index, None)
                return 1
        return await self._flush_window(cut_after_first, swap)

    async def _flush_window(self, cut_after_first: bool, swap: bool) -> int:
        delivered = 0
        truth = self.truth
        while self.online and self.conn is not None:
            st = self.device.state
            first = self.device.oldest()
            if first is None:
                break
            indexes = [first[0]]
            messages = [bytes(first[1])]
            i = first[0] + 1
            while len(indexes) < WINDOW and i < st.tail:
                data = self.device.outbox.get(i)
                if data is None:
                    break
                indexes.append(i)
                messages.append(bytes(data))
                i += 1
            order = list(range(len(indexes)))
            if swap and len(order) >= 2:
                order[0], order[1] = 1, 0
                swap = False
            topic = self._data_topic
            futures: dict[int, asyncio.Future[None]] = {}
            records: dict[int, Sent] = {}
            conn = self.conn
            for j in order:
                record = self._records.get(indexes[j])
                futures[j] = conn.publish_future(topic, messages[j])
                if record is not None:
                    Truth.published(record)
                    records[j] = record
                if cut_after_first:
                    cut_after_first = False
                    self.truth.injected["disconnects"] += 1
                    self.drop()
                    break
            for j in range(len(indexes)):
                future = futures.get(j)
                if future is None:
                    break
                try:
                    await future
                except MqttError:
                    truth.publish_errors += 1
                    self.drop()
                    # Later ones may have been acknowledged, but the outbox goes oldest first:
                    # they are sent again after the reconnect and counted once by the gateway.
                    for rest in futures.values():
                        if not rest.done():
                            rest.cancel()
                    return delivered
                record = records.get(j)
                if record is not None:
                    Truth.acked(record)
                self.device.delivered(indexes[j])
                self._records.pop(indexes[j], None)
                delivered += 1
        return delivered
