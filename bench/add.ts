// bench:add — CNI ADD and DEL latency of build/vpc-cni (talking to a real
// ipamd over its socket, ipamd doing the veth/route/rule plumbing) against
// Debian's ptp + host-local doing the same job (veth pair, pod address,
// host route to it, default route via the host) on the SAME node namespace.
//
// - one simulated node (test/harness: emulator + netns data plane + ipamd in
//   the node namespace), c5.4xlarge, pool warmed BEFORE measuring to hold
//   every pod (MINIMUM_IP_TARGET), so no ADD waits on EC2;
// - every pod gets a fresh network namespace created beforehand (unmeasured);
// - the measuring process runs inside the node namespace (nsenter --net) and
//   fork/execs both plugins directly, CNI env + config on stdin, as a runtime;
//   stdin/stdout/stderr are real pipes, as Go's exec gives them (lib/exec.ts);
// - both plugins' binaries are staged the same way first (bench/lib/staged-
//   plugins.ts: fresh copies, page cache dropped), since exec time depends on
//   the page-cache state of a binary, a lot for our 107 MB Bun executable;
// - interleaved: pod i of each side alternately, order flipped every round;
//   all ADDs, then all DELs (pods stay up meanwhile, as on a busy node).
//   node bench/add.ts [--smoke] [--pods N]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createCluster } from "../test/harness/index.ts";
import type { AddJob, AddSamples } from "./add/job.ts";
import { isSmoke, loadNote, printHeadline, resultsDir } from "./lib/cli.ts";
import { createNetnsBatch } from "./lib/netns.ts";
import { writeReport } from "./lib/report.ts";
import { stagePlugins } from "./lib/staged-plugins.ts";
import { fmt, ratio, type Summary, summarize } from "./lib/stats.ts";

const REPO = fileURLToPath(new URL("../", import.meta.url));
const smoke = isSmoke();
const podsArg = process.argv.indexOf("--pods");
const N = podsArg > 0 ? Number(process.argv[podsArg + 1]) : smoke ? 6 : 200;
const WARMUP = smoke ? 1 : 5;
const OURS = "vpc-cni";
const REF = "ptp+host-local";

if (process.getuid?.() !== 0) throw new Error("bench:add needs root (network namespaces)");
if (!existsSync(join(REPO, "build/vpc-cni"))) {
  console.log("build/vpc-cni missing: building it (bash cni/build.sh)");
  const b = spawnSync("bash", [join(REPO, "cni/build.sh")], { stdio: "inherit" });
  if (b.status !== 0) throw new Error("cni/build.sh failed");
}
delete process.env["NODE_EXTRA_CA_CERTS"];

const total = N + WARMUP;
const cluster = await createCluster({
  // Short emulator delays only to warm the pool quickly; nothing measured waits on EC2.
  timeScale: 0.05,
  nodes: [
    {
      name: "n1",
      instanceType: "c5.4xlarge", // 8 ENIs x 29 secondary IPs = 232 pod addresses
      env: {
        MINIMUM_IP_TARGET: String(total + 4),
        WARM_IP_TARGET: "4",
        VPC_CNI_IP_COOLDOWN_SECONDS: "1",
      },
    },
  ],
});
const node = cluster.nodes[0]!;
// Both sides' binaries copied fresh into one directory, page cache dropped (see staged-plugins.ts).
const staged = stagePlugins([join(REPO, "build/vpc-cni"), "/usr/lib/cni/ptp", "/usr/lib/cni/host-local"]);
const ipamDir = mkdtempSync(join(tmpdir(), "vcb-hostlocal-"));
let ours: ReturnType<typeof createNetnsBatch> | undefined;
let ref: ReturnType<typeof createNetnsBatch> | undefined;
let samples: AddSamples;
let serverMs: Record<string, number> = {};
try {
  const t0 = Date.now();
  for (;;) {
    const st = (await cluster.introspect(node, "/v1/status")) as { counts?: { available?: number } };
    if ((st.counts?.available ?? 0) >= total) break;
    if (Date.now() - t0 > 120_000) throw new Error(`pool not warm after 120 s: ${JSON.stringify(st)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`pool warm (${total}+ free addresses) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  ours = createNetnsBatch("ao", total);
  ref = createNetnsBatch("ar", total);
  const plugin = node.conflist.plugins[0]!;
  const job: AddJob = {
    n: N,
    warmup: WARMUP,
    cniPath: staged.dir,
    sides: [
      {
        name: OURS,
        tag: "o",
        bin: staged.path(join(REPO, "build/vpc-cni")),
        conf: { ...plugin, cniVersion: node.conflist.cniVersion, name: node.conflist.name },
        netns: ours.paths,
      },
      {
        name: REF,
        tag: "r",
        bin: staged.path("/usr/lib/cni/ptp"),
        conf: {
          cniVersion: "1.0.0",
          name: "bench-ptp",
          type: "ptp",
          mtu: 9001,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: "10.200.0.0/16" }]],
            routes: [{ dst: "0.0.0.0/0" }],
            dataDir: ipamDir,
          },
        },
        netns: ref.paths,
      },
    ],
  };
  samples = await runWorker(`/var/run/netns/${node.netns}`, job);
  serverMs = parseServerLatency(await cluster.metrics(node));
} finally {
  ours?.deleteAll();
  ref?.deleteAll();
  rmSync(ipamDir, { recursive: true, force: true });
  staged.remove();
  await cluster.destroy();
}

