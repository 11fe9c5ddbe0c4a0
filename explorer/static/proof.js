/* The entry page's check: fetch the proof, verify it here (verify.js), show each step.
 * The log key is the one this browser pinned (the "pin" button), else the one the explorer names. */
(function () {
  "use strict";
  const section = document.getElementById("proof");
  if (!section) return;
  const index = Number(section.dataset.index);
  const verdict = document.getElementById("verdict");
  const steps = document.getElementById("steps");
  const PIN = "leasechain.logKey";

  function pinned() {
    try { return window.localStorage.getItem(PIN); } catch (error) { return null; }
  }

  function show(ok, text, list) {
    verdict.textContent = text;
    verdict.className = "verdict " + (ok ? "ok" : "failed");
    section.dataset.verdict = ok ? "ok" : "failed";
    steps.textContent = "";
    for (const s of list) {
      const item = document.createElement("li");
      item.className = s.ok ? "ok" : "failed";
      item.textContent = (s.ok ? "✓ " : "✗ ") + s.detail;
      steps.appendChild(item);
    }
  }

  async function run() {
    section.dataset.verdict = "pending";
    verdict.className = "verdict pending";
    verdict.textContent = "Checking…";
    let proof;
    try {
      const answer = await fetch(`/entry/${index}/proof.json`, { cache: "no-store" });
      if (!answer.ok) throw new Error(`the explorer answered HTTP ${answer.status}`);
      proof = await answer.json();
    } catch (error) {
      show(false, `Not verified: no proof could be read (${error.message}).`, []);
      return;
    }
    const key = pinned() || proof.log_key;
    const shown = {
      type: section.dataset.type, id: section.dataset.id, signer: section.dataset.signer,
      time: Number(section.dataset.time),
    };
    const result = window.LeaseChainVerify.checkInclusion(proof, key, shown);
    const whose = pinned() ? "the log key pinned in this browser" : "the log key the explorer names (compare it with the one your operator published)";
    if (result.ok) {
      show(true, `Verified in your browser: entry ${index} is in the log of ${proof.tree_size} entries whose head is signed by ${whose}.`, result.steps);
    } else {
      const failed = result.steps.find((s) => !s.ok);
      show(false, `FAILED: ${failed ? failed.detail : "no check ran"}. Do not trust this entry.`, result.steps);
    }
  }

  // Pinning makes every later check in this browser hold the explorer to this key, whatever it names.
  document.getElementById("pin").addEventListener("click", async () => {
    const answer = await fetch(`/entry/${index}/proof.json`, { cache: "no-store" });
    const key = (await answer.json()).log_key;
    if (window.confirm(`Pin log key ${key}? Compare it with the key your operator published first.`)) {
      window.localStorage.setItem(PIN, key);
      run();
    }
  });
  document.getElementById("verify").addEventListener("click", run);
  run();
})();
