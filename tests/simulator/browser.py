"""A real headless Chromium (Debian's, driven by Playwright) that reports what a page's layout cuts off."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"  # Debian's package (scripts/install-system-deps); Playwright downloads nothing
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Runs in the page: every element that sticks out of the viewport, every table cell squeezed
# narrower than a short word, and every chart label too small to read or outside its chart.
_PROBLEMS = """
(minCell) => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const name = (e) => e.tagName.toLowerCase() + (e.textContent || '').trim().slice(0, 40);
  if (document.documentElement.scrollWidth > width) {
    found.push(`page scrolls sideways: ${document.documentElement.scrollWidth} px > ${width} px`);
  }
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -0.5 || r.right > width + 0.5) {
      found.push(`cut off (${r.left.toFixed(0)}..${r.right.toFixed(0)} px): ${name(e)}`);
    }
  }
  for (const e of document.querySelectorAll('td, th')) {
    const r = e.getBoundingClientRect();
    if (e.textContent.trim() && r.width < minCell) {
      found.push(`squeezed to ${r.width.toFixed(0)} px: ${name(e)}`);
    }
  }
  for (const svg of document.querySelectorAll('svg')) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (r.height < 9) found.push(`chart text ${r.height.toFixed(1)} px high: ${name(t)}`);
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5) found.push(`outside its chart: ${name(t)}`);
    }
  }
  return found;
}
"""


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def layout_problems(
    browser: Browser, page_file: Path | str, width: int = 420, min_cell: int = 40
) -> list[str]:
    """What does not fit when ``page_file`` (file or URL) is shown ``width`` px wide; empty if all fits."""
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        page.goto(page_file if isinstance(page_file, str) else page_file.resolve().as_uri())
        problems: list[str] = page.evaluate(_PROBLEMS, min_cell)
        return problems
    finally:
        page.close()
