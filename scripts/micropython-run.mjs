// Run a Python file under the real MicroPython interpreter (npm package
// @micropython/micropython-webassembly-pyscript), with firmware/ on its
// import path, as the device code runs on an ESP32.
//
//   node scripts/micropython-run.mjs [--flash DIR] [--heap BYTES] [--path DIR]... SCRIPT [ARG...]
//
// --flash DIR  a host directory that stands for the board's flash: copied in
//              as the working directory before the run and copied back after
//              it (also after an exception), so a second run sees what the
//              first one wrote, as after a reset.
// --heap BYTES MicroPython heap size (default 262144; an ESP32 without PSRAM
//              has roughly 110-160 KB free).
// --path DIR   another host directory to put on sys.path (repeatable).
// The exit status is the script's: 0, the SystemExit code, or 1 on an
// uncaught exception (its traceback goes to stderr).
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
let flash = null;
let heap = 262144;
const extraPaths = [];
while (args.length && args[0].startsWith("--")) {
  const opt = args.shift();
  const value = args.shift();
  if (value === undefined) fail(`${opt} needs a value`);
  if (opt === "--flash") flash = path.resolve(value);
  else if (opt === "--heap") heap = Number.parseInt(value, 10);
  else if (opt === "--path") extraPaths.push(path.resolve(value));
  else fail(`unknown option ${opt}`);
}
if (!args.length) fail("usage: micropython-run.mjs [--flash DIR] [--heap BYTES] [--path DIR]... SCRIPT [ARG...]");
const script = path.resolve(args.shift());
if (!fs.existsSync(script)) fail(`no such script: ${script}`);

function fail(message) {
  process.stderr.write(`micropython-run: ${message}\n`);
  process.exit(2);
}

// Copy a host tree into the interpreter's in-memory file system.
function copyIn(mp, hostDir, mpDir) {
  try { mp.FS.mkdir(mpDir); } catch { /* exists */ }
  for (const entry of fs.readdirSync(hostDir, { withFileTypes: true })) {
    if (entry.name === "__pycache__" || entry.name.startsWith(".")) continue;
    const src = path.join(hostDir, entry.name);
    const dst = `${mpDir}/${entry.name}`;
    if (entry.isDirectory()) copyIn(mp, src, dst);
    else if (entry.isFile()) mp.FS.writeFile(dst, fs.readFileSync(src));
  }
}

// Mirror the interpreter's flash directory back onto the host.
function copyOut(mp, mpDir, hostDir) {
  fs.rmSync(hostDir, { recursive: true, force: true });
  fs.mkdirSync(hostDir, { recursive: true });
  for (const name of mp.FS.readdir(mpDir)) {
    if (name === "." || name === "..") continue;
    const src = `${mpDir}/${name}`;
    const dst = path.join(hostDir, name);
    if (mp.FS.isDir(mp.FS.stat(src).mode)) copyOut(mp, src, dst);
    else fs.writeFileSync(dst, mp.FS.readFile(src));
  }
}

const mp = await loadMicroPython({
  heapsize: heap,
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});
// The ESP32 port has os.urandom (hardware RNG); this port does not, so the
// host's CSPRNG stands in for it.
mp.registerJsModule("_hostrng", { urandom: (n) => Array.from(randomBytes(n)) });
copyIn(mp, path.join(repo, "firmware"), "/firmware");
extraPaths.forEach((dir, i) => copyIn(mp, dir, `/extra${i}`));
copyIn(mp, path.dirname(script), "/script");
if (flash) {
  fs.mkdirSync(flash, { recursive: true });
  copyIn(mp, flash, "/flash");
} else {
  mp.FS.mkdir("/flash");
}

const scriptName = `/script/${path.basename(script)}`;
const extra = extraPaths.map((_, i) => `'/extra${i}'`).join(", ");
mp.globals.set("_argv", [scriptName, ...args]);
let status = 0;
try {
  mp.runPython(`
import os, sys, _hostrng
os.urandom = lambda n: bytes(_hostrng.urandom(n))
sys.path[:] = ['', '/firmware', '/script', ${extra}${extra ? ", " : ""}'/lib']
sys.argv[:] = list(_argv)
os.chdir('/flash')
_status = 0
try:
    with open(${JSON.stringify(scriptName)}) as _f:
        _code = compile(_f.read(), ${JSON.stringify(path.basename(script))}, 'exec')
    exec(_code, {'__name__': '__main__', '__file__': ${JSON.stringify(scriptName)}})
except SystemExit as _exc:
    _code = _exc.args[0] if _exc.args else 0
    _status = _code if isinstance(_code, int) else (0 if _code is None else 1)
    if not isinstance(_code, int) and _code is not None:
        print(_code, file=sys.stderr)
except BaseException as _exc:
    sys.print_exception(_exc, sys.stderr)
    _status = 1
`);
  status = mp.globals.get("_status");
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  status = 1;
}
if (flash) copyOut(mp, "/flash", flash);
// process.exit() drops output still queued for a pipe (a busy reader leaves
// the pipe full); exit only once both streams have handed everything over.
process.stdout.write("", () => process.stderr.write("", () => process.exit(status)));
