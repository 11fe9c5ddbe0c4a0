// A MicroPython "board" on a serial line: the real MicroPython interpreter
// (npm @micropython/micropython-webassembly-pyscript) with its REPL attached
// to a file descriptor, normally the master side of a pseudo-terminal, so that
// mpremote or pyserial talk to the terminal's other end exactly as to an ESP32
// on a USB serial port.
//
//   node scripts/micropython-board.mjs --flash DIR [--fd N] [--heap BYTES] [--rtc-unset] [--run-main]
//
// --flash DIR   host directory that is the board's flash: its files are the
//               root of the board's file system at every (soft) reset, and
//               what the board writes is mirrored back after each command,
//               so it survives the process, as flash survives a power cut.
// --fd N        descriptor to read input from and write output to (default:
//               read 0, write 1).
// --heap BYTES  MicroPython heap (default 262144).
// --rtc-unset   the board's clock starts at 2000-01-01 after power-on, as an
//               ESP32 whose RTC was never set; machine.RTC().datetime(t) sets it.
// --run-main    run main.py after boot.py in friendly-REPL mode, as a board
//               does after reset (off by default: here nothing can interrupt
//               a main.py that never returns, which mpremote's Ctrl-C does on
//               a real board).
//
// What the REPL supports, as on a board: the friendly REPL, raw REPL (Ctrl-A,
// Ctrl-B, Ctrl-C, Ctrl-D), raw-paste mode (Ctrl-E "A" Ctrl-A with flow
// control), and soft reset (Ctrl-D on an empty line: "MPY: soft reboot",
// boot.py again, files kept); SIGUSR1 presses RESET (hard reset: boot.py,
// main.py with --run-main, friendly REPL).  os.urandom comes from the host's CSPRNG,
// standing in for the ESP32's hardware RNG.  SIGTERM or end of input writes
// the flash back and exits.
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

const args = process.argv.slice(2);
let flash = null;
let heap = 262144;
let fdIn = 0;
let fdOut = 1;
let rtcUnset = false;
let runMain = false;
while (args.length) {
  const opt = args.shift();
  if (opt === "--rtc-unset") { rtcUnset = true; continue; }
  if (opt === "--run-main") { runMain = true; continue; }
  const value = args.shift();
  if (value === undefined) fail(`${opt} needs a value`);
  if (opt === "--flash") flash = path.resolve(value);
  else if (opt === "--heap") heap = Number.parseInt(value, 10);
  else if (opt === "--fd") { fdIn = Number.parseInt(value, 10); fdOut = fdIn; }
  else fail(`unknown option ${opt}`);
}
if (!flash) fail("usage: micropython-board.mjs --flash DIR [--fd N] [--heap BYTES] [--rtc-unset] [--run-main]");
fs.mkdirSync(flash, { recursive: true });

function fail(message) {
  process.stderr.write(`micropython-board: ${message}\n`);
  process.exit(2);
}

// Emscripten's own directories in the in-memory file system; not flash.
const SYSTEM_DIRS = new Set(["dev", "proc", "tmp", "home", ".board"]);
const RAW_BANNER = "raw REPL; CTRL-B to exit\r\n";
const PASTE_WINDOW = 128; // bytes per flow-control window, as an ESP32 (256-byte buffer / 2)
const CTRL_A = 1, CTRL_B = 2, CTRL_C = 3, CTRL_D = 4, CTRL_E = 5;

// Python run at every reset, before boot.py: hardware the board has and this
// interpreter does not (RNG, RTC).  Kept out of the flash, like frozen code.
const MACHINE_SHIM = `
import time as _time
_host_time = _time.time
_offset = [0]
def _rtc_time():
    return _host_time() + _offset[0]
_time.time = _rtc_time
class RTC:
    """The real-time clock: datetime((year, month, day, weekday, hour, minute, second, subsec))."""
    def datetime(self, t=None):
        if t is None:
            g = _time.gmtime(int(_rtc_time()))
            return (g[0], g[1], g[2], g[6], g[3], g[4], g[5], 0)
        secs = _time.mktime((t[0], t[1], t[2], t[4], t[5], t[6], 0, 0))
        _offset[0] = secs - _host_time()
`;

let out = [];
let mp = null;
let mode = "friendly"; // which REPL the interpreter is in
let lineEmpty = true; // raw REPL: nothing received since the last prompt
let pending = []; // bytes of a possible raw-paste request (Ctrl-E "A" Ctrl-A)
let paste = null; // raw-paste mode: { data: [], sinceAck: n }
let rtcOffset = null;
const synced = new Map(); // flash path -> "size:mtime" last mirrored to the host

function emit(bytes) {
  for (const b of bytes) out.push(b);
}

