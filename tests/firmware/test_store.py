"""Atomic files (firmware/leasechain/store.py) and the outbox (outbox.py), under MicroPython."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.micropython import MicroPython
from tests.firmware.device import run_mp

SCRIPT = """
import os, mptest, fakes
from leasechain.outbox import Outbox
from leasechain.store import FileStore
out = {}
store = fakes.CutStore("st")
store.write("a", b"old")
store.arm(1)
try:
    store.write("a", b"new contents")
except fakes.PowerCutError:
    pass
out["after_cut_write"] = [store.read("a").decode(), sorted(os.listdir("st"))]
store.arm(2)
try:
    store.write("a", b"new contents")
except fakes.PowerCutError:
    pass
out["after_cut_rename"] = [store.read("a").decode(), sorted(os.listdir("st"))]
store.arm(None)
store.clean()
out["cleaned"] = sorted(os.listdir("st"))
store.write("a", b"new")
out["written"] = store.read("a").decode()
out["missing"] = store.read("nope")
store.remove("nope")
out["listdir_missing"] = store.listdir("nothing")

box = Outbox(FileStore("ob"), 3)
for i in range(2, 9):
    box.put(i, b"m%d" % i)
FileStore("ob").write("out/junk", b"?")
FileStore("ob").write("out/5.tmp", b"half")
out["recover"] = box.recover(4, 7)
out["left"] = sorted(os.listdir("ob/out"))
out["get"] = [box.get(4).decode(), box.get(2)]
try:
    Outbox(FileStore("ob"), 0)
except ValueError as exc:
    out["capacity"] = str(exc)
out["empty"] = Outbox(FileStore("empty"), 3).recover(9, 9)
mptest.out(out)
"""


@pytest.mark.micropython
def test_cut_writes_keep_the_old_file_and_outbox_recovery(micropython: MicroPython, tmp_path: Path) -> None:
    got = run_mp(micropython, SCRIPT, flash=tmp_path)
    assert got["after_cut_write"] == ["old", ["a", "a.tmp"]]
    assert got["after_cut_rename"] == ["old", ["a", "a.tmp"]]
    assert got["cleaned"] == ["a"]
    assert got["written"] == "new"
    assert got["missing"] is None
    assert got["listdir_missing"] == []
    # Live readings are head <= i < tail: 4, 5, 6; the rest and all debris are removed.
    assert got["recover"] == 4
    assert got["left"] == ["4", "5", "6"]
    assert got["get"] == ["m4", None]
    assert got["capacity"] == "outbox capacity must be at least 1, got 0"
    assert got["empty"] == 9
