# Which copy of the app runs: the one mip installed in /lib (the factory copy), or an
# over-the-air update in /app/<version>.  docs/firmware.md, "Updates and rollback".
#
# This module lives outside the leasechain package on purpose: an update replaces only
# leasechain, so a broken update can never break the way back to the copy that worked.
# /app/slot.json (written atomically, as every file in flash) says which copy is active:
#
#   {"active": "1.1.0", "previous": "", "state": "trial", "boots": 1, "trial_boots": 3,
#    "rejected": ["1.0.5"], "event": {"state": "installed", "version": "1.1.0"}}
#
# "previous" "" is the factory copy.  A version in "trial" has not yet proved itself
# (N publishes acknowledged by the broker); each boot in trial is counted here before the
# app is imported, so a version that crashes, hangs into the watchdog or loses power
# before it is healthy is rolled back after "trial_boots" boots.
import json
import os
import sys

APP_DIR = "app"
SLOT_FILE = "app/slot.json"
_TMP = ".tmp"
_KEEP_REJECTED = 8
_DIR_BIT = 0x4000


def _log(message):
    print("[leasechain] " + message)


def read(path=SLOT_FILE):
    """The slot record, or None when the factory copy runs (no record, or an unreadable one)."""
    try:
        with open(path) as f:
            slot = json.loads(f.read())
    except (OSError, ValueError):
        return None
    if not isinstance(slot, dict) or not isinstance(slot.get("active"), str):
        return None
    return slot


def write(slot, path=SLOT_FILE):
    """Replace the slot record atomically (a power cut leaves the old one or the new one)."""
    try:
        os.mkdir(APP_DIR)
    except OSError:
        pass
    with open(path + _TMP, "w") as f:
        f.write(json.dumps(slot))
    os.rename(path + _TMP, path)


def roll_back(slot, reason, log=_log):
    """Make the previous copy active again and remember why; return the record written."""
    bad = slot["active"]
    rejected = [v for v in slot.get("rejected", []) if v != bad][-(_KEEP_REJECTED - 1) :]
    rejected.append(bad)
    back = {
        "active": slot.get("previous", ""),
        "previous": "",
        "state": "good",
        "boots": 0,
        "trial_boots": slot.get("trial_boots", 3),
        "rejected": rejected,
        "event": {"state": "rolled_back", "version": bad, "reason": reason},
    }
    write(back)
    log("update %s rolled back (%s); running %s" % (bad, reason, back["active"] or "the factory copy"))
    return back


def rmtree(path):
    """Remove ``path`` and everything under it, if it exists."""
    try:
        mode = os.stat(path)[0]
    except OSError:
        return
    if mode & _DIR_BIT:
        for name in os.listdir(path):
            rmtree(path + "/" + name)
        os.rmdir(path)
    else:
        os.remove(path)


def app_path(version):
    """The directory holding version ``version`` of the package, for sys.path."""
    cwd = os.getcwd().rstrip("/")
    return cwd + "/" + APP_DIR + "/" + version


def select(log=_log):
    """Put the active copy first on sys.path, counting a trial boot first; return the slot record.

    Call before anything imports leasechain.
    """
    slot = read()
    if slot is None:
        return None
    if slot.get("state") == "trial":
        slot["boots"] = slot.get("boots", 0) + 1
        if slot["boots"] > slot.get("trial_boots", 3):
            slot = roll_back(slot, "crash_loop", log)
        else:
            write(slot)
    if slot["active"]:
        sys.path.insert(0, app_path(slot["active"]))
    return slot


def crashed(slot, exc):
    """The app died: in a trial, log it so the next boot counts towards rollback; re-raise otherwise."""
    if slot is not None and slot.get("state") == "trial":
        _log("update %s crashed in trial boot %d: %r" % (slot["active"], slot.get("boots", 0), exc))
        return True
    return False