function flushOut() {
  if (!out.length) return;
  const buf = Buffer.from(out);
  out = [];
  let done = 0;
  while (done < buf.length) {
    try {
      done += fs.writeSync(fdOut, buf, done);
    } catch (error) {
      if (error.code === "EAGAIN") continue;
      if (error.code === "EIO") return; // nobody on the line: a UART drops it too
      throw error;
    }
  }
}

function copyIn(hostDir, mpDir) {
  for (const entry of fs.readdirSync(hostDir, { withFileTypes: true })) {
    const src = path.join(hostDir, entry.name);
    const dst = mpDir === "/" ? `/${entry.name}` : `${mpDir}/${entry.name}`;
    if (entry.isDirectory()) {
      try { mp.FS.mkdir(dst); } catch { /* exists */ }
      copyIn(src, dst);
    } else if (entry.isFile()) {
      mp.FS.writeFile(dst, fs.readFileSync(src));
      const st = mp.FS.stat(dst);
      synced.set(dst, `${st.size}:${st.mtime.getTime()}`);
    }
  }
}

// Mirror the board's file system onto the host directory: changed files are
// rewritten, files the board removed are removed.
function syncOut() {
  if (!mp) return;
  const seen = new Set();
  const walk = (mpDir, hostDir) => {
    for (const name of mp.FS.readdir(mpDir)) {
      if (name === "." || name === "..") continue;
      if (mpDir === "/" && SYSTEM_DIRS.has(name)) continue;
      const src = mpDir === "/" ? `/${name}` : `${mpDir}/${name}`;
      const dst = path.join(hostDir, name);
      const st = mp.FS.stat(src);
      seen.add(src);
      if (mp.FS.isDir(st.mode)) {
        fs.mkdirSync(dst, { recursive: true });
        walk(src, dst);
      } else {
        const stamp = `${st.size}:${st.mtime.getTime()}`;
        if (synced.get(src) !== stamp || !fs.existsSync(dst)) {
          fs.writeFileSync(dst, mp.FS.readFile(src));
          synced.set(src, stamp);
        }
      }
    }
  };
  walk("/", flash);
  const prune = (hostDir, mpDir) => {
    for (const entry of fs.readdirSync(hostDir, { withFileTypes: true })) {
      const mpPath = mpDir === "/" ? `/${entry.name}` : `${mpDir}/${entry.name}`;
      const hostPath = path.join(hostDir, entry.name);
      if (!seen.has(mpPath)) {
        fs.rmSync(hostPath, { recursive: true, force: true });
        synced.delete(mpPath);
      } else if (entry.isDirectory()) {
        prune(hostPath, mpPath);
      }
    }
  };
  prune(flash, "/");
}

function runFile(name) {
  // As pyexec_file_if_exists: run the file if the flash has it; an exception
  // is printed and the board carries on to the REPL.
  try { mp.FS.stat(`/${name}`); } catch { return; }
  mp.globals.set("_boot_file", name);
  mp.runPython(`
try:
    exec(open(_boot_file).read(), {'__name__': '__main__'})
except BaseException as _exc:
    import sys
    sys.print_exception(_exc)
`);
}

async function reset(kind) {
  if (mp) syncOut();
  mp = null;
  const fresh = await loadMicroPython({
    heapsize: heap,
    linebuffer: false,
    stdout: (bytes) => emit(bytes),
    stderr: (bytes) => emit(bytes),
  });
  mp = fresh;
  synced.clear();
  mp.registerJsModule("_hostrng", { urandom: (n) => Array.from(randomBytes(n)) });
  for (const dir of ["/home/web_user", "/home", "/tmp"]) {
    try { mp.FS.rmdir(dir); } catch { /* not there */ }
  }
  mp.FS.mkdir("/.board");
  mp.FS.writeFile("/.board/machine.py", MACHINE_SHIM);
  copyIn(flash, "/");
  mp.runPython(`
import os, sys, _hostrng
os.urandom = lambda n: bytes(_hostrng.urandom(n))
sys.path[:] = ["", ".frozen", "/lib", "/.board"]
os.chdir('/')
import machine
`);
  if (rtcOffset !== null) mp.runPython(`machine._offset[0] = ${rtcOffset}`);
  if (kind === "soft") emit(Buffer.from("MPY: soft reboot\r\n"));
  runFile("boot.py");
  if (runMain && mode === "friendly") runFile("main.py");
  if (mode === "raw") {
    // Enter raw mode quietly, then print what a board prints after a soft reset in raw mode.
    const keep = out;
    out = [];
    mp.replInit();
    mp.replProcessChar(CTRL_A);
    out = keep;
    emit(Buffer.from(RAW_BANNER + ">"));
  } else {
    mp.replInit();
  }
  lineEmpty = true;
  syncOut();
  flushOut();
}

