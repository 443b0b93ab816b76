// Side-by-side start-up and ADD/DEL latency of the CNI plugin, interleaved so
// every variant sees the same machine load:
//   VERSION: build/vpc-cni vs `node cni/main.ts` vs /usr/lib/cni/loopback (Go)
//   ADD+DEL against the stand-in ipamd (test/support/fake-ipamd.ts), and
//   loopback ADD in a real namespace when root.
// Usage: node bench/cni-startup.ts [rounds=40]   (unset NODE_EXTRA_CA_CERTS first)
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { startFakeIpamd } from "../test/support/fake-ipamd.ts";

const rounds = Number(process.argv[2] ?? 40);
const root = new URL("..", import.meta.url).pathname;
const bin = `${root}build/vpc-cni`;
const loopback = "/usr/lib/cni/loopback";
delete process.env["NODE_EXTRA_CA_CERTS"];

function run(
  cmd: string[],
  env: Record<string, string>,
  stdin: string,
): Promise<{ ms: number; code: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd[0]!, cmd.slice(1), { env: { PATH: process.env["PATH"] ?? "", ...env } });
    let out = "";
    p.stdout.on("data", (c) => {
      out += c;
    });
    p.on("error", reject);
    p.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${cmd.join(" ")} ${env["CNI_COMMAND"]} exited ${code}: ${out}`));
      else resolve({ ms, code: code ?? -1 });
    });
    p.stdin.end(stdin);
  });
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const fake = await startFakeIpamd();
let netns = "";
if (process.getuid?.() === 0) {
  execFileSync("ip", ["netns", "add", "cni-bench"]);
  netns = "/var/run/netns/cni-bench";
}
const conf = (v: string) =>
  JSON.stringify({ cniVersion: v, name: "vpc", type: "vpc-cni", socketPath: fake.socketPath });
const base = { CNI_PATH: "/usr/lib/cni", CNI_IFNAME: "eth0", CNI_NETNS: netns || "/proc/1/ns/net" };
const variants: { name: string; cmd: string[]; env: Record<string, string>; stdin: (i: number) => string }[] =
  [
    { name: "VERSION vpc-cni (bun)", cmd: [bin], env: { CNI_COMMAND: "VERSION" }, stdin: () => "" },
    {
      name: "VERSION node cni/main.ts",
      cmd: ["node", `${root}cni/main.ts`],
      env: { CNI_COMMAND: "VERSION" },
      stdin: () => "",
    },
    { name: "VERSION loopback (Go)", cmd: [loopback], env: { CNI_COMMAND: "VERSION" }, stdin: () => "" },
  ];
for (const [name, cmd] of [
  ["vpc-cni (bun)", [bin]],
  ["node cni/main.ts", ["node", `${root}cni/main.ts`]],
] as const) {
  for (const verb of ["ADD", "DEL"]) {
    variants.push({
      name: `${verb} ${name}`,
      cmd: [...cmd],
      env: { ...base, CNI_COMMAND: verb, CNI_CONTAINERID: `bench-${name.length}` },
      stdin: () => conf("1.0.0"),
    });
  }
}
if (netns) {
  for (const verb of ["ADD", "DEL"]) {
    variants.push({
      name: `${verb} loopback (Go, real netns)`,
      cmd: [loopback],
      env: { ...base, CNI_COMMAND: verb, CNI_CONTAINERID: "bench-lo" },
      stdin: () => JSON.stringify({ cniVersion: "1.0.0", name: "lo", type: "loopback" }),
    });
  }
}
if (!existsSync(bin)) throw new Error("build/vpc-cni missing: npm run build:cni");
const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
try {
  for (let i = 0; i < rounds + 3; i++) {
    for (const v of variants) {
      const r = await run(v.cmd, v.env, v.stdin(i));
      if (i >= 3) times.get(v.name)!.push(r.ms); // first rounds warm the page cache
    }
  }
} finally {
  await fake.close();
  if (netns) execFileSync("ip", ["netns", "del", "cni-bench"]);
}
const ref = p50(times.get("VERSION vpc-cni (bun)")!);
console.log(`${rounds} interleaved rounds, wall time from spawn to exit (p50), ratio vs vpc-cni VERSION`);
for (const [name, xs] of times) {
  console.log(`${name.padEnd(34)} p50 ${p50(xs).toFixed(2).padStart(7)} ms   x${(p50(xs) / ref).toFixed(2)}`);
}
