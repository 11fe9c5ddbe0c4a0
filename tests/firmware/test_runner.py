"""The main loop (firmware/leasechain/runner.py) on fake ticks, Wi-Fi, watchdog and LED, under MicroPython."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from harness.micropython import MicroPython
from tests.firmware.chain import assert_chain, births, readings
from tests.firmware.device import run_mp

SCRIPT = """
import mptest, fakes, rig
from leasechain import led
from leasechain.runner import Runner

class BadPoll(fakes.FakeSensor):
    def poll(self, now_ms):
        raise OSError(5)

r = rig.Rig()
r.device.sensors.append(BadPoll({1024: 7}, name="flaky"))
r.start()
ticks = fakes.FakeTicks(0)
wifi = fakes.FakeWifi(up=False)
wdt = fakes.FakeWdt()
pin = fakes.FakePin()
status = led.StatusLed(pin)
attempts = []
real_connect = r.transport.connect
def connect(topic, message):
    attempts.append(ticks.now)
    real_connect(topic, message)
r.transport.connect = connect
r.transport.up = False
r.clock.synced = False
runner = Runner(r.device, period_s=60, poll_s=1, keepalive_s=60, wifi=wifi, wdt=wdt, led=status,
                ntp_host="pool.ntp.org", ntp_resync_s=300, ticks_ms=ticks)
syncs_at = []
real_sync = r.clock.sync
def sync(host="pool.ntp.org", timeout_s=2):
    syncs_at.append(ticks.now // 1000)
    r.clock.fail_sync = len(syncs_at) == 2      # the second attempt times out
    real_sync(host, timeout_s)
r.clock.sync = sync
waits = []
modes = {}
ticks_run = 0
while ticks.now < 900000:
    s = ticks.now // 1000
    wifi.up = 30 <= s < 400 or s >= 460
    r.transport.up = s >= 100
    wait = runner.tick()
    ticks_run += 1
    waits.append(wait)
    modes[status.mode] = modes.get(status.mode, 0) + 1
    ticks.advance(max(wait, 1))
out = r.report()
out.update({"attempts": attempts, "readings": runner.readings, "feeds": wdt.feeds, "ticks": ticks_run,
            "max_wait": max(waits), "syncs": syncs_at, "synced": r.clock.synced, "joins": wifi.joins,
            "pings": r.transport.pings, "modes": modes, "led": sorted(set(pin.values)),
            "polls": len(r.sensor.polls)})

# A stall (a long blocking call before the watchdog fired): one reading, not a burst.
stall = rig.Rig(root="stall")
stall.start()
t2 = fakes.FakeTicks(0)
run2 = Runner(stall.device, period_s=60, ticks_ms=t2)
run2.tick()
t2.advance(200000)
run2.tick()
t2.advance(1000)
run2.tick()
out["stall"] = run2.readings
t2.advance(59000)
run2.tick()
out["stall_after"] = run2.readings
mptest.out(out)
"""


@pytest.fixture(scope="module")
def ran(micropython: MicroPython) -> Any:
    return run_mp(micropython, SCRIPT)


@pytest.mark.micropython
def test_readings_every_period_delivered_in_order(ran: Any) -> None:
    assert ran["readings"] == 15  # t = 0, 60, ..., 840 s
    public = bytes.fromhex(ran["public_key"])
    got = readings(ran["sent"], public)
    assert [b.seq for _, b in got] == list(range(15))
    assert_chain(got)
    assert ran["pending"] == 0
    assert all(dict(b.readings)[1024] == 7 for _, b in got)  # a failing poll does not stop the sensor
    assert any("sensor flaky poll failed" in line for line in ran["log"])
    assert ran["polls"] >= 800  # about once a second
    assert len(births(ran["sent"])) == 2  # one per connection: after the broker and after Wi-Fi came back


@pytest.mark.micropython
def test_broker_reconnects_back_off_and_wifi_rejoins(ran: Any) -> None:
    attempts = [t // 1000 for t in ran["attempts"]]
    # Wi-Fi up at 30 s; the broker refuses until 100 s: retries 1, 2, 4, ... 64 s apart,
    # and the one at 157 s gets through.
    first = attempts[:8]
    assert first[0] == 30
    assert [b - a for a, b in itertools.pairwise(first)] == [1, 2, 4, 8, 16, 32, 64]
    assert first[7] == 157
    # Wi-Fi lost from 400 to 460 s: the device goes offline and reconnects at once when it is back.
    assert 460 in attempts
    assert ran["joins"] >= 3  # retries the join every 30 s while Wi-Fi is down
    assert ran["online"] is True


@pytest.mark.micropython
def test_clock_watchdog_keepalive_and_led(ran: Any) -> None:
    # NTP once Wi-Fi is up (30 s), then every 300 s; the attempt at 330 s fails and is
    # retried 60 s later.
    assert ran["syncs"] == [30, 330, 390, 690]
    assert ran["synced"] is True
    assert any(line.startswith("ntp failed: OSError(110") for line in ran["log"])
    assert ran["feeds"] == ran["ticks"]  # fed on every tick: a hung call resets the board
    assert ran["max_wait"] <= 1000
    assert ran["pings"] >= 10  # idle link kept alive at half the broker's keep-alive
    assert ran["modes"].keys() == {"online", "offline"}
    assert ran["led"] == [0, 1]


@pytest.mark.micropython
def test_a_stall_skips_ahead_instead_of_bursting(ran: Any) -> None:
    assert ran["stall"] == 2
    assert ran["stall_after"] == 3


BACKLOG = """
import mptest, fakes, rig
from leasechain import runner as runner_module
from leasechain.runner import Runner
r = rig.Rig(capacity=500)
r.start()
r.transport.up = False
for _ in range(75):
    r.step()
r.transport.up = True
ticks = fakes.FakeTicks(0)
wdt = fakes.FakeWdt()
runner = Runner(r.device, period_s=60, wdt=wdt, ticks_ms=ticks)
runner._next_reading = 3600000      # no reading due: only the backlog moves
batches = []
waits = []
for _ in range(8):
    before = len(r.transport.of("data"))
    waits.append(runner.tick())
    batches.append(len(r.transport.of("data")) - before)
    ticks.advance(waits[-1])
mptest.out({"batches": batches, "waits": waits, "feeds": wdt.feeds, "batch": runner_module.FLUSH_BATCH,
            "report": r.report()})
"""


@pytest.mark.micropython
def test_a_long_backlog_goes_out_in_batches_between_watchdog_feeds(micropython: MicroPython) -> None:
    got = run_mp(micropython, BACKLOG)
    batch = got["batch"]
    # 75 waiting readings: sent 20 per tick, the watchdog fed before each batch,
    # no sleep while a batch is left, then back to the normal wait.
    assert got["batches"] == [batch, batch, batch, 75 - 3 * batch, 0, 0, 0, 0]
    assert got["waits"][:3] == [0, 0, 0]
    assert got["waits"][3] > 0
    assert got["feeds"] == 8
    public = bytes.fromhex(got["report"]["public_key"])
    assert [b.seq for _, b in readings(got["report"]["sent"], public)] == list(range(75))
