// bench:daemon's throughput half alone (same host, same load), repeatable in
// ~15 s, optionally under `node --cpu-prof` so the server's hot spots show:
//   node bench/profile-throughput.ts [seconds=10] [--cpu-prof=<dir>] [--v8=<flag,flag>]
// --v8: flags for the host process (default: ipamd's deploy/ipamd-node-flags).
// Starts bench/daemon/host.ts in a throwaway netns exactly as bench/daemon.ts does.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { assignReleaseLoad } from "./daemon/load.ts";
import { loadNote } from "./lib/cli.ts";
import { ipamdNodeFlags } from "./lib/ipamd-flags.ts";
import { createNetnsBatch } from "./lib/netns.ts";

delete process.env["NODE_EXTRA_CA_CERTS"];
const REPO = fileURLToPath(new URL("../", import.meta.url));
const WORKERS = 32;
const WARMUP_SECONDS = 3;
const seconds = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 10);
const prof = process.argv.find((a) => a.startsWith("--cpu-prof="))?.slice(11);
// Default: ipamd's own flags; --v8= (empty) runs with V8's defaults.
const v8Arg = process.argv.find((a) => a.startsWith("--v8="))?.slice(5);
const v8 = v8Arg === undefined ? ipamdNodeFlags() : v8Arg.split(",").filter(Boolean);
const ns = createNetnsBatch("tp", 1);
const child = spawn(
  "nsenter",
  [
    `--net=${ns.paths[0]!}`,
    "--",
    process.execPath,
    ...v8,
    ...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : []),
    `${REPO}bench/daemon/host.ts`,
    String(WORKERS * 2),
  ],
  { stdio: ["pipe", "pipe", "inherit"], env: { PATH: process.env["PATH"] ?? "" } },
);
const exited = new Promise<void>((r) => child.on("close", () => r()));
try {
  let socketPath = "";
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line.startsWith("READY ")) {
      socketPath = line.slice(6).trim();
      break;
    }
  }
  if (!socketPath) throw new Error("host did not get ready");
  // Warm-up first (uncounted), as bench:daemon does: the steady state is what a daemon runs in.
  await assignReleaseLoad(socketPath, WORKERS, WARMUP_SECONDS);
  // CPU per op on each side: both share the machine's 2 cores.
  const c0 = process.cpuUsage();
  const s0 = serverCpuMs(child.pid!);
  const r = await assignReleaseLoad(socketPath, WORKERS, seconds);
  const c1 = process.cpuUsage(c0);
  const serverUs = ((serverCpuMs(child.pid!) - s0) * 1000) / r.ops;
  const clientUs = (c1.user + c1.system) / r.ops;
  console.log(
    `${r.ops} ops in ${r.seconds.toFixed(1)} s = ${r.opsPerSec.toFixed(0)} ops/s (errors ${r.errors}${r.firstError ? `: ${r.firstError}` : ""}); CPU per op: server ${serverUs.toFixed(0)} µs, client ${clientUs.toFixed(0)} µs; ${loadNote()}`,
  );
} finally {
  child.stdin!.end();
  await exited;
  ns.deleteAll();
}

/** utime+stime of a process from /proc, in ms (clock ticks of 10 ms). */
function serverCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}
