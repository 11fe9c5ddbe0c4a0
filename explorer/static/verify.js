/* Lease Chain proof checks in the page, with no library and no WebCrypto (which browsers offer
 * only on https or localhost, not on a site's plain-http LAN): SHA-256 and SHA-512 (FIPS 180-4),
 * Ed25519 signature verification (RFC 8032 §5.1.7, BigInt arithmetic), a small CBOR reader for the
 * entry's own bytes (who signed what, and that the signature holds) and the RFC 9162 inclusion
 * proof of a log entry against the operator's signed tree head (docs/ledger.md).
 * Exposed as `LeaseChainVerify` in the page, and as a CommonJS module for node. */
(function (root) {
  "use strict";

  // FIPS 180-4 constants: the first 64 (SHA-512) or 32 (SHA-256) bits of the fractional parts
  // of the cube roots of the first 80 primes (K) and of the square roots of the first 8 (H).
  const K512 = [
    0x428a2f98d728ae22n, 0x7137449123ef65cdn, 0xb5c0fbcfec4d3b2fn, 0xe9b5dba58189dbbcn,
    0x3956c25bf348b538n, 0x59f111f1b605d019n, 0x923f82a4af194f9bn, 0xab1c5ed5da6d8118n,
    0xd807aa98a3030242n, 0x12835b0145706fben, 0x243185be4ee4b28cn, 0x550c7dc3d5ffb4e2n,
    0x72be5d74f27b896fn, 0x80deb1fe3b1696b1n, 0x9bdc06a725c71235n, 0xc19bf174cf692694n,
    0xe49b69c19ef14ad2n, 0xefbe4786384f25e3n, 0x0fc19dc68b8cd5b5n, 0x240ca1cc77ac9c65n,
    0x2de92c6f592b0275n, 0x4a7484aa6ea6e483n, 0x5cb0a9dcbd41fbd4n, 0x76f988da831153b5n,
    0x983e5152ee66dfabn, 0xa831c66d2db43210n, 0xb00327c898fb213fn, 0xbf597fc7beef0ee4n,
    0xc6e00bf33da88fc2n, 0xd5a79147930aa725n, 0x06ca6351e003826fn, 0x142929670a0e6e70n,
    0x27b70a8546d22ffcn, 0x2e1b21385c26c926n, 0x4d2c6dfc5ac42aedn, 0x53380d139d95b3dfn,
    0x650a73548baf63den, 0x766a0abb3c77b2a8n, 0x81c2c92e47edaee6n, 0x92722c851482353bn,
    0xa2bfe8a14cf10364n, 0xa81a664bbc423001n, 0xc24b8b70d0f89791n, 0xc76c51a30654be30n,
    0xd192e819d6ef5218n, 0xd69906245565a910n, 0xf40e35855771202an, 0x106aa07032bbd1b8n,
    0x19a4c116b8d2d0c8n, 0x1e376c085141ab53n, 0x2748774cdf8eeb99n, 0x34b0bcb5e19b48a8n,
    0x391c0cb3c5c95a63n, 0x4ed8aa4ae3418acbn, 0x5b9cca4f7763e373n, 0x682e6ff3d6b2b8a3n,
    0x748f82ee5defb2fcn, 0x78a5636f43172f60n, 0x84c87814a1f0ab72n, 0x8cc702081a6439ecn,
    0x90befffa23631e28n, 0xa4506cebde82bde9n, 0xbef9a3f7b2c67915n, 0xc67178f2e372532bn,
    0xca273eceea26619cn, 0xd186b8c721c0c207n, 0xeada7dd6cde0eb1en, 0xf57d4f7fee6ed178n,
    0x06f067aa72176fban, 0x0a637dc5a2c898a6n, 0x113f9804bef90daen, 0x1b710b35131c471bn,
    0x28db77f523047d84n, 0x32caab7b40c72493n, 0x3c9ebe0a15c9bebcn, 0x431d67c49c100d4cn,
    0x4cc5d4becb3e42b6n, 0x597f299cfc657e2an, 0x5fcb6fab3ad6faecn, 0x6c44198c4a475817n
  ];
  const H512 = [
    0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
    0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n
  ];
  const K256 = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  const H256 = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c,
    0x1f83d9ab, 0x5be0cd19
  ]);

  function hexToBytes(hex) {
    if (typeof hex !== "string" || hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) {
      throw new Error("not hex: " + String(hex).slice(0, 24));
    }
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
    return out;
  }

  function bytesToHex(bytes) {
    let s = "";
    for (const b of bytes) s += b.toString(16).padStart(2, "0");
    return s;
  }

  function concat(...parts) {
    let size = 0;
    for (const p of parts) size += p.length;
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }

  // Message padding shared by both hashes: 0x80, zeros, the bit length big-endian in the last 8 bytes.
  function pad(msg, block, lengthBytes) {
    const size = Math.ceil((msg.length + 1 + lengthBytes) / block) * block;
    const out = new Uint8Array(size);
    out.set(msg);
    out[msg.length] = 0x80;
    let bits = BigInt(msg.length) * 8n;
    for (let i = 1; i <= 8; i++) { out[size - i] = Number(bits & 0xffn); bits >>= 8n; }
    return out;
  }

  function sha256(msg) {
    const data = pad(msg, 64, 8);
    const view = new DataView(data.buffer);
    const H = Uint32Array.from(H256);
    const W = new Uint32Array(64);
    const rotr = (x, n) => (x >>> n) | (x << (32 - n));
    for (let off = 0; off < data.length; off += 64) {
      for (let t = 0; t < 16; t++) W[t] = view.getUint32(off + 4 * t);
      for (let t = 16; t < 64; t++) {
        const a = W[t - 15], b = W[t - 2];
        const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
        const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
        W[t] = W[t - 16] + s0 + W[t - 7] + s1;
      }
      let [a, b, c, d, e, f, g, h] = H;
      for (let t = 0; t < 64; t++) {
        const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K256[t] + W[t]) | 0;
        const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
    }
    const out = new Uint8Array(32);
    const outView = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) outView.setUint32(4 * i, H[i]);
    return out;
  }

  const M64 = (1n << 64n) - 1n;

  function sha512(msg) {
    const data = pad(msg, 128, 16);
    const H = H512.slice();
    const W = new Array(80);
    const rotr = (x, n) => ((x >> n) | (x << (64n - n))) & M64;
    for (let off = 0; off < data.length; off += 128) {
      for (let t = 0; t < 16; t++) {
        let w = 0n;
        for (let j = 0; j < 8; j++) w = (w << 8n) | BigInt(data[off + 8 * t + j]);
        W[t] = w;
      }
      for (let t = 16; t < 80; t++) {
        const a = W[t - 15], b = W[t - 2];
        const s0 = rotr(a, 1n) ^ rotr(a, 8n) ^ (a >> 7n);
        const s1 = rotr(b, 19n) ^ rotr(b, 61n) ^ (b >> 6n);
        W[t] = (W[t - 16] + s0 + W[t - 7] + s1) & M64;
      }
      let [a, b, c, d, e, f, g, h] = H;
      for (let t = 0; t < 80; t++) {
        const s1 = rotr(e, 14n) ^ rotr(e, 18n) ^ rotr(e, 41n);
        const t1 = (h + s1 + ((e & f) ^ (~e & M64 & g)) + K512[t] + W[t]) & M64;
        const s0 = rotr(a, 28n) ^ rotr(a, 34n) ^ rotr(a, 39n);
        const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) & M64;
        h = g; g = f; f = e; e = (d + t1) & M64; d = c; c = b; b = a; a = (t1 + t2) & M64;
      }
      const next = [a, b, c, d, e, f, g, h];
      for (let i = 0; i < 8; i++) H[i] = (H[i] + next[i]) & M64;
    }
    const out = new Uint8Array(64);
    for (let i = 0; i < 8; i++) {
      let v = H[i];
      for (let j = 7; j >= 0; j--) { out[8 * i + j] = Number(v & 0xffn); v >>= 8n; }
    }
    return out;
  }

  // Ed25519 over the twisted Edwards curve -x² + y² = 1 + d·x²·y² mod p, extended coordinates.
  const P = (1n << 255n) - 19n;
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  const mod = (a, m = P) => { const r = a % m; return r >= 0n ? r : r + m; };
  function power(base, exp, m = P) {
    let result = 1n;
    base = mod(base, m);
    while (exp > 0n) {
      if (exp & 1n) result = (result * base) % m;
      base = (base * base) % m;
      exp >>= 1n;
    }
    return result;
  }
  const D = mod(-121665n * power(121666n, P - 2n));
  const D2 = mod(2n * D);
  const SQRT_M1 = power(2n, (P - 1n) / 4n);
  const IDENTITY = [0n, 1n, 1n, 0n];

  function littleEndian(bytes) {
    let n = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
    return n;
  }

  // Unified addition (complete on this curve, so it doubles too): [X, Y, Z, T] with x = X/Z, y = Y/Z, xy = T/Z.
  function add(p, q) {
    const a = mod((p[1] - p[0]) * (q[1] - q[0]));
    const b = mod((p[1] + p[0]) * (q[1] + q[0]));
    const c = mod(p[3] * D2 * q[3]);
    const d = mod(p[2] * 2n * q[2]);
    const e = b - a, f = d - c, g = d + c, h = b + a;
    return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
  }

  function multiply(point, scalar) {
    let result = IDENTITY, addend = point;
    while (scalar > 0n) {
      if (scalar & 1n) result = add(result, addend);
      addend = add(addend, addend);
      scalar >>= 1n;
    }
    return result;
  }

  function samePoint(p, q) {
    return mod(p[0] * q[2] - q[0] * p[2]) === 0n && mod(p[1] * q[2] - q[1] * p[2]) === 0n;
  }

  // RFC 8032 §5.1.3: y little-endian with x's sign in the top bit; null when not a curve point.
  function decodePoint(bytes) {
    if (bytes.length !== 32) return null;
    const copy = Uint8Array.from(bytes);
    const sign = copy[31] >> 7;
    copy[31] &= 0x7f;
    const y = littleEndian(copy);
    if (y >= P) return null;
    const y2 = (y * y) % P;
    const u = mod(y2 - 1n), v = mod(D * y2 + 1n);
    let x = mod(u * power(v, 3n) * power(u * power(v, 7n), (P - 5n) / 8n));
    const vx2 = mod(v * x * x);
    if (vx2 === mod(-u)) x = mod(x * SQRT_M1);
    else if (vx2 !== u) return null;
    if (x === 0n && sign === 1) return null;
    if (Number(x & 1n) !== sign) x = P - x;
    return [x, y, 1n, mod(x * y)];
  }

  const BASE = (function () {
    const y = mod(4n * power(5n, P - 2n));
    const bytes = new Uint8Array(32);
    let v = y;
    for (let i = 0; i < 32; i++) { bytes[i] = Number(v & 0xffn); v >>= 8n; }
    return decodePoint(bytes);
  })();

  /** True when `signature` (64 bytes) is `publicKey`'s (32 bytes) Ed25519 signature of `message`. */
  function ed25519Verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    const A = decodePoint(publicKey);
    const rBytes = signature.subarray(0, 32);
    const R = decodePoint(rBytes);
    const S = littleEndian(signature.subarray(32));
    if (A === null || R === null || S >= L) return false;
    const k = mod(littleEndian(sha512(concat(rBytes, publicKey, message))), L);
    return samePoint(multiply(BASE, S), add(R, multiply(A, k)));
  }

  // RFC 9162 §2.1: leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ left ‖ right).
  const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
  const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

  /** The root an RFC 9162 §2.1.3.2 audit path gives for a leaf, or an Error saying why it gives none. */
  function rootFromInclusion(leaf, index, size, path) {
    if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) {
      return new Error(`leaf index ${index} is outside a tree of size ${size}`);
    }
    let fn = index, sn = size - 1, r = leaf;
    for (const p of path) {
      if (p.length !== 32) return new Error("an audit path hash is not 32 bytes");
      if (sn === 0) return new Error("the audit path is longer than the tree is deep");
      if (fn % 2 === 1 || fn === sn) {
        r = nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0) return new Error("the audit path is shorter than the tree is deep");
    return r;
  }

  // Deterministic CBOR (RFC 8949 §4.2.1) of what the tree head signs: the few types it needs.
  function cborHead(major, n) {
    const m = major << 5;
    if (n < 24) return Uint8Array.of(m | n);
    if (n < 0x100) return Uint8Array.of(m | 24, n);
    if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff);
    if (n < 0x100000000) return Uint8Array.of(m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
    const out = new Uint8Array(9);
    out[0] = m | 27;
    let v = BigInt(n);
    for (let i = 8; i >= 1; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
    return out;
  }
  const ascii = (text) => Uint8Array.from(text, (c) => c.charCodeAt(0));
  const cborText = (text) => concat(cborHead(3, text.length), ascii(text));
  const cborBytes = (bytes) => concat(cborHead(2, bytes.length), bytes);

  /** The bytes a tree head's signature covers: context ‖ CBOR {"log", "root", "size", "time"}. */
  function treeHeadBytes(size, root, time, logKey) {
    return concat(
      ascii("LeaseChain tree head v1\u0000"), Uint8Array.of(0xa4),
      cborText("log"), cborBytes(logKey), cborText("root"), cborBytes(root),
      cborText("size"), cborHead(0, size), cborText("time"), cborHead(0, time),
    );
  }


  // A small CBOR reader (RFC 8949) for what a log entry holds: integers, byte and text strings,
  // arrays, maps with text keys, false, true and null. Anything else is an error.
  function decodeCbor(bytes) {
    let at = 0;
    const need = (n) => { if (at + n > bytes.length) throw new Error("CBOR ends early"); };
    function argument(info) {
      if (info < 24) return info;
      const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
      if (size === undefined) throw new Error("CBOR indefinite or reserved length");
      need(size);
      let n = 0n;
      for (let i = 0; i < size; i++) n = (n << 8n) | BigInt(bytes[at++]);
      if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("CBOR integer too large for this page");
      return Number(n);
    }
    function item(depth) {
      if (depth > 32) throw new Error("CBOR nested too deeply");
      need(1);
      const head = bytes[at++], major = head >> 5, info = head & 0x1f;
      if (major === 7) {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        throw new Error("CBOR simple value or float " + info);
      }
      const n = argument(info);
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2: need(n); at += n; return bytes.slice(at - n, at);
        case 3: need(n); at += n; return new TextDecoder("utf-8", { fatal: true }).decode(bytes.slice(at - n, at));
        case 4: { const out = []; for (let i = 0; i < n; i++) out.push(item(depth + 1)); return out; }
        case 5: {
          const out = {};
          for (let i = 0; i < n; i++) {
            const key = item(depth + 1);
            if (typeof key !== "string") throw new Error("CBOR map key is not text");
            out[key] = item(depth + 1);
          }
          return out;
        }
        default: throw new Error("CBOR tag " + n + " where none belongs");
      }
    }
    const value = item(0);
    if (at !== bytes.length) throw new Error("CBOR has bytes after its item");
    return value;
  }

  const TX_CONTEXT = "LeaseChain transaction v2\u0000";

  /** A log entry's bytes read: {time, type, id, signer, ledger, signed} where `signed` says the
   *  signer's Ed25519 signature on the transaction body verifies (docs/ledger.md). */
  function readEntry(entryBytes) {
    const entry = decodeCbor(entryBytes);
    if (!Array.isArray(entry) || entry.length !== 3 || entry[0] !== 1 || !(entry[2] instanceof Uint8Array)) {
      throw new Error("the entry is not [1, time, transaction]");
    }
    const tx = decodeCbor(entry[2]);
    if (!Array.isArray(tx) || tx.length !== 3 || !tx.every((part) => part instanceof Uint8Array)) {
      throw new Error("the transaction is not [body, public key, signature]");
    }
    const [body, publicKey, signature] = tx;
    const fields = decodeCbor(body);
    return {
      time: entry[1],
      type: fields.type,
      id: fields.id,
      version: fields.v,
      ledger: fields.ledger instanceof Uint8Array ? bytesToHex(fields.ledger) : "",
      signer: bytesToHex(publicKey),
      signed: ed25519Verify(publicKey, concat(ascii(TX_CONTEXT), body), signature),
    };
  }

  /**
   * Check that a log entry is in the log whose key is `logKeyHex`: proof = {index, entry, tree_size,
   * audit_path, tree_head} as the explorer's /entry/{index}/proof.json serves it; `shown` (optional)
   * is {type, id, signer, time} as the page shows them, to be found in the entry's own bytes.
   * Returns {ok, steps: [{check, ok, detail}]}; every step is run and reported.
   */
  function checkInclusion(proof, logKeyHex, shown) {
    const steps = [];
    const step = (check, ok, detail) => { steps.push({ check, ok, detail }); return ok; };
    try {
      const head = proof.tree_head;
      const logKey = hexToBytes(logKeyHex);
      const headKey = hexToBytes(head.public_key);
      const root = hexToBytes(head.root_hash);
      const entry = hexToBytes(proof.entry);
      const leaf = leafHash(entry);
      step("leaf", true, `the entry's ${entry.length} bytes hash to leaf ${bytesToHex(leaf)}`);
      const read = readEntry(entry);
      step("transaction", read.signed && read.version === 2 && read.ledger === logKeyHex,
        `its transaction ${read.type} ${read.id} carries ${read.signer}'s Ed25519 signature ` +
        `${read.signed ? "(valid)" : "(INVALID)"} and is for ledger ${read.ledger}`);
      if (shown) {
        const same = read.type === shown.type && read.id === shown.id && read.signer === shown.signer &&
          read.time === shown.time;
        step("shown", same, `the bytes say ${read.type} ${read.id} by ${read.signer} at ${read.time}; ` +
          `the page shows ${shown.type} ${shown.id} by ${shown.signer} at ${shown.time}`);
      }
      step("tree", proof.tree_size === head.tree_size,
        `the proof is for a tree of ${proof.tree_size} entries, the signed head for ${head.tree_size}`);
      const computed = rootFromInclusion(leaf, proof.index, proof.tree_size, proof.audit_path.map(hexToBytes));
      if (computed instanceof Error) step("path", false, computed.message);
      else step("path", equal(computed, root), `the audit path of ${proof.audit_path.length} hashes gives root ` +
        `${bytesToHex(computed)}; the signed root is ${bytesToHex(root)}`);
      step("key", equal(headKey, logKey), `the tree head names log key ${head.public_key}; expected ${logKeyHex}`);
      const signed = treeHeadBytes(head.tree_size, root, head.timestamp, headKey);
      step("signature", ed25519Verify(logKey, signed, hexToBytes(head.signature)),
        `Ed25519 signature of the log key on size ${head.tree_size}, root and time ${head.timestamp}`);
    } catch (error) {
      step("format", false, `the proof is malformed: ${error.message}`);
    }
    return { ok: steps.length > 0 && steps.every((s) => s.ok), steps };
  }

  const api = {
    sha256, sha512, ed25519Verify, leafHash, rootFromInclusion, treeHeadBytes, decodeCbor, readEntry,
    checkInclusion, hexToBytes, bytesToHex, cborHead, concat,
  };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.LeaseChainVerify = api;
})(typeof globalThis !== "undefined" ? globalThis : this);