/** Mean time inside ipamd per op (its histogram's sum / count): the rest of a sample is exec + socket. */
function parseServerLatency(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const op of ["add", "del"]) {
    const sum = new RegExp(
      `vpccni_cni_request_duration_seconds_sum\\{[^}]*op="${op}"[^}]*outcome="ok"[^}]*\\} ([0-9.e+-]+)`,
    ).exec(text);
    const count = new RegExp(
      `vpccni_cni_request_duration_seconds_count\\{[^}]*op="${op}"[^}]*outcome="ok"[^}]*\\} ([0-9.e+-]+)`,
    ).exec(text);
    if (sum && count && Number(count[1]) > 0) out[op] = (Number(sum[1]) / Number(count[1])) * 1000;
  }
  return out;
}

function runWorker(netnsPath: string, job: AddJob): Promise<AddSamples> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "nsenter",
      [`--net=${netnsPath}`, "--", process.execPath, join(REPO, "bench/add/worker.ts")],
      { stdio: ["pipe", "pipe", "inherit"], env: { PATH: process.env["PATH"] ?? "" } },
    );
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`bench/add/worker.ts exited ${code}`));
      resolve(JSON.parse(out) as AddSamples);
    });
    child.stdin.end(JSON.stringify(job));
  });
}

const s = {
  addOurs: summarize(samples.add[OURS]!),
  addRef: summarize(samples.add[REF]!),
  delOurs: summarize(samples.del[OURS]!),
  delRef: summarize(samples.del[REF]!),
};
const row = (name: string, x: Summary) =>
  `${name.padEnd(22)} p50 ${fmt(x.p50).padStart(6)}  p90 ${fmt(x.p90).padStart(6)}  p99 ${fmt(x.p99).padStart(6)} ms  (n=${x.n})`;
console.log(`${N} pods per side (+${WARMUP} warm-up), interleaved, spawn-to-exit wall time; ${loadNote()}`);
console.log(
  "both sides' binaries: fresh copies in one directory, page cache dropped before the warm-up; stdin/stdout/stderr real pipes (FIFOs), as a Go runtime gives them",
);
console.log(row(`ADD ${OURS}`, s.addOurs));
console.log(row(`ADD ${REF}`, s.addRef));
console.log(row(`DEL ${OURS}`, s.delOurs));
console.log(row(`DEL ${REF}`, s.delRef));
console.log(
  `inside ipamd (its own histogram, mean incl. warm-up): ADD ${fmt(serverMs["add"] ?? Number.NaN)} ms, DEL ${fmt(serverMs["del"] ?? Number.NaN)} ms; the rest of vpc-cni's time is exec + socket`,
);
const addRatio = ratio(s.addOurs.p50, s.addRef.p50);
const delRatio = ratio(s.delOurs.p50, s.delRef.p50);
const verdict = (r: number) => (r <= 1 ? "meets" : "MISSES");
const headline = `bench:add ADD p50 ${OURS}/${REF} = ${addRatio}x (target <= 1.0, ${verdict(addRatio)}), DEL p50 = ${delRatio}x (target <= 1.0, ${verdict(delRatio)})`;
writeReport(
  {
    name: "add",
    unit: "ms",
    data: {
      pods: N,
      warmup: WARMUP,
      summaries: s,
      ipamdMeanMs: serverMs,
      ratios: { addP50: addRatio, delP50: delRatio },
      samples,
    },
    bars: [
      { label: "ADD p50", value: s.addOurs.p50, compare: s.addRef.p50 },
      { label: "ADD p90", value: s.addOurs.p90, compare: s.addRef.p90 },
      { label: "ADD p99", value: s.addOurs.p99, compare: s.addRef.p99 },
      { label: "DEL p50", value: s.delOurs.p50, compare: s.delRef.p50 },
      { label: "DEL p90", value: s.delOurs.p90, compare: s.delRef.p90 },
      { label: "DEL p99", value: s.delOurs.p99, compare: s.delRef.p99 },
    ],
    headline,
  },
  resultsDir(),
);
printHeadline(headline);
