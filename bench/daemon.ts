// bench:daemon — ipamd's footprint and API throughput.
//  1. A real ipamd process (node ipamd/main.ts, harness node m5.4xlarge with
//     prefix delegation, real netlink plumbing) holding PODS assigned pods:
//     resident memory (VmRSS) and CPU (utime+stime from /proc) while idle and
//     under pod churn (DEL one pod + ADD a new one through the CNI plugin,
//     sequentially, pod count kept at PODS).
//  2. Assign + release throughput through the Unix socket with the plugin's
//     protocol, against the in-process Daemon with a no-op PodPlumbing
//     injected and logging off (bench/daemon/host.ts), run with ipamd's V8
//     flags; datastore + checkpoint persistence real. Production ipamd also
//     logs one line per ADD/DEL: not counted here.
//   node bench/daemon.ts [--smoke]
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createCluster, type Pod } from "../test/harness/index.ts";
import { assignReleaseLoad, type LoadResult } from "./daemon/load.ts";
import { measureUsage, type Usage } from "./daemon/proc.ts";
import { isSmoke, loadNote, printHeadline, resultsDir } from "./lib/cli.ts";
import { ipamdNodeFlags } from "./lib/ipamd-flags.ts";
import { createNetnsBatch } from "./lib/netns.ts";
import { writeReport } from "./lib/report.ts";

const REPO = fileURLToPath(new URL("../", import.meta.url));

const smoke = isSmoke();
const PODS = smoke ? 10 : 250;
const IDLE_MS = smoke ? 2_000 : 65_000; // > one reconcile interval (60 s)
const CHURN_MS = smoke ? 2_000 : 20_000;
const LOAD_SECONDS = smoke ? 2 : 10;
const LOAD_WORKERS = 32;
delete process.env["NODE_EXTRA_CA_CERTS"];
if (process.getuid?.() !== 0) throw new Error("bench:daemon needs root (network namespaces)");

async function footprint(): Promise<{ idle: Usage; churn: Usage; churnOps: number; churnSecs: number }> {
  const cluster = await createCluster({
    timeScale: 0.05,
    // The harness's default /24 subnets hold only 16 /28 prefixes: too few for 250 pods.
    subnetCidrs: ["10.0.16.0/20"],
    nodes: [
      {
        name: "d1",
        instanceType: "m5.4xlarge",
        prefixDelegation: true,
        env: { VPC_CNI_IP_COOLDOWN_SECONDS: "0" },
      },
    ],
  });
  try {
    const node = cluster.nodes[0]!;
    const pid = node.ipamd?.pid;
    if (pid === undefined) throw new Error("ipamd has no pid");
    const pods: Pod[] = [];
    let next = 0;
    const addOne = async () => {
      const i = next++;
      pods.push(await cluster.addPod(node, { namespace: "bench", name: `p${i}` }));
    };
    for (let i = 0; i < PODS; i += 8)
      await Promise.all(Array.from({ length: Math.min(8, PODS - i) }, addOne));
    console.log(`${pods.length} pods assigned; measuring idle for ${IDLE_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 2000)); // let the pool settle
    const idle = await measureUsage(pid, IDLE_MS);
    let churnOps = 0;
    const t0 = performance.now();
    const churn = await measureUsage(pid, async () => {
      while (performance.now() - t0 < CHURN_MS) {
        await cluster.delPod(pods.shift()!);
        await addOne();
        churnOps += 2;
      }
    });
    return { idle, churn, churnOps, churnSecs: (performance.now() - t0) / 1000 };
  } finally {
    await cluster.destroy();
  }
}

async function throughput(): Promise<LoadResult> {
  const ns = createNetnsBatch("dm", 1);
  const child = spawn(
    "nsenter",
    [
      `--net=${ns.paths[0]!}`,
      "--",
      process.execPath,
      // The V8 flags production ipamd runs with (deploy/ipamd.sh), so the numbers are its numbers.
      ...ipamdNodeFlags(),
      `${REPO}bench/daemon/host.ts`,
      String(LOAD_WORKERS * 2),
    ],
    { stdio: ["pipe", "pipe", "inherit"], env: { PATH: process.env["PATH"] ?? "" } },
  );
  const exited = new Promise<void>((r) => child.on("close", () => r()));
  try {
    const lines = createInterface({ input: child.stdout! });
    let socketPath = "";
    for await (const line of lines) {
      if (line.startsWith("READY ")) {
        socketPath = line.slice(6).trim();
        break;
      }
    }
    if (!socketPath) throw new Error("bench/daemon/host.ts did not get ready");
    return await assignReleaseLoad(socketPath, LOAD_WORKERS, LOAD_SECONDS);
  } finally {
    child.stdin!.end();
    await exited;
    ns.deleteAll();
  }
}

const fp = await footprint();
const load = await throughput();
const rss = Math.max(fp.idle.rssMaxMiB, fp.churn.rssMaxMiB);
console.log(
  `ipamd process, ${PODS} assigned pods (m5.4xlarge, prefix delegation), real plumbing; ${loadNote()}`,
);
console.log(
  `  idle  ${(IDLE_MS / 1000).toFixed(0)} s: CPU ${fp.idle.cpuPct.toFixed(2)} % of a core, RSS ${fp.idle.rssEndMiB.toFixed(1)} MiB (max ${fp.idle.rssMaxMiB.toFixed(1)})`,
);
console.log(
  `  churn ${fp.churnSecs.toFixed(0)} s (${fp.churnOps} ADD/DEL via the plugin, ${(fp.churnOps / fp.churnSecs).toFixed(1)}/s, sequential): CPU ${fp.churn.cpuPct.toFixed(1)} % of a core, RSS max ${fp.churn.rssMaxMiB.toFixed(1)} MiB`,
);
console.log(
  `throughput: in-process Daemon with a NO-OP PodPlumbing injected (DaemonDeps.plumbing) and logging off, ipamd's V8 flags (${ipamdNodeFlags().join(" ")}); datastore + checkpoint (fdatasync) real; ${LOAD_WORKERS} concurrent clients over the Unix socket, ADD then DEL each`,
);
console.log(
  `  ${load.ops} ops in ${load.seconds.toFixed(1)} s = ${load.opsPerSec.toFixed(0)} ops/s (errors ${load.errors}${load.firstError ? `: ${load.firstError}` : ""})`,
);
const ok = (b: boolean) => (b ? "meets" : "MISSES");
const headline = `bench:daemon RSS ${rss.toFixed(1)} MiB (target <= 64, ${ok(rss <= 64)}), idle CPU ${fp.idle.cpuPct.toFixed(2)} % (target <= 0.5, ${ok(fp.idle.cpuPct <= 0.5)}), ${load.opsPerSec.toFixed(0)} ops/s (target >= 10000, ${ok(load.opsPerSec >= 10_000)})`;
writeReport(
  {
    name: "daemon",
    unit: "",
    data: { pods: PODS, idleMs: IDLE_MS, footprint: fp, throughput: load, workers: LOAD_WORKERS },
    bars: [
      { label: "RSS MiB (target 64)", value: rss, compare: 64 },
      { label: "idle CPU % (target 0.5)", value: fp.idle.cpuPct, compare: 0.5 },
      { label: "churn CPU %", value: fp.churn.cpuPct },
      { label: "kops/s (target 10)", value: load.opsPerSec / 1000, compare: 10 },
    ],
    headline,
  },
  resultsDir(),
);
printHeadline(headline);
