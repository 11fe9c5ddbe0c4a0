"""Signed over-the-air updates of the app: when to check, trial health, rollback, status.

The device asks the gateway's update service (``update.url``) for the current
release every ``update.check_s``.  A release it accepts (release.py) is
fetched file by file into ``/app/<version>.part``, each file checked against
its size and SHA-256 as it is written; only when all are there is the
directory renamed to ``/app/<version>`` and ``/app/slot.json`` switched to it,
in trial (lcboot.py).  The board then restarts into the new version, which
must get ``update.healthy_publishes`` messages acknowledged by the broker
within ``update.trial_s`` seconds of its boot, and within
``update.trial_boots`` boots, or it is rolled back to the copy that ran
before.  What happened is published, retained, on ``.../update``
(docs/firmware.md, "Updates and rollback").  Fetching and installing is
install.py's, loaded only for a check.
"""

import gc
import json
import os

import lcboot

from . import VERSION
from .heap import unload
from .ticks import ticks_add, ticks_diff

# Loaded for a check and dropped after it: their code would otherwise take
# heap for the hours between checks (install.py).
_ON_DEMAND = ("install", "release", "httpget", "streamed", "ed25519_verify")
# A check that failed in a way release.py has no name for (MemoryError on a fragmented heap).
CHECK_FAILED = "check_failed"


class Updater:
    """One device's update state; the runner calls ``tick`` every loop."""

    def __init__(
        self,
        url,
        public_key,
        slot=None,
        healthy=5,
        trial_s=600,
        check_s=3600,
        timeout_s=10,
        trial_boots=3,
        running=VERSION,
        log=None,
    ):
        """``slot``: what lcboot.select() returned at boot (None: the factory copy runs)."""
        self.url = url if url.endswith("/") else url + "/"
        self.public_key = public_key
        self.slot = slot
        self.healthy = healthy
        self.trial_s = trial_s
        self.timeout_s = timeout_s
        self.trial_boots = trial_boots
        self.running = running
        self.log = log or print
        self.check_ms = check_s * 1000
        self._next_check = None  # the first check right after the first connection
        # The trial's clock starts when the new version first reaches the broker: a site
        # network that is down says nothing about the version (a crash loop is caught by
        # lcboot's boot count instead).
        self._online_at = None
        self.event = (slot or {}).get("event") or {"state": "idle"}
        if self.trial:
            self.event = {"state": "trial", "version": running, "boot": slot.get("boots", 0)}
        self.dirty = True  # the status message is to be (re)published

    def tick(self, runner, now):
        """The runner's update duties: trial health, the status message, the periodic check."""
        device = runner.device
        if self._online_at is None and device.online:
            self._online_at = now
        if self.health(device.published, now) == "rolled_back":
            runner.restart = "rollback"
            return
        if not device.online:
            return
        if self.dirty:
            try:
                device.transport.publish(device.topic("update"), self.message(), True)
                self.dirty = False
            except OSError as exc:
                runner.log("update status failed: %r" % (exc,))
                device.disconnect()
                return
        if self._next_check is None or ticks_diff(now, self._next_check) >= 0:
            self._next_check = ticks_add(now, self.check_ms)
            if self.check(runner.wdt.feed if runner.wdt is not None else None):
                runner.restart = "update"

    @property
    def trial(self):
        return self.slot is not None and self.slot.get("state") == "trial"

    def message(self):
        """The update status message (JSON): the running version and the last thing that happened."""
        body = {"running": self.running}
        for key in self.event:
            body[key] = self.event[key]
        return json.dumps(body).encode()

    def _set(self, event):
        self.event = event
        self.dirty = True

    # -- health of a version in trial -----------------------------------------

    def health(self, published, now):
        """Confirm the version in trial after enough acknowledged publishes, roll it back when its time is up.

        Return "confirmed", "rolled_back" (the board must restart) or None.
        """
        if not self.trial:
            return None
        slot = self.slot
        if published >= self.healthy:
            slot["state"] = "good"
            slot["boots"] = 0
            slot["event"] = {"state": "confirmed", "version": self.running}
            lcboot.write(slot)
            self._set(slot["event"])
            self.log("update %s confirmed after %d publishes" % (self.running, published))
            self._prune((slot["active"],))
            return "confirmed"
        online_at = self._online_at
        if online_at is not None and ticks_diff(now, online_at) >= self.trial_s * 1000:
            self.slot = lcboot.roll_back(slot, "unhealthy", self.log)
            self._set(self.slot["event"])
            return "rolled_back"
        return None

    def _prune(self, keep):
        for name in os.listdir(lcboot.APP_DIR):
            if name not in keep and name != "slot.json":
                lcboot.rmtree(lcboot.APP_DIR + "/" + name)

    def check(self, feed=None):
        """Ask for the current release; install it if it is newer and sound.

        Return True when a new version is staged and active from the next boot
        (the board must restart).  Refusals and failures are logged and become
        the status message; they never raise.
        """
        if self.trial:
            return False  # one change at a time: prove this version first
        gc.collect()
        try:
            from . import install

            return install.check(self, feed)
        except Exception as exc:  # noqa: BLE001 - a failed check must never stop the sensor
            self.refuse(CHECK_FAILED, repr(exc), None)
            return False
        finally:
            unload(_ON_DEMAND)

    def refuse(self, reason, detail, version):
        """Log a refused or failed check and make it the status message."""
        self.log("update refused: %s: %s" % (reason, detail))
        event = {"state": "refused", "reason": reason}
        if version:
            event["version"] = version
        if event != self.event:
            self._set(event)


def from_config(cfg, slot, log):
    """The updater ``cfg`` (config.py) asks for, or None when ``update.url`` is empty."""
    u = cfg["update"]
    if not u["url"]:
        return None
    import binascii

    return Updater(
        u["url"],
        binascii.unhexlify(u["key"]),
        slot=slot,
        healthy=u["healthy_publishes"],
        trial_s=u["trial_s"],
        check_s=u["check_s"],
        timeout_s=cfg["mqtt"]["timeout_s"],
        trial_boots=u["trial_boots"],
        log=log,
    )
