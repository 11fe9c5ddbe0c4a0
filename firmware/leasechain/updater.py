"""Signed over-the-air updates of the app: fetch, stage, check, switch, confirm or roll back.

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
(docs/firmware.md, "Updates and rollback").
"""

import json
import os

import lcboot

from . import VERSION, ed25519, httpget, release
from .ticks import ticks_diff, ticks_ms

_DIR_BIT = 0x4000


def _rmtree(path):
    try:
        mode = os.stat(path)[0]
    except OSError:
        return
    if mode & _DIR_BIT:
        for name in os.listdir(path):
            _rmtree(path + "/" + name)
        os.rmdir(path)
    else:
        os.remove(path)


def _makedirs(path):
    cut = 0
    while True:
        cut = path.find("/", cut + 1)
        try:
            os.mkdir(path if cut < 0 else path[:cut])
        except OSError:
            pass
        if cut < 0:
            return


def _hex(data):
    import binascii

    return binascii.hexlify(data).decode()


class Updater:
    """One device's update state; the runner calls ``check``, ``health`` and ``message``."""

    def __init__(
        self,
        url,
        public_key,
        slot=None,
        healthy=5,
        trial_s=600,
        timeout_s=10,
        trial_boots=3,
        running=VERSION,
        log=None,
        ticks=None,
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
        self._ticks = ticks or ticks_ms
        self._started = self._ticks()
        self.event = (slot or {}).get("event") or {"state": "idle"}
        if self.trial:
            self.event = {"state": "trial", "version": running, "boot": slot.get("boots", 0)}
        self.dirty = True  # the status message is to be (re)published

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

    def health(self, published):
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
        if ticks_diff(self._ticks(), self._started) >= self.trial_s * 1000:
            self.slot = lcboot.roll_back(slot, "unhealthy", self.log)
            self._set(self.slot["event"])
            return "rolled_back"
        return None

    def _prune(self, keep):
        for name in os.listdir(lcboot.APP_DIR):
            if name not in keep and name != "slot.json":
                _rmtree(lcboot.APP_DIR + "/" + name)

    # -- fetching a release ---------------------------------------------------

    def _get_small(self, name, limit):
        return httpget.get_bytes(self.url + name, limit, self.timeout_s)

    def check(self, feed=None):
        """Ask for the current release; install it if it is newer and sound.

        Return True when a new version is staged and active from the next boot
        (the board must restart).  Refusals and failures are logged and become
        the status message; they never raise.
        """
        if self.trial:
            return False  # one change at a time: prove this version first
        manifest = None
        try:
            manifest = self._get_small("manifest.json", release.MAX_MANIFEST)
            signature = self._get_small("manifest.sig", 64)
            rejected = (self.slot or {}).get("rejected", ())
            offer = release.check(
                manifest, signature, self.public_key, self.running, rejected, ed25519.shared_table()
            )
            if offer is None:
                return False
            self._stage(offer[0], offer[1], feed)
        except release.RefusedError as exc:
            self._refuse(exc.reason, exc.detail, manifest_version(manifest))
            return False
        except httpget.FetchError as exc:
            self._refuse(release.FETCH_FAILED, str(exc), None)
            return False
        self._activate(offer[0])
        return True

    def _refuse(self, reason, detail, version):
        self.log("update refused: %s: %s" % (reason, detail))
        event = {"state": "refused", "reason": reason}
        if version:
            event["version"] = version
        if event != self.event:
            self._set(event)

    def _stage(self, version, files, feed):
        part = lcboot.APP_DIR + "/" + version + ".part"
        _rmtree(part)  # what a power cut left of an earlier attempt
        _makedirs(part)
        self.log("update %s: fetching %d files" % (version, len(files)))
        buf = bytearray(512)  # one read buffer for every file
        try:
            for path, size, digest in files:
                if feed is not None:
                    feed()
                target = part + "/" + path
                cut = target.rfind("/")
                _makedirs(target[:cut])
                self._fetch_file(target, path, size, digest, buf)
        except (release.RefusedError, httpget.FetchError):
            _rmtree(part)  # nothing of a refused or failed release stays in flash
            raise

    def _fetch_file(self, target, path, size, digest, buf):
        import hashlib

        h = hashlib.sha256()
        with open(target, "wb") as f:

            def sink(chunk):
                h.update(chunk)
                f.write(chunk)

            try:
                got = httpget.get(self.url + "files/" + digest, sink, size, self.timeout_s, buf=buf)
            except httpget.TooLargeError as exc:
                raise release.RefusedError(release.FILE_MISMATCH, "%s: %s" % (path, exc)) from None
        if got != size or _hex(h.digest()) != digest:
            raise release.RefusedError(release.FILE_MISMATCH, "%s does not match its size and SHA-256" % path)

    def _activate(self, version):
        staged = lcboot.APP_DIR + "/" + version
        _rmtree(staged)
        os.rename(staged + ".part", staged)
        slot = self.slot or {}
        lcboot.write(
            {
                "active": version,
                "previous": slot.get("active", ""),
                "state": "trial",
                "boots": 0,
                "trial_boots": self.trial_boots,
                "rejected": slot.get("rejected", []),
                "event": {"state": "installed", "version": version},
            }
        )
        self.log("update %s staged and checked; restarting into it" % version)


def manifest_version(manifest):
    """The version a manifest names, for the status message of a refusal (None if it names none)."""
    if not manifest:
        return None
    try:
        version = json.loads(manifest).get("version")
    except (ValueError, AttributeError):
        return None
    return version if isinstance(version, str) and len(version) <= 32 else None