function rememberClock() {
  try {
    rtcOffset = Number(mp.runPython("machine._offset[0]"));
  } catch { /* keep the last one */ }
}

// Feed one byte to the interpreter; return true if it asked for a soft reset.
function feed(byte) {
  const ret = mp.replProcessChar(byte);
  if (mode === "raw") {
    if (byte === CTRL_B) mode = "friendly";
    lineEmpty = byte === CTRL_A || byte === CTRL_C || byte === CTRL_D;
  }
  const tail = Buffer.from(out.slice(-64)).toString("latin1");
  if (mode === "friendly" && tail.includes(RAW_BANNER)) { mode = "raw"; lineEmpty = true; }
  return ret !== 0;
}

function endPaste(interrupted) {
  const data = paste.data;
  paste = null;
  emit([CTRL_D]); // end of data acknowledged
  if (interrupted) {
    emit(Buffer.from("\x04KeyboardInterrupt: \r\n\x04>"));
    return false;
  }
  if (data.some((b) => b <= CTRL_E)) {
    // A control byte inside the code would steer the raw REPL here; a board
    // compiles it as part of the source, where it is a syntax error.
    emit(Buffer.from("\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1\r\n"
      + "SyntaxError: invalid syntax\r\n\x04>"));
    return false;
  }
  for (const b of data) feed(b);
  const okAt = out.length;
  const reset = feed(CTRL_D);
  // Raw paste answers without the raw REPL's "OK".
  if (out[okAt] === 0x4f && out[okAt + 1] === 0x4b) out.splice(okAt, 2);
  return reset;
}

// One input byte through the raw-paste layer; return true on a soft-reset request.
function input(byte) {
  if (paste) {
    if (byte === CTRL_D) return endPaste(false);
    if (byte === CTRL_C) return endPaste(true);
    paste.data.push(byte);
    paste.sinceAck += 1;
    if (paste.sinceAck === PASTE_WINDOW) {
      paste.sinceAck = 0;
      emit([CTRL_A]);
    }
    return false;
  }
  if (mode === "raw" && (pending.length || (byte === CTRL_E && lineEmpty))) {
    pending.push(byte);
    if (pending.length < 3) return false;
    const [, command, end] = pending;
    pending = [];
    if (end !== CTRL_A) {
      // Not a raw-paste request after all: the bytes are part of a line (Ctrl-E dropped).
      return feed(command) || feed(end);
    }
    if (command !== "A".charCodeAt(0)) {
      emit(Buffer.from("R\x00>"));
      return false;
    }
    emit(Buffer.from([0x52, 0x01, PASTE_WINDOW & 0xff, PASTE_WINDOW >> 8, CTRL_A]));
    paste = { data: [], sinceAck: 0 };
    return false;
  }
  return feed(byte);
}

let queue = Promise.resolve();

function onData(chunk) {
  queue = queue.then(async () => {
    let executed = false;
    for (const byte of chunk) {
      if (input(byte)) {
        rememberClock();
        flushOut();
        await reset("soft");
        continue;
      }
      if (byte === CTRL_D || byte === 13 || byte === 10) executed = true;
    }
    if (executed) {
      rememberClock();
      syncOut();
    }
    flushOut();
  }).catch((error) => {
    process.stderr.write(`micropython-board: ${error.stack || error}\n`);
    shutdown(1);
  });
}

function shutdown(status) {
  queue.then(() => {
    try { syncOut(); } catch (error) { process.stderr.write(`${error}\n`); }
    process.exit(status);
  });
}

// SIGUSR1 is the board's RESET button: a hard reset, back to the friendly REPL.
process.on("SIGUSR1", () => {
  queue = queue.then(async () => {
    flushOut();
    paste = null;
    pending = [];
    mode = "friendly";
    await reset("hard");
  });
});
process.on("SIGTERM", () => shutdown(0));
process.on("SIGINT", () => shutdown(0));

if (rtcUnset) {
  // 2000-01-01T00:00:00Z at power-on, as an ESP32 whose RTC was never set.
  rtcOffset = 946684800 - Date.now() / 1000;
}
queue = queue.then(() => reset("hard")); // a RESET pressed meanwhile waits its turn
await queue;

// A socket rather than a file stream: a read pending in libuv's thread pool
// would keep the process from exiting on SIGTERM.
function startReading() {
  const stream = new net.Socket({ fd: fdIn, readable: true, writable: false });
  stream.on("data", onData);
  stream.on("end", () => shutdown(0));
  stream.on("error", (error) => {
    if (error.code === "EIO") {
      // The terminal's other side is closed: listen again for the next connection.
      setTimeout(startReading, 50);
      return;
    }
    process.stderr.write(`micropython-board: ${error.message}\n`);
    shutdown(1);
  });
}
startReading();
