// Builds build/ipamd/: ipamd as one pre-bundled ES module (+ lazily loaded
// chunks for the Kubernetes parts), what production and the test harness run.
// Why bundle (bench/profile-mem-imports.ts, Node 24): running .ts sources
// loads Node's type-stripping WASM (~17 MiB RSS), and @aws-sdk/client-ec2's
// CommonJS build is ONE 2 MB file with all ~700 commands (~90 MiB RSS); the
// bundle takes the SDK's ES build instead and keeps only what cloud/ec2 uses.
//   bun deploy/build-ipamd.ts          (npm run build:ipamd; scripts/setup.sh)
// Skipped when no source file is newer than the bundle. Run by bun, not node.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HTTP2_EAGER_CONSTANTS } from "./http2-eager-constants.ts";

interface BunBuild {
  build(o: object): Promise<{ success: boolean; logs: unknown[] }>;
}
declare const Bun: BunBuild;

const root = fileURLToPath(new URL("../", import.meta.url));
const out = join(root, "build/ipamd");
const entry = join(out, "main.js");
// What the bundle is made of: ipamd's sources, what they import, this script.
const srcDirs = ["ipamd", "cloud", "native/setns"];
const extra = ["deploy/build-ipamd.ts", "package-lock.json", "native/setns/build/setns.node"];

function newestMtime(dir: string): number {
  let m = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "build" && e.name !== "node_modules") m = Math.max(m, newestMtime(p));
    } else if (e.name.endsWith(".ts")) m = Math.max(m, statSync(p).mtimeMs);
  }
  return m;
}

const srcNewest = Math.max(
  ...srcDirs.map((d) => newestMtime(join(root, d))),
  ...extra.map((f) => (existsSync(join(root, f)) ? statSync(join(root, f)).mtimeMs : 0)),
);
if (existsSync(entry) && statSync(entry).mtimeMs >= srcNewest && !process.argv.includes("--force"))
  process.exit(0);

// Packages without an "exports" map whose "main" is one CommonJS file holding
// everything: point them at their tree-shakeable ES build ("module" field).
const esBuildOf = (pkg: string) => ({
  name: `es-build:${pkg}`,
  setup(b: { onResolve(o: { filter: RegExp }, f: () => { path: string }): void }) {
    b.onResolve({ filter: new RegExp(`^${pkg.replace("/", "\\/")}$`) }, () => ({
      path: join(root, "node_modules", pkg, "dist-es/index.js"),
    }));
  },
});

/** A Bun plugin resolving `filter` to a module of its own with `contents`. */
const virtualModule = (name: string, filter: RegExp, contents: string) => ({
  name,
  setup(b: {
    onResolve(o: { filter: RegExp }, f: () => { path: string; namespace: string }): void;
    onLoad(o: { filter: RegExp; namespace: string }, f: () => { contents: string; loader: string }): void;
  }) {
    b.onResolve({ filter }, () => ({ path: name, namespace: name }));
    b.onLoad({ filter: /.*/, namespace: name }, () => ({ loader: "js", contents }));
  },
});

// prom-client's index requires everything it has: default process metrics
// (+@opentelemetry/api, perf_hooks), the Pushgateway (http/https), cluster
// aggregation; ~12 MiB RSS, of which the four classes ipamd uses take 0.5
// (bench/profile-mem-imports.ts). Resolve it to just those; importing any
// other name from "prom-client" then fails this build, on purpose.
const promLib = (f: string) => JSON.stringify(join(root, "node_modules/prom-client/lib", f));
const promClientCore = virtualModule(
  "prom-client-core",
  /^prom-client$/,
  ["Registry:registry", "Counter:counter", "Gauge:gauge", "Histogram:histogram"]
    .map((e) => e.split(":"))
    .map(([name, file]) => `export const ${name} = require(${promLib(`${file}.js`)});`)
    .join("\n"),
);

