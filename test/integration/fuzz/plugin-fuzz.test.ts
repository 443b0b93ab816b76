// The real plugin binary against 1,200 generated hostile inputs: each must
// answer the spec's error JSON with an allowed code and exit non-zero, never
// contact ipamd (the stand-in records every request), and change nothing in
// any namespace (netns list and the sandbox's links compared before/after).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { run } from "../../harness/proc.ts";
import { type FakeIpamd, startFakeIpamd } from "../../support/fake-ipamd.ts";
import { canUseNetns } from "../../support/privileges.ts";
import { type FuzzCase, fuzzCases } from "./plugin-cases.ts";

const PLUGIN = new URL("../../../build/vpc-cni", import.meta.url).pathname;
const ready = canUseNetns && existsSync(PLUGIN);
if (canUseNetns && !ready) process.stderr.write(`SKIPPING plugin fuzz: build ${PLUGIN} first\n`);

const NS = `fz${process.pid}`;
let fake: FakeIpamd;

function exec(c: FuzzCase): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const env: Record<string, string> = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
    for (const [k, v] of Object.entries(c.env)) if (v !== undefined) env[k] = v;
    const child = spawn(PLUGIN, [], { env, timeout: 20_000 });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.on("close", (code) => resolve({ code, stdout }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(c.stdin);
  });
}

// Only what this test owns: other test files (and their clusters) create and
// delete namespaces concurrently, so the machine-wide list is not ours to compare.
// The plugin can only reach namespaces through CNI_NETNS, which points at ours.
const ownNamespaces = async () =>
  (await run("ip", ["netns", "list"])).stdout
    .split("\n")
    .filter((l) => l.startsWith(NS))
    .join("\n");
const snapshot = async () =>
  [await ownNamespaces(), (await run("ip", ["-n", NS, "-j", "link"])).stdout].join("\n");

beforeAll(async () => {
  if (!ready) return;
  await run("ip", ["netns", "add", NS]);
  fake = await startFakeIpamd();
});
afterAll(async () => {
  if (!ready) return;
  await fake?.close();
  await run("ip", ["netns", "del", NS]);
});

it.skipIf(!ready)(
  "1,200 hostile inputs: spec error JSON, right code, non-zero exit, no ipamd call, no namespace change",
  async () => {
    const cases = fuzzCases(1200, { socketPath: fake.socketPath, netnsPath: `/var/run/netns/${NS}` });
    const before = await snapshot();
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i += 4) {
      await Promise.all(
        cases.slice(i, i + 4).map(async (c, j) => {
          const r = await exec(c);
          let err: { cniVersion?: unknown; code?: unknown; msg?: unknown } = {};
          try {
            err = JSON.parse(r.stdout);
          } catch {
            // reported below
          }
          const ok =
            r.code !== 0 &&
            typeof err.cniVersion === "string" &&
            typeof err.msg === "string" &&
            typeof err.code === "number" &&
            c.codes.includes(err.code);
          if (!ok) failures.push(`#${i + j} ${c.what}: exit ${r.code}, ${r.stdout.slice(0, 200)}`);
        }),
      );
    }
    const after = await snapshot();
    process.stdout.write(
      `plugin fuzz: ${cases.length} cases, ${failures.length} failures, ipamd requests ${fake.requests.length}\n`,
    );
    expect(failures.slice(0, 20)).toEqual([]);
    expect(fake.requests).toEqual([]);
    expect(after).toBe(before);
  },
  300_000,
);
