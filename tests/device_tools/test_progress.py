"""Progress lines appear on a terminal only, so scripts and --json output stay clean."""

from __future__ import annotations

import io

from firmware.tools.device.progress import Progress


def test_progress_is_shown_on_a_terminal_only() -> None:
    quiet = io.StringIO()
    Progress(quiet).step("deploying")  # StringIO is not a TTY
    assert quiet.getvalue() == ""
    shown = io.StringIO()
    progress = Progress(shown, enabled=True)
    progress.step("deploying")
    progress.file("lib/leasechain/app.py", 1024, 2048)
    progress.file("lib/leasechain/app.py", 2048, 2048)
    progress.step("done")
    lines = shown.getvalue().split("\n")
    assert lines[0] == "* deploying"
    assert "[###############...............] 1024/2048" in lines[1]
    assert lines[1].endswith("2048/2048")
    assert lines[2] == "* done"
