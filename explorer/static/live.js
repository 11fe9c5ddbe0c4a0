/* Live updates on the home page: the signed tree head is asked for every few seconds, and the page
 * says when new entries arrived (with a link that shows them) rather than moving under the reader. */
(function () {
  "use strict";
  const shown = document.getElementById("tree-size");
  const live = document.getElementById("live");
  if (!shown || !live) return;
  const since = Number(shown.dataset.size);
  const EVERY_MS = 5000;

  async function poll() {
    try {
      const answer = await fetch("/head.json", { cache: "no-store" });
      if (answer.ok) {
        const size = (await answer.json()).tree_size;
        if (size > since) {
          const count = size - since;
          live.textContent = "";
          const link = document.createElement("a");
          link.href = "/";
          link.textContent = `${count} new ${count === 1 ? "entry" : "entries"} since this page was loaded — show them`;
          live.appendChild(link);
          live.hidden = false;
        }
      }
    } catch (error) {
      // The explorer is unreachable for a moment: try again at the next tick.
    }
    window.setTimeout(poll, EVERY_MS);
  }
  window.setTimeout(poll, EVERY_MS);
})();
