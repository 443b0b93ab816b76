// Builds build/ipamd/: ipamd as one pre-bundled ES module (+ lazily loaded
// chunks for the Kubernetes parts), what production and the test harness run.
// Why bundle (bench/profile-mem-imports.ts, Node 24): running .ts sources
// loads Node's type-stripping WASM (~17 MiB RSS), and @aws-sdk/client-ec2's
// CommonJS build is ONE 2 MB file with all ~700 commands (~90 MiB RSS); the
// bundle takes the SDK's ES build instead and keeps only what cloud/ec2 uses.
//   bun deploy/build-ipamd.ts          (npm run build:ipamd; scripts/setup.sh)
// Skipped when no source file is newer than the bundle. Run by bun, not node.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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

// prom-client's index requires everything it has: default process metrics
// (+@opentelemetry/api, perf_hooks), the Pushgateway (http/https), cluster
// aggregation; ~12 MiB RSS, of which the four classes ipamd uses take 0.5
// (bench/profile-mem-imports.ts). Resolve it to just those; importing any
// other name from "prom-client" then fails this build, on purpose.
const promClientCore = {
  name: "prom-client-core",
  setup(b: {
    onResolve(o: { filter: RegExp }, f: () => { path: string; namespace: string }): void;
    onLoad(o: { filter: RegExp; namespace: string }, f: () => { contents: string; loader: string }): void;
  }) {
    b.onResolve({ filter: /^prom-client$/ }, () => ({ path: "prom-client", namespace: "prom-client-core" }));
    b.onLoad({ filter: /.*/, namespace: "prom-client-core" }, () => {
      const lib = (f: string) => JSON.stringify(join(root, "node_modules/prom-client/lib", f));
      return {
        loader: "js",
        contents: ["Registry:registry", "Counter:counter", "Gauge:gauge", "Histogram:histogram"]
          .map((e) => e.split(":"))
          .map(([name, file]) => `export const ${name} = require(${lib(`${file}.js`)});`)
          .join("\n"),
      };
    });
  },
};

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
  plugins: [esBuildOf("@aws-sdk/client-ec2"), promClientCore],
});
if (!r.success) {
  console.error("deploy/build-ipamd.ts: bundle failed", r.logs);
  process.exit(1);
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
