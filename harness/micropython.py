"""Run Python files under the real MicroPython interpreter (scripts/micropython-run.mjs).

Device tests write a small script, run it here, and assert on its output and
exit status; ``firmware/`` is on the interpreter's import path, as the
deployed files are on the board.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNNER = REPO / "scripts" / "micropython-run.mjs"
PACKAGE = REPO / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"


def node_binary() -> str:
    """Path of node, once the pinned interpreter package is installed beside the repo."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed; scripts/test installs it with apt-get")
    if not PACKAGE.exists():
        raise RuntimeError(f"{PACKAGE} is missing; run `npm ci` in {REPO}")
    return node


class MicroPython:
    """The interpreter as a callable: ``run(script)`` and ``run_code(source)``."""

    def __init__(self) -> None:
        self.node = node_binary()

    def run(
        self,
        script: Path,
        *args: str,
        flash: Path | None = None,
        heap: int | None = None,
        paths: tuple[Path, ...] = (),
        timeout: float = 120.0,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``script`` with ``args``; ``flash`` persists the board's file system between runs."""
        argv = [self.node, str(RUNNER)]
        if flash is not None:
            argv += ["--flash", str(flash)]
        if heap is not None:
            argv += ["--heap", str(heap)]
        for extra in paths:
            argv += ["--path", str(extra)]
        argv += [str(script), *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)

    def run_code(self, source: str, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        """Run ``source`` (a whole module's text) as a script."""
        with tempfile.TemporaryDirectory(prefix="mpy-") as tmp:
            script = Path(tmp) / "main_test.py"
            script.write_text(source)
            return self.run(script, *args, **kwargs)  # type: ignore[arg-type]  # forwarded keywords
