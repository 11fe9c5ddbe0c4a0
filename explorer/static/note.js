/* The home page's checkpoint (a c2sp.org signed note): the log's own signature checked here with the
 * page's code (verify.js), and each witness cosignature (cosignature/v1) whose key the explorer was
 * given. A signature line by a key the page does not know is listed, not checked. */
(function (root) {
  "use strict";
  const V = root.LeaseChainVerify || (typeof require === "function" ? require("./verify.js") : null);
  const { sha256, ed25519Verify, bytesToHex, concat } = V;
  const utf8 = (text) => new TextEncoder().encode(text);
  const unbase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

  /** A vkey `<name>+<hex key id>+base64(type || key)` read, its key id checked: {name, id, type, key}. */
  function parseVkey(text) {
    const first = text.indexOf("+"), second = text.indexOf("+", first + 1);
    // base64 may hold "+"; the name and the key id never do
    const parts = first < 0 || second < 0 ? [] : [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1).trim()];
    if (parts.length !== 3) throw new Error(`vkey ${text.slice(0, 40)} is not <name>+<key id>+<key>`);
    const raw = unbase64(parts[2]);
    if (raw.length !== 33) throw new Error(`vkey ${parts[0]} does not hold a 32-byte key`);
    const id = bytesToHex(sha256(concat(utf8(parts[0] + "\n"), raw)).slice(0, 4));
    if (id !== parts[1]) throw new Error(`vkey ${parts[0]}: key id ${parts[1]} is not its own (${id})`);
    return { name: parts[0], id, type: raw[0], key: raw.slice(1) };
  }

  /** The note's text and signature lines: {text, lines: [{name, id, signature}]}. */
  function parseNote(note) {
    const cut = note.lastIndexOf("\n\n");
    if (cut < 0 || !note.endsWith("\n")) throw new Error("the note is not text, a blank line and signatures");
    const text = note.slice(0, cut + 1);
    const lines = note.slice(cut + 2, -1).split("\n").map((line) => {
      const parts = line.split(" ");
      if (parts.length !== 3 || parts[0] !== "\u2014") throw new Error(`signature line ${line.slice(0, 60)} is malformed`);
      const blob = unbase64(parts[2]);
      return { name: parts[1], id: bytesToHex(blob.slice(0, 4)), signature: blob.slice(4) };
    });
    return { text, lines };
  }

  /** Each signature line checked against the known keys: [{name, id, role, ok (true|false|null), detail}]. */
  function checkNote(note, logVkey, witnessVkeys) {
    const { text, lines } = parseNote(note);
    const log = parseVkey(logVkey);
    const witnesses = witnessVkeys.map(parseVkey);
    return lines.map((line) => {
      if (line.name === log.name && line.id === log.id) {
        const ok = line.signature.length === 64 && ed25519Verify(log.key, utf8(text), line.signature);
        return { ...line, role: "log", ok, detail: ok ? "the log's signature verifies" : "the log's signature does NOT verify" };
      }
      const known = witnesses.find((w) => w.name === line.name && w.id === line.id);
      if (!known) return { ...line, role: "witness", ok: null, detail: "not checked: this explorer was not given its key" };
      const sig = line.signature;
      let seconds = 0n;
      for (let i = 0; i < 8 && i < sig.length; i++) seconds = (seconds << 8n) | BigInt(sig[i]);
      const signed = utf8(`cosignature/v1\ntime ${seconds}\n` + text);
      const ok = known.type === 4 && sig.length === 72 && ed25519Verify(known.key, signed, sig.slice(8));
      return { ...line, role: "witness", ok, detail: ok ? "its cosignature verifies" : "its cosignature does NOT verify" };
    });
  }

  const api = { parseVkey, parseNote, checkNote };
  if (typeof module === "object" && module.exports) { module.exports = api; return; }
  root.LeaseChainNote = api;

  const section = document.getElementById("checkpoint");
  if (!section) return;
  const verdict = section.querySelector(".verdict");
  try {
    const note = section.querySelector("pre").textContent;
    const results = checkNote(note, section.dataset.vkey, JSON.parse(section.dataset.witnesses));
    results.forEach((r, i) => {
      const item = section.querySelector(`li[data-line="${i}"] .check`);
      if (item) { item.textContent = r.detail; item.className = "check " + (r.ok === null ? "" : r.ok ? "ok" : "failed"); }
    });
    const logOk = results.some((r) => r.role === "log" && r.ok);
    const bad = results.find((r) => r.ok === false);
    const ok = logOk && !bad;
    verdict.textContent = ok ? "Verified in your browser: the log signed this checkpoint." :
      `FAILED: ${bad ? `${bad.name}: ${bad.detail}` : "no signature of the log's key on this checkpoint"}.`;
    verdict.className = "verdict " + (ok ? "ok" : "failed");
    section.dataset.verdict = ok ? "ok" : "failed";
  } catch (error) {
    verdict.textContent = `FAILED: the checkpoint cannot be read (${error.message}).`;
    verdict.className = "verdict failed";
    section.dataset.verdict = "failed";
  }
})(typeof globalThis !== "undefined" ? globalThis : this);
