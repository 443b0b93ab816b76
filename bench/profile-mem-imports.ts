// What each of ipamd's imports costs in resident memory, under this Node.
// Each row is a fresh `node` process that imports the listed specifiers, runs
// a full GC, and reports VmRSS and V8 heap used; the "(nothing)" row is the
// floor every Node process pays. Run from the repo root:
//   node bench/profile-mem-imports.ts [extra node flags...]
// e.g. `node bench/profile-mem-imports.ts --max-semi-space-size=1`.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../", import.meta.url));
const flags = process.argv.slice(2);
const abs = (p: string) => `${REPO}${p}`;

// The Node builtins ipamd's bundle loads (process.moduleLoadList of a running
// ipamd, Kubernetes off): the floor any Node daemon with an HTTP API, TLS to
// EC2, child processes and a checkpoint CRC pays before its own code.
const IPAMD_BUILTINS = [
  "node:http",
  "node:https",
  "node:crypto",
  "node:net",
  "node:fs/promises",
  "node:child_process",
  "node:zlib",
  "node:worker_threads",
  "node:assert",
  "node:perf_hooks",
  "node:cluster", // net.Server#listen() loads it
];

const rows: Array<[string, string[]]> = [
  ["(nothing)", []],
  ["Node builtins ipamd loads", IPAMD_BUILTINS],
  ["@aws-sdk/client-ec2", ["@aws-sdk/client-ec2"]],
  ["@kubernetes/client-node", ["@kubernetes/client-node"]],
  ["pino", ["pino"]],
  ["prom-client", ["prom-client"]],
  [
    "prom-client: 4 classes used",
    ["registry", "counter", "gauge", "histogram"].map((f) => abs(`node_modules/prom-client/lib/${f}.js`)),
  ],
  ["first fetch() (undici+WASM)", ["(fetch)"]],
  ["netlink", ["netlink"]],
  ["p-queue", ["p-queue"]],
  ["yaml", ["yaml"]],
  ["cloud/ec2/client.ts", [abs("cloud/ec2/client.ts")]],
  ["ipamd/k8s/client.ts", [abs("ipamd/k8s/client.ts")]],
  ["ipamd/daemon/daemon.ts", [abs("ipamd/daemon/daemon.ts")]],
  [
    "all deps together",
    ["@aws-sdk/client-ec2", "@kubernetes/client-node", "pino", "prom-client", "netlink", "p-queue"],
  ],
  [
    "ipamd/main.ts's imports",
    [
      abs("ipamd/daemon/daemon.ts"),
      abs("cloud/ec2/client.ts"),
      abs("cloud/imds/client.ts"),
      abs("ipamd/k8s/configured.ts"),
      abs("ipamd/log.ts"),
    ],
  ],
];

const probe = (specs: string[]) =>
  // Builtins by require (getBuiltinModule), as the bundle does: an ES import of
  // node:http reads its lazy getters, which load undici (deploy/build-ipamd.ts).
  `for (const s of ${JSON.stringify(specs)}) s === "(fetch)" ? await (await fetch("data:,x")).text() : s.startsWith("node:") ? process.getBuiltinModule(s) : await import(s);` +
  "globalThis.gc(); globalThis.gc();" +
  "const rss = /VmRSS:\\s+(\\d+)/.exec(require('node:fs').readFileSync('/proc/self/status','utf8'))[1] / 1024;" +
  "console.log(JSON.stringify({ rss, heap: process.memoryUsage().heapUsed / 2 ** 20 }));";

// CommonJS eval so `require` exists; dynamic import() still loads ESM and .ts.
const measure = (specs: string[]) => {
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", ...flags, "-e", `(async () => { ${probe(specs)} })()`],
    { cwd: REPO, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } },
  );
  return JSON.parse(out.trim().split("\n").pop()!) as { rss: number; heap: number };
};

const base = measure([]);
console.log(`node ${process.version} ${flags.join(" ")}`);
console.log("import".padEnd(28), "RSS MiB", " +RSS", " heap MiB");
for (const [label, specs] of rows) {
  // Median of 3 runs: RSS of a fresh process varies by ~1 MiB.
  const runs = [measure(specs), measure(specs), measure(specs)].sort((a, b) => a.rss - b.rss);
  const m = runs[1]!;
  console.log(
    label.padEnd(28),
    m.rss.toFixed(1).padStart(7),
    (m.rss - base.rss).toFixed(1).padStart(6),
    m.heap.toFixed(1).padStart(8),
  );
}
