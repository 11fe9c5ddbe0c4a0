"""The device's main loop on the board: periods, reconnects, keep-alive, watchdog.

``Runner.tick()`` does whatever is due and returns how long to sleep, so the
loop's timing logic runs in tests with a fake tick counter.  Nothing in a
tick blocks longer than the transport's timeout; the watchdog is fed every
tick, so a hung call resets the board and the persisted state carries on.
"""

from .const import const
from .ticks import sleep_ms as _sleep_ms
from .ticks import ticks_add, ticks_diff
from .ticks import ticks_ms as _ticks_ms

_MAX_BACKOFF_MS = const(300000)
_NTP_RETRY_MS = const(60000)
_WIFI_RETRY_MS = const(30000)
_MAX_SLEEP_MS = const(1000)
# Readings sent per tick: a long backlog (up to buffer_max after an outage) is
# delivered over several ticks, so the watchdog is fed between batches.
FLUSH_BATCH = const(20)
# A heap line in the log every this many readings (and the low-water mark kept always).
_HEAP_LOG_EVERY = const(100)


class Runner:
    """Schedules one Device on the board's hardware."""

    def __init__(
        self,
        device,
        period_s=60,
        poll_s=1,
        keepalive_s=60,
        wifi=None,
        wdt=None,
        led=None,
        ntp_host=None,
        ntp_resync_s=21600,
        ticks_ms=None,
        log=None,
        heap=None,
        updater=None,
    ):
        """``wifi`` has ``isconnected()`` and ``connect()`` (starts joining, returns at once);
        ``wdt`` has ``feed()``; ``led`` is a StatusLed; ``ticks_ms()`` a millisecond tick;
        ``heap`` a heap.HeapWatch, sampled after every tick that did work;
        ``updater`` an updater.Updater, ticked with the runner (it checks while online).
        The clock is set from ``ntp_host`` once the network is up and again every
        ``ntp_resync_s``: the RTC drifts, and a gateway refuses synced times more than 300 s ahead."""
        self.device = device
        self.period_ms = period_s * 1000
        self.poll_ms = poll_s * 1000
        self.keepalive_ms = keepalive_s * 500  # ping at half the broker's keep-alive
        self.wifi = wifi
        self.wdt = wdt
        self.led = led
        self.ntp_host = ntp_host
        self.ntp_resync_ms = ntp_resync_s * 1000
        self._ticks = ticks_ms or _ticks_ms
        self.log = log or device.log
        self.heap = heap
        self._heap_logged = 0
        self.updater = updater
        self.restart = None  # set when the board must restart: "update" or "rollback"
        now = self._ticks()
        self._next_reading = now
        self._next_poll = now
        self._next_ping = ticks_add(now, self.keepalive_ms)
        self._next_connect = now
        self._next_ntp = now
        self._next_wifi = now
        self._backoff_ms = 1000
        self.readings = 0

    def _due(self, at, now):
        return ticks_diff(now, at) >= 0

    def _network_up(self, now):
        wifi = self.wifi
        if wifi is None:
            return True
        if wifi.isconnected():
            return True
        if self.device.online:
            self.device.disconnect()
        if self._due(self._next_wifi, now):
            self._next_wifi = ticks_add(now, _WIFI_RETRY_MS)
            try:
                wifi.connect()
            except OSError as exc:
                self.log("wifi connect failed: %r" % (exc,))
        return False

    def tick(self):
        """Do what is due; return milliseconds until the next thing is."""
        now = self._ticks()
        if self.wdt is not None:
            self.wdt.feed()
        device = self.device
        up = self._network_up(now)
        if up and self.ntp_host and self._due(self._next_ntp, now):
            self._next_ntp = ticks_add(now, _NTP_RETRY_MS)
            try:
                device.clock.sync(self.ntp_host)
                self._next_ntp = ticks_add(now, self.ntp_resync_ms)
                self.log("clock synchronised")
            except Exception as exc:  # noqa: BLE001 - NTP failures (timeouts, DNS) only delay synchronisation
                self.log("ntp failed: %r" % (exc,))
        sent = False  # whether this tick already sent a batch of the backlog
        if up and device.transport is not None and not device.online and self._due(self._next_connect, now):
            sent = True
            if device.connect(FLUSH_BATCH):
                self._backoff_ms = 1000
                self._next_ping = ticks_add(now, self.keepalive_ms)
            else:
                self._next_connect = ticks_add(now, self._backoff_ms)
                self._backoff_ms = min(self._backoff_ms * 2, _MAX_BACKOFF_MS)
        if self._due(self._next_poll, now):
            self._next_poll = ticks_add(now, self.poll_ms)
            for sensor in device.sensors:
                try:
                    sensor.poll(now)
                except Exception as exc:  # noqa: BLE001 - keep polling the other sensors
                    self.log("sensor %s poll failed: %r" % (sensor.name, exc))
        if self._due(self._next_reading, now):
            # Keep the period's phase; after a long stall skip ahead instead of catching up.
            self._next_reading = ticks_add(self._next_reading, self.period_ms)
            if self._due(self._next_reading, now):
                self._next_reading = ticks_add(now, self.period_ms)
            device.step(FLUSH_BATCH)
            sent = True
            self.readings += 1
            self._next_ping = ticks_add(now, self.keepalive_ms)
            if self.led is not None:
                self.led.flash(now)
        if not sent and device.online and device.pending():
            device.flush(FLUSH_BATCH)  # the rest of a backlog, one batch per tick
            sent = True
        if device.online and self._due(self._next_ping, now):
            self._next_ping = ticks_add(now, self.keepalive_ms)
            try:
                device.transport.ping()
            except OSError as exc:
                self.log("keep-alive failed: %r" % (exc,))
                device.disconnect()
        if self.updater is not None:
            self.updater.tick(self, now)
        if sent and self.heap is not None:
            self._watch_heap()
        if self.led is not None:
            self.led.show_link(device.online, now)
        if device.online and device.pending():
            return 0  # more of the backlog to send
        wait = _MAX_SLEEP_MS
        for at in (self._next_reading, self._next_poll):
            wait = min(wait, max(0, ticks_diff(at, now)))
        return wait

    def _watch_heap(self):
        free = self.heap.sample()
        due = self.readings and self.readings % _HEAP_LOG_EVERY == 0 and self.readings != self._heap_logged
        if free is not None and due:
            self._heap_logged = self.readings
            self.log("heap: %d bytes free, lowest %d" % (free, self.heap.low))

    def run(self, sleep_ms=None):
        """Tick until the board must restart (an update installed or rolled back); return why."""
        sleep = sleep_ms or _sleep_ms
        while self.restart is None:
            sleep(self.tick())
        return self.restart
