// Compiles the contracts with the pinned solc-js and writes one JSON artifact per contract:
//   node contracts/build.mjs OUT_DIR
// The same sources, compiler and settings give the same bytes, so the committed artifacts
// (chain_client/evm/artifacts) can be checked by compiling again and comparing.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const solc = require("solc");
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const CONTRACTS = ["CheckpointAnchor", "MachineToken"];
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  metadata: { bytecodeHash: "none" },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.methodIdentifiers"] } },
};

function findImport(path) {
  const base = path.startsWith("@") ? join(root, "node_modules") : here;
  try {
    return { contents: readFileSync(join(base, path), "utf8") };
  } catch {
    return { error: `import not found: ${path}` };
  }
}

const sources = Object.fromEntries(
  CONTRACTS.map((name) => [`${name}.sol`, { content: readFileSync(join(here, `${name}.sol`), "utf8") }]),
);
const output = JSON.parse(
  solc.compile(JSON.stringify({ language: "Solidity", sources, settings: SETTINGS }), { import: findImport }),
);
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const out = process.argv[2] ?? join(root, "chain_client", "evm", "artifacts");
mkdirSync(out, { recursive: true });
for (const name of CONTRACTS) {
  const built = output.contracts[`${name}.sol`][name];
  const artifact = {
    contractName: name,
    compiler: `solc-js ${solc.version()}`,
    settings: { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion },
    abi: built.abi,
    bytecode: "0x" + built.evm.bytecode.object,
    methodIdentifiers: built.evm.methodIdentifiers,
  };
  writeFileSync(join(out, `${name}.json`), JSON.stringify(artifact, null, 1) + "\n");
}
