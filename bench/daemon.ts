// bench:daemon — ipamd's footprint and API throughput.
//  1. A real ipamd process (node ipamd/main.ts, harness node m5.4xlarge with
//     prefix delegation, real netlink plumbing) holding PODS assigned pods:
//     resident memory (VmRSS) and CPU (utime+stime from /proc) while idle and
//     under pod churn (DEL one pod + ADD a new one through the CNI plugin,
//     sequentially, pod count kept at PODS). Without Kubernetes (the
//     targets), then briefly with the stand-in API server, as production
//     runs (@kubernetes/client-node loaded, pod watch, status writes).
//  2. Assign + release throughput through the Unix socket with the plugin's
//     protocol, against the in-process Daemon with a no-op PodPlumbing
//     injected and logging off (bench/daemon/host.ts), run with ipamd's V8
//     flags; datastore + checkpoint persistence real. Production ipamd also
//     logs one line per ADD/DEL: not counted here.
//   node bench/daemon.ts [--smoke]
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Pod } from "../test/harness/index.ts";
import { assignReleaseLoad, type LoadResult } from "./daemon/load.ts";
import { startBenchNode } from "./daemon/node.ts";
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
const LOAD_WARMUP_SECONDS = smoke ? 0.5 : 3;
const KUBE_IDLE_MS = smoke ? 1_000 : 10_000;
const KUBE_CHURN_MS = smoke ? 1_000 : 10_000;
const LOAD_WORKERS = 32;
delete process.env["NODE_EXTRA_CA_CERTS"];
if (process.getuid?.() !== 0) throw new Error("bench:daemon needs root (network namespaces)");

/**
 * `kubernetes`: with the stand-in API server, as production runs (ipamd then
 * loads @kubernetes/client-node, watches the node's pods and writes status);
 * the targets are measured without, the production footprint is printed beside.
 */
async function footprint(
  kubernetes: boolean,
  idleMs: number,
  churnMs: number,
): Promise<{ idle: Usage; churn: Usage; churnOps: number; churnSecs: number }> {
  const { cluster, node, pid } = await startBenchNode(kubernetes);
  try {
    const pods: Pod[] = [];
    let next = 0;
    const addOne = async () => {
      const i = next++;
      pods.push(await cluster.addPod(node, { namespace: "bench", name: `p${i}` }));
    };
    for (let i = 0; i < PODS; i += 8)
      await Promise.all(Array.from({ length: Math.min(8, PODS - i) }, addOne));
    console.log(
      `${pods.length} pods assigned${kubernetes ? " (Kubernetes on)" : ""}; measuring idle for ${idleMs / 1000} s`,
    );
    await new Promise((r) => setTimeout(r, 2000)); // let the pool settle
    const idle = await measureUsage(pid, idleMs);
    let churnOps = 0;
    const t0 = performance.now();
    const churn = await measureUsage(pid, async () => {
      while (performance.now() - t0 < churnMs) {
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
    return await assignReleaseLoad(socketPath, LOAD_WORKERS, LOAD_SECONDS, LOAD_WARMUP_SECONDS);
  } finally {
    child.stdin!.end();
    await exited;
    ns.deleteAll();
  }
}

const fp = await footprint(false, IDLE_MS, CHURN_MS);
const fpKube = await footprint(true, KUBE_IDLE_MS, KUBE_CHURN_MS);
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
const kubeRss = Math.max(fpKube.idle.rssMaxMiB, fpKube.churn.rssMaxMiB);
console.log(
  `  with Kubernetes on (stand-in API server; ipamd loads @kubernetes/client-node, watches the node's pods, writes status), as production runs: RSS max ${kubeRss.toFixed(1)} MiB (idle ${(KUBE_IDLE_MS / 1000).toFixed(0)} s + churn ${(KUBE_CHURN_MS / 1000).toFixed(0)} s), idle CPU ${fpKube.idle.cpuPct.toFixed(2)} %; the targets below are taken without`,
);
console.log(
  `throughput: in-process Daemon with a NO-OP PodPlumbing injected (DaemonDeps.plumbing) and logging off, ipamd's V8 flags (${ipamdNodeFlags().join(" ")}); datastore + checkpoint (fdatasync) real; ${LOAD_WORKERS} concurrent clients over the Unix socket, ADD then DEL each, measured after ${LOAD_WARMUP_SECONDS} s of the same load (uncounted)`,
);
console.log(
  `  ${load.ops} ops in ${load.seconds.toFixed(1)} s = ${load.opsPerSec.toFixed(0)} ops/s (errors ${load.errors}${load.firstError ? `: ${load.firstError}` : ""})`,
);
const ok = (b: boolean) => (b ? "meets" : "MISSES");
const headline = `bench:daemon RSS ${rss.toFixed(1)} MiB (target <= 64, ${ok(rss <= 64)}), idle CPU ${fp.idle.cpuPct.toFixed(2)} % (target <= 0.5, ${ok(fp.idle.cpuPct <= 0.5)}), ${load.opsPerSec.toFixed(0)} ops/s (target >= 10000, ${ok(load.opsPerSec >= 10_000)}); RSS with Kubernetes on ${kubeRss.toFixed(1)} MiB`;
writeReport(
  {
    name: "daemon",
    unit: "",
    data: {
      pods: PODS,
      idleMs: IDLE_MS,
      footprint: fp,
      footprintKubernetes: fpKube,
      throughput: load,
      workers: LOAD_WORKERS,
      warmupSeconds: LOAD_WARMUP_SECONDS,
    },
    bars: [
      { label: "RSS MiB (target 64)", value: rss, compare: 64 },
      { label: "RSS MiB, Kubernetes on", value: kubeRss },
      { label: "idle CPU % (target 0.5)", value: fp.idle.cpuPct, compare: 0.5 },
      { label: "churn CPU %", value: fp.churn.cpuPct },
      { label: "kops/s (target 10)", value: load.opsPerSec / 1000, compare: 10 },
    ],
    headline,
  },
  resultsDir(),
);
printHeadline(headline);
