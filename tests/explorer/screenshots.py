"""Screenshots of the explorer's main pages for docs/explorer.md, over a freshly told lease.

``python -m tests.explorer.screenshots docs/explorer`` writes one PNG per page (Debian's Chromium).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PIL import Image

from tests.explorer.conftest import explorer
from tests.simulator.browser import chromium


class _Temp:
    def __init__(self, root: Path) -> None:
        self.root = root

    def mktemp(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        running = explorer.__wrapped__(_Temp(Path(tmp)))  # type: ignore[attr-defined]
        found = next(running)
        story = found.story
        pages = {
            "home": ("/", 1000),
            "entry": (f"/entry/{story.batch}", 1000),
            "machine": (f"/machine/{story.token}", 1000),
            "invoice": (f"/invoice/{story.invoice['id']}", 1000),
            "lease-trace": (f"/lease/{story.lease}", 1000),
            "lease-400px": (f"/lease/{story.lease}", 400),
        }
        trace = f"#trace-{story.invoice['period']}"
        with chromium() as browser:
            for name, (path, width) in pages.items():
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(found.url + path)
                if name == "entry":
                    page.wait_for_selector('#proof[data-verdict="ok"]')
                if name == "home":
                    page.wait_for_selector('#checkpoint[data-verdict="ok"]')
                if name.startswith("lease"):
                    page.locator(f"{trace} button").click()
                    page.wait_for_selector(f'{trace}[data-verdict="ok"]')
                shot = out / f"{name}.png"
                page.screenshot(path=str(shot), full_page=True)
                page.close()
                # A few dozen colours are all these pages use: a palette keeps the docs light.
                Image.open(shot).quantize(64).save(shot, optimize=True)
        running.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/explorer")))