// @smithy/node-http-handler requires node:http2 at load for its HTTP/2
// handler, which EC2 (HTTP/1.1) never uses, and so does undici 8 (the
// Kubernetes client's HTTP) for its HTTP/2 client; loading Node's http2 costs
// ~8 MiB RSS (its sources, code cache and nghttp2 pages; measured: `node -e
// "require('http')"` 47.6 MiB, + http2 55.9 MiB). The stand-in loads the real
// module on first use: `connect()` or a read of a `constants` entry, except
// the ten undici destructures at load (http2-eager-constants.ts). `constants`
// stays a proxy: the SDK's handler keeps a reference to it at load.
const lazyHttp2 = virtualModule(
  "lazy-http2",
  /^(node:)?http2$/,
  [
    "let real;",
    'const http2 = () => (real ??= process.getBuiltinModule("node:http2"));',
    `const eager = ${JSON.stringify(HTTP2_EAGER_CONSTANTS)};`,
    "module.exports = {",
    "  connect: (...args) => http2().connect(...args),",
    "  constants: new Proxy({}, { get: (_, k) => (Object.hasOwn(eager, k) ? eager[k] : http2().constants[k]) }),",
    "};",
  ].join("\n"),
);

// Node 24's node:http has lazy getters (WebSocket, CloseEvent, MessageEvent)
// that load Node's bundled undici, and undici loads http2, zlib, worker_threads
// and web streams (~2.5 MiB of ipamd's RSS; more after a first fetch(), which
// compiles undici's WASM parser). An ES `import ... from "node:http"` builds the
// module's namespace, which reads every export, getters included, so even
// `import { request } from "node:http"` pays it (`node -e "import('node:http')"`
// loads undici; `require("node:http")` does not). Resolve node:http to its
// CommonJS object instead: Bun's interop reads only the names used, when used.
const httpWithoutUndici = virtualModule(
  "http-cjs",
  /^(node:)?http$/,
  'module.exports = process.getBuiltinModule("node:http");',
);

const tmp = `${out}.tmp-${process.pid}`; // test workers may build at once
rmSync(tmp, { recursive: true, force: true });
const r = await Bun.build({
  entrypoints: [join(root, "ipamd/main.ts")],
  outdir: tmp,
  target: "node",
  format: "esm",
  splitting: true, // the Kubernetes parts stay in chunks main.js loads only with Kubernetes on
  minify: { whitespace: true, syntax: true, identifiers: false }, // names kept: stack traces stay readable
  external: ["netlink"], // loads its native addon relative to its own package directory
  plugins: [esBuildOf("@aws-sdk/client-ec2"), promClientCore, lazyHttp2, httpWithoutUndici],
});
if (!r.success) {
  console.error("deploy/build-ipamd.ts: bundle failed", r.logs);
  process.exit(1);
}
// V8 keeps a script's source in memory as long as its functions may still be
// compiled, as a one-byte string only if every character is Latin-1. One en
// dash (in pino's messages) made main.js's ~1 MB source a 2 MB two-byte
// string (heap snapshot), and the Kubernetes chunk's 3 MB one 6 MB. Escape
// every non-ASCII character: `\u2013` means the same in a string, template,
// regular expression or identifier. (Only String.raw of a template holding
// one would differ; none does.)
for (const f of readdirSync(tmp).filter((n) => n.endsWith(".js"))) {
  const src = readFileSync(join(tmp, f), "utf8");
  const ascii = src.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (ascii !== src) writeFileSync(join(tmp, f), ascii);
}
// native/setns/index.ts requires "./build/setns.node" relative to the module: next to main.js.
mkdirSync(join(tmp, "build"), { recursive: true });
copyFileSync(join(root, "native/setns/build/setns.node"), join(tmp, "build/setns.node"));
// Chunks first, main.js last, each by rename: a running ipamd (a test's,
// while someone edits a source) still finds the hash-named chunks it loads
// lazily, and nobody ever sees a half-written file. Old chunks stay (small).
mkdirSync(join(out, "build"), { recursive: true });
for (const f of readdirSync(tmp))
  if (f.endsWith(".js") && f !== "main.js") renameSync(join(tmp, f), join(out, f));
renameSync(join(tmp, "build/setns.node"), join(out, "build/setns.node"));
renameSync(join(tmp, "main.js"), entry);
rmSync(tmp, { recursive: true, force: true });
console.error(`deploy/build-ipamd.ts: built ${entry}`);
