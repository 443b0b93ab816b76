// npm run bench: runs bench:add, bench:burst, bench:scale and bench:daemon one
// after the other (never in parallel: they would disturb each other), then
// regenerates the README's benchmark table from bench/results/*.json.
// With --smoke every bench runs tiny and README.md is left alone.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { HEADLINE_PREFIX, isSmoke, loadNote } from "./lib/cli.ts";
import { benchTable, updateReadme } from "./lib/readme.ts";

const REPO = fileURLToPath(new URL("../", import.meta.url));
const BENCHES = ["add", "burst", "scale", "daemon"] as const;
const smoke = isSmoke();

function runBench(name: string): Promise<{ code: number; headline: string }> {
  return new Promise((resolve) => {
    const args = [`${REPO}bench/${name}.ts`, ...(smoke ? ["--smoke"] : [])];
    const { NODE_EXTRA_CA_CERTS: _drop, ...env } = process.env;
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env });
    let headline = "";
    let buf = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      process.stdout.write(d);
      buf += d;
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const l of lines) if (l.startsWith(HEADLINE_PREFIX)) headline = l;
    });
    child.on("close", (code) => resolve({ code: code ?? 1, headline }));
  });
}

// --readme-only: regenerate the table from the stored results, run nothing.
const readmeOnly = process.argv.includes("--readme-only");
const summary: string[] = [];
let failed = 0;
for (const name of readmeOnly ? [] : BENCHES) {
  console.log(`\n=== bench:${name}${smoke ? " (smoke)" : ""} ===`);
  const r = await runBench(name);
  if (r.code !== 0) failed++;
  summary.push(r.code === 0 ? r.headline : `bench:${name} FAILED (exit ${r.code})`);
}
if (!smoke) {
  updateReadme(`${REPO}README.md`, benchTable(BENCHES, `At the end of the run: ${loadNote()}.`));
  console.log("\nREADME.md benchmark table regenerated");
}
console.log("\n=== summary ===");
for (const s of summary) console.log(s);
process.exitCode = failed > 0 ? 1 : 0;
