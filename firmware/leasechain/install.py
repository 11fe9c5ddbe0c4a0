"""Fetching, checking and installing a release (updater.py loads this for a check and drops it after).

A release the device accepts (release.py) is fetched file by file into
``/app/<version>.part``, each file checked against its size and SHA-256 as it
is written; only when all are there is the directory renamed to
``/app/<version>`` and ``/app/slot.json`` switched to it, in trial.  A power
cut at any point leaves either the old slot record or the new one, and the
next attempt starts the staging over.
"""

import os

import lcboot

from . import ed25519, httpget, release

_BUF = 512


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


def check(updater, feed=None):
    """One check for ``updater`` (updater.Updater.check): True when a new version is staged."""
    manifest = lcboot.APP_DIR + "/manifest.part"
    _makedirs(lcboot.APP_DIR)
    buf = bytearray(_BUF)  # one read buffer for the manifest and every file
    try:
        # To flash, not to the heap: a 30-file manifest is some 4 KB, more than a
        # fragmented heap may have in one piece.
        url = updater.url + "manifest.json"
        with open(manifest, "wb") as f:
            httpget.get(url, f.write, release.MAX_MANIFEST, updater.timeout_s, buf=buf)
        signature = httpget.get_bytes(updater.url + "manifest.sig", 64, updater.timeout_s)
        rejected = (updater.slot or {}).get("rejected", ())
        offer = release.check(
            manifest, signature, updater.public_key, updater.running, rejected, ed25519.shared_table()
        )
        if offer is None:
            return False
        _stage(updater, offer[0], offer[1], feed, buf)
    except release.RefusedError as exc:
        updater.refuse(exc.reason, exc.detail, manifest_version(manifest))
        return False
    except httpget.FetchError as exc:
        updater.refuse(release.FETCH_FAILED, str(exc), None)
        return False
    finally:
        lcboot.rmtree(manifest)
    _activate(updater, offer[0])
    return True


def _stage(updater, version, files, feed, buf):
    part = lcboot.APP_DIR + "/" + version + ".part"
    lcboot.rmtree(part)  # what a power cut left of an earlier attempt
    _makedirs(part)
    updater.log("update %s: fetching %d files" % (version, len(files)))
    try:
        for path, size, digest in files:
            if feed is not None:
                feed()
            target = part + "/" + path
            _makedirs(target[: target.rfind("/")])
            _fetch_file(updater.url + "files/" + digest, target, path, size, digest, updater.timeout_s, buf)
    except (release.RefusedError, httpget.FetchError):
        lcboot.rmtree(part)  # nothing of a refused or failed release stays in flash
        raise


def _fetch_file(url, target, path, size, digest, timeout_s, buf):
    import hashlib

    h = hashlib.sha256()
    with open(target, "wb") as f:

        def sink(chunk):
            h.update(chunk)
            f.write(chunk)

        try:
            got = httpget.get(url, sink, size, timeout_s, buf=buf)
        except httpget.TooLargeError as exc:
            raise release.RefusedError(release.FILE_MISMATCH, "%s: %s" % (path, exc)) from None
    if got != size or _hex(h.digest()) != digest:
        raise release.RefusedError(release.FILE_MISMATCH, "%s does not match its size and SHA-256" % path)


def _activate(updater, version):
    staged = lcboot.APP_DIR + "/" + version
    lcboot.rmtree(staged)
    os.rename(staged + ".part", staged)
    slot = updater.slot or {}
    lcboot.write(
        {
            "active": version,
            "previous": slot.get("active", ""),
            "state": "trial",
            "boots": 0,
            "trial_boots": updater.trial_boots,
            "rejected": slot.get("rejected", []),
            "event": {"state": "installed", "version": version},
        }
    )
    updater.log("update %s staged and checked; restarting into it" % version)


def manifest_version(path):
    """The version the manifest in ``path`` names, for the status message of a refusal (or None)."""
    body = release.read_json(path)
    version = body.get("version") if isinstance(body, dict) else None
    return version if isinstance(version, str) and len(version) <= 32 else None
