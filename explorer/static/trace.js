/* "Trace this payout", checked in the page with its own code (verify.js): invoice -> usage ->
 * the signed readings -> their batches -> the log. Nothing the explorer says is taken on trust but
 * the invoice's own figures, which the checks tie to the readings and the log. */
(function (root) {
  "use strict";
  const V = root.LeaseChainVerify || (typeof require === "function" ? require("./verify.js") : null);
  const { sha256, ed25519Verify, leafHash, hexToBytes, bytesToHex, decodeCbor, checkInclusion, cborHead, concat } = V;

  // RFC 9162 §2.1.1: the Merkle tree hash of leaf hashes; the split is the largest power of two below n.
  function merkleRoot(hashes) {
    if (hashes.length === 0) return sha256(new Uint8Array(0));
    if (hashes.length === 1) return hashes[0];
    let k = 1;
    while (k * 2 < hashes.length) k *= 2;
    return sha256(concat(Uint8Array.of(1), merkleRoot(hashes.slice(0, k)), merkleRoot(hashes.slice(k))));
  }

  /** SHA-256 of the canonical CBOR array of [batch, position, increment] (docs/ledger.md, evidence). */
  function evidenceDigest(items) {
    const parts = [cborHead(4, items.length)];
    for (const [batch, position, increment] of items) {
      parts.push(cborHead(4, 3), cborHead(0, batch), cborHead(0, position), cborHead(0, increment));
    }
    return sha256(concat(...parts));
  }

  const PROTECTED_PREFIX = Uint8Array.of(0xa2, 0x01, 0x27, 0x04, 0x50); // {1: -8 (EdDSA), 4: kid(16)}
  const SIGNATURE1 = Uint8Array.of(0x84, 0x6a, ...Array.from("Signature1", (c) => c.charCodeAt(0)));

  /** A reading's COSE_Sign1 bytes (tag 18) read: {kid, signed} where `signed` says Ed25519 under `publicKey`. */
  function checkReading(message, publicKey) {
    if (message[0] !== 0xd2) throw new Error("the reading is not a COSE_Sign1 (tag 18)");
    const item = decodeCbor(message.slice(1));
    if (!Array.isArray(item) || item.length !== 4 || !(item[0] instanceof Uint8Array) ||
        !(item[2] instanceof Uint8Array) || !(item[3] instanceof Uint8Array)) {
      throw new Error("the reading is not [protected, unprotected, payload, signature]");
    }
    const [prot, , payload, signature] = item;
    if (prot.length !== 21 || !PROTECTED_PREFIX.every((b, i) => prot[i] === b)) {
      throw new Error("the reading's protected header is not {alg: EdDSA, kid}");
    }
    const toSign = concat(SIGNATURE1, cborHead(2, prot.length), prot, Uint8Array.of(0x40), cborHead(2, payload.length), payload);
    return { kid: bytesToHex(prot.slice(5)), signed: ed25519Verify(publicKey, toSign, signature) };
  }

  function batchRoot(entryHex) {
    const entry = decodeCbor(hexToBytes(entryHex));
    const body = decodeCbor(decodeCbor(entry[2])[0]);
    if (body.type !== "anchor_batch" || !(body.args.root instanceof Uint8Array)) throw new Error("the entry is not an anchor_batch");
    return { root: body.args.root, count: body.args.count };
  }

  /** Integer minor units as "1180" -> "11.80 EUR" (exact: digits moved, no float). */
  function money(amount, trace) {
    const e = trace.decimals === undefined ? 2 : trace.decimals;
    const digits = String(Math.abs(amount)).padStart(e + 1, "0");
    const whole = e ? `${digits.slice(0, -e)}.${digits.slice(-e)}` : digits;
    return `${amount < 0 ? "-" : ""}${whole} ${trace.currency || ""}`.trim();
  }
  const hours = (seconds) => `${(seconds / 3600).toFixed(2)} machine-hours`;

  /** Every step of the trace: [{check, ok, detail}]; ok when all are. */
  function checkTrace(trace, logKeyHex) {
    const steps = [];
    const step = (check, ok, detail) => { steps.push({ check, ok, detail }); return ok; };
    try {
      const inv = trace.invoice;
      if (trace.too_much) {
        step("size", false, `this period has ${trace.too_much}: check it offline with leasechain audit`);
        return { ok: false, steps };
      }
      const paidOut = inv.payouts.reduce((sum, p) => sum + p.amount, 0);
      step("invoice", inv.fixed + inv.usage_charge === inv.amount && (!inv.paid_at || paidOut === inv.amount),
        `invoice ${inv.id}: ${money(inv.fixed, trace)} fixed + ${money(inv.usage_charge, trace)} usage = ` +
        `${money(inv.amount, trace)}; ` +
        (inv.paid_at ? `its ${inv.payouts.length} payout lines add up to ${money(paidOut, trace)}` : "not paid yet"));
      const items = trace.evidence;
      const seconds = items.reduce((sum, item) => sum + item[2], 0);
      step("usage", seconds === inv.usage_seconds,
        `${items.length} readings add ${hours(seconds)} (${seconds} s); the invoice bills ` +
        `${hours(inv.usage_seconds)} (${inv.usage_seconds} s)`);
      const digest = bytesToHex(evidenceDigest(items));
      step("evidence", digest === inv.evidence,
        `the readings' evidence digest is ${digest}; the invoice signed ${inv.evidence}`);
      let signedCount = 0, badReading = "";
      for (const [batch, position] of items) {
        const message = (trace.batches[batch] || { messages: [] }).messages[position];
        if (message === undefined) { badReading = badReading || `no message at ${batch}#${position}`; continue; }
        const read = checkReading(hexToBytes(message), new Uint8Array(0));
        const key = trace.devices[read.kid];
        const keyBytes = key ? hexToBytes(key) : null;
        const ownKey = keyBytes && bytesToHex(sha256(keyBytes).slice(0, 16)) === read.kid;
        const ok = ownKey && checkReading(hexToBytes(message), keyBytes).signed;
        if (ok) signedCount += 1;
        else badReading = badReading || `the reading at batch ${batch} #${position} (sensor ${read.kid}) ` +
          (ownKey ? "has an invalid signature" : "names no key whose device id it is");
      }
      step("readings", signedCount === items.length,
        badReading || `all ${items.length} readings carry their sensor's valid Ed25519 signature`);
      for (const [index, batch] of Object.entries(trace.batches)) {
        const anchored = batchRoot(batch.proof.entry);
        const computed = merkleRoot(batch.messages.map((m) => leafHash(hexToBytes(m))));
        step("batch", bytesToHex(computed) === bytesToHex(anchored.root) && batch.messages.length === anchored.count,
          `batch entry ${index}: its ${batch.messages.length} messages give root ${bytesToHex(computed)}; ` +
          `the entry anchors ${bytesToHex(anchored.root)} over ${anchored.count}`);
        const log = checkInclusion(batch.proof, logKeyHex);
        const failed = log.steps.find((s) => !s.ok);
        step("log", log.ok, log.ok ? `batch entry ${index} is in the log of ${batch.proof.tree_size} entries under its signed head`
          : `batch entry ${index}: ${failed ? failed.detail : "no check ran"}`);
      }
    } catch (error) {
      step("format", false, `the trace is malformed: ${error.message}`);
    }
    return { ok: steps.length > 0 && steps.every((s) => s.ok), steps };
  }

  const api = { merkleRoot, evidenceDigest, checkReading, checkTrace };
  if (typeof module === "object" && module.exports) { module.exports = api; return; }
  root.LeaseChainTrace = api;

  // The lease page: one "Check this payout" button per invoice.
  const PIN = "leasechain.logKey";
  function pinned() {
    try { return root.localStorage.getItem(PIN); } catch (error) { return null; }
  }
  async function run(section) {
    const verdict = section.querySelector(".verdict");
    const list = section.querySelector(".steps");
    section.dataset.verdict = "pending";
    verdict.className = "verdict pending";
    verdict.textContent = "Checking…";
    let result;
    try {
      const answer = await fetch(section.dataset.src, { cache: "no-store" });
      if (!answer.ok) throw new Error(`the explorer answered HTTP ${answer.status}`);
      const trace = await answer.json();
      result = checkTrace(trace, pinned() || trace.log_key);
    } catch (error) {
      result = { ok: false, steps: [{ check: "fetch", ok: false, detail: `no trace could be read (${error.message})` }] };
    }
    const failed = result.steps.find((s) => !s.ok);
    verdict.textContent = result.ok ? "Verified in your browser: this payout rests on signed readings anchored in the log."
      : `FAILED: ${failed ? failed.detail : "no check ran"}. Do not trust this payout.`;
    verdict.className = "verdict " + (result.ok ? "ok" : "failed");
    section.dataset.verdict = result.ok ? "ok" : "failed";
    list.textContent = "";
    for (const s of result.steps) {
      const item = document.createElement("li");
      item.className = s.ok ? "ok" : "failed";
      item.dataset.check = s.check;
      item.textContent = (s.ok ? "✓ " : "✗ ") + s.detail;
      list.appendChild(item);
    }
  }
  for (const section of document.querySelectorAll("section.trace")) {
    section.querySelector("button").addEventListener("click", () => run(section));
  }
})(typeof globalThis !== "undefined" ? globalThis : this);
