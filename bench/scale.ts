// bench:scale — N nodes (default 1,000 m5.large) join at once and warm their
// pools against ONE emulator whose account-wide throttling buckets they
// share. All pool managers run in this one process, each with its own EC2
// client, and the emulator in a second one (bench/scale/emulator-process.ts
// says why); no data plane, no pods (see bench/scale/ours.ts, aws.ts).
// Two policies, each against a fresh emulator, one after the other:
//   ours — the real planner + executor + datastore + pool loop, defaults
//          (WARM_ENI_TARGET=1), shipped client-side rate limit and retries;
//   aws  — the AWS VPC CNI's default-policy call pattern (bench/scale/aws.ts).
// Time scale s (default 0.25): delays x s, bucket refills / s (bench/scale/
// time.ts); every time printed is in AWS seconds (real seconds / s).
//   node bench/scale.ts [--smoke] [--nodes N] [--time-scale s] [--ours-only] [--no-save]
// SCALE_LOG=1: our nodes' warnings (failed pool actions...) as JSON lines on stderr.
import type { Ec2CallRecord } from "../cloud/ec2/types.ts";
import { DEFAULT_BUCKETS, DEFAULT_LATENCY, type EmulatorStats } from "../cloud/emulator/index.ts";
import { isSmoke, loadNote, printHeadline, resultsDir } from "./lib/cli.ts";
import { writeReport } from "./lib/report.ts";
import { percentile, ratio } from "./lib/stats.ts";
import { awsNode } from "./scale/aws.ts";
import { type ScaleBound, tokenBound } from "./scale/bound.ts";
import { PODS_AT_JOIN, type SimPolicyNode } from "./scale/node.ts";
import { oursNode } from "./scale/ours.ts";
import { buildSimWorld } from "./scale/world.ts";

const smoke = isSmoke();
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
};
const N = arg("--nodes") ?? (smoke ? 20 : 1000);
// 0.25 keeps this process (1,000 SDK clients and pool managers) below one
// saturated core on the 2-core machines; smaller scales distort the results
// (event-loop lag shows up as EC2 request timeouts).
const S = arg("--time-scale") ?? (smoke ? 0.02 : 0.25);
const INSTANCE = "m5.large";
/** Give up after this much AWS time (nodes not ready are reported). */
const CAP_AWS_MS = smoke ? 120_000 : 1_800_000;

interface PolicyResult {
  policy: string;
  nodes: number;
  readyNodes: number;
  allReadyS: number;
  p50ReadyS: number;
  p99ReadyS: number;
  calls: number;
  throttled: number;
  byAction: Record<string, { calls: number; throttled: number }>;
  failedAfterRetries: number;
  /** Join-time pods still without an address when the run ended. */
  podsWaiting: number;
  /** ENIs attached beyond the 2 per node the targets need (over-provisioning). */
  extraEnis: number;
  ratio: number;
}

type Factory = typeof oursNode;

async function runPolicy(policy: string, make: Factory, bound: ScaleBound): Promise<PolicyResult> {
  const world = await buildSimWorld(N, INSTANCE, S);
  const calls: Ec2CallRecord[] = [];
  const ctx = {
    endpoint: world.emulator.endpoint,
    region: world.emulator.region,
    instanceType: INSTANCE,
    s: S,
    onCall: (r: Ec2CallRecord) => {
      calls.push(r);
    },
  };
  const nodes: SimPolicyNode[] = world.nodes.map((n) => make(n, ctx));
  const readyAt: (number | undefined)[] = nodes.map(() => undefined);
  const t0 = performance.now();
  for (const n of nodes) n.start();
  let left = nodes.length;
  while (left > 0 && performance.now() - t0 < CAP_AWS_MS * S) {
    // Readiness runs the planner per waiting node: poll at 100 ms (real) so the
    // check itself does not eat the CPU the 1,000 pool managers need.
    await new Promise((r) => setTimeout(r, 100));
    const now = performance.now();
    nodes.forEach((n, i) => {
      if (readyAt[i] === undefined && n.ready()) {
        readyAt[i] = (now - t0) / S;
        left--;
      }
    });
  }
  const stats: EmulatorStats = await world.emulator.stats();
  const podsWaiting = nodes.reduce((sum, n) => sum + n.waitingPods(), 0);
  const attached = await world.emulator.attachedEnis();
  const extraEnis = attached - 2 * N;
  await Promise.all(nodes.map((n) => n.stop()));
  await world.emulator.close();
  const ready = readyAt.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const allReadyMs = left === 0 ? ready[ready.length - 1]! : Number.POSITIVE_INFINITY;
  const byAction: PolicyResult["byAction"] = {};
  for (const [k, v] of Object.entries(stats.byAction))
    byAction[k] = { calls: v.calls, throttled: v.throttled };
  return {
    policy,
    nodes: N,
    readyNodes: ready.length,
    allReadyS: allReadyMs / 1000,
    p50ReadyS: percentile(ready, 50) / 1000,
    p99ReadyS: percentile(ready, 99) / 1000,
    calls: stats.totalCalls,
    throttled: stats.throttled,
    byAction,
    failedAfterRetries: calls.filter((c) => c.outcome !== "ok").length,
    podsWaiting,
    extraEnis,
    ratio: ratio(allReadyMs, bound.boundMs),
  };
}

// Calls strictly needed per node (PODS_AT_JOIN pods + one ENI's worth free = a
// second ENI): assign (primary) + create-with-IPs = 2 ni-mutations, 1 attach.
const bound = tokenBound([
  {
    cls: "ni-mutation",
    calls: 2 * N,
    bucket: DEFAULT_BUCKETS["ni-mutation"],
    tailMs: DEFAULT_LATENCY.mutateMs,
  },
  {
    cls: "mutating (attach)",
    calls: N,
    bucket: DEFAULT_BUCKETS.mutating,
    tailMs: DEFAULT_LATENCY.mutateMs + DEFAULT_LATENCY.attachMs,
  },
]);

// Both policies also set DeleteOnTermination on every new ENI (a third
// ni-mutation): not strictly needed for addresses, but shown for context.
const boundWithModify = tokenBound([
  {
    cls: "ni-mutation",
    calls: 3 * N,
    bucket: DEFAULT_BUCKETS["ni-mutation"],
    tailMs: DEFAULT_LATENCY.mutateMs,
  },
]);

const results: PolicyResult[] = [];
results.push(await runPolicy("ours (defaults)", oursNode, bound));
// --ours-only: skip the AWS model (it does not change with ipamd; saves minutes).
if (!process.argv.includes("--ours-only"))
  results.push(await runPolicy("aws-vpc-cni model (WARM_ENI_TARGET=1)", awsNode, bound));

console.log(
  `${N} x ${INSTANCE} join at once; time scale ${S} (delays x ${S}, bucket refills / ${S}); AWS seconds below; ${loadNote()}`,
);
console.log(
  `account buckets: ni-mutation ${DEFAULT_BUCKETS["ni-mutation"].capacity}+${DEFAULT_BUCKETS["ni-mutation"].refillPerSecond}/s, mutating ${DEFAULT_BUCKETS.mutating.capacity}+${DEFAULT_BUCKETS.mutating.refillPerSecond}/s; latencies: mutate ${DEFAULT_LATENCY.mutateMs} ms, describe ${DEFAULT_LATENCY.describeMs} ms, attach ${DEFAULT_LATENCY.attachMs} ms`,
);
console.log(
  `bound ${(bound.boundMs / 1000).toFixed(1)} s = max over classes of (calls needed - capacity) / refill + tail: ${bound.perClass.map((p) => `${p.cls} ${p.calls} calls -> ${(p.ms / 1000).toFixed(1)} s`).join("; ")}`,
);
console.log(
  `(with the DeleteOnTermination call both policies make per new ENI, 3 ni-mutations/node: ${(boundWithModify.boundMs / 1000).toFixed(1)} s)`,
);
for (const r of results) {
  console.log(`\n${r.policy}`);
  console.log(
    `  all ${r.nodes} warm: ${r.readyNodes === r.nodes ? `${r.allReadyS.toFixed(1)} s` : `NOT ALL (${r.readyNodes}/${r.nodes} after cap)`}  p50 ${r.p50ReadyS.toFixed(1)} s  p99 ${r.p99ReadyS.toFixed(1)} s  -> ${r.ratio}x bound (target <= 1.2)`,
  );
  console.log(
    `  EC2 calls ${r.calls}, throttled ${r.throttled}, calls failed after all retries ${r.failedAfterRetries}; pods (${PODS_AT_JOIN}/node) still without an address: ${r.podsWaiting}; ENIs attached beyond need: ${r.extraEnis}`,
  );
  console.log(
    `  by action: ${Object.entries(r.byAction)
      .map(([k, v]) => `${k} ${v.calls}/${v.throttled}thr`)
      .join(", ")}`,
  );
}
const [o, a] = results as [PolicyResult, PolicyResult?];
const fmtAll = (r: PolicyResult) =>
  r.readyNodes === r.nodes ? `${r.allReadyS.toFixed(0)} s` : `not all ready`;
// --ours-only has no AWS model result: say so rather than repeat ours under its name.
const awsPart = a ? `${a.ratio}x (${fmtAll(a)}, ${a.throttled} throttled)` : "not run (--ours-only)";
const headline = `bench:scale ${N} nodes all warm / bound (${(bound.boundMs / 1000).toFixed(0)} s): ours ${o.ratio}x (${fmtAll(o)}, ${o.throttled} throttled), aws-vpc-cni model ${awsPart} (target <= 1.2)`;
writeReport(
  {
    name: "scale",
    unit: "s (AWS time)",
    data: {
      nodes: N,
      instanceType: INSTANCE,
      timeScale: S,
      podsAtJoin: PODS_AT_JOIN,
      bound,
      boundWithModify,
      results,
    },
    bars: [
      { label: "bound", value: bound.boundMs / 1000 },
      ...results.map((r) => ({
        label: `${r.policy.split(" ")[0]} all warm`,
        value: Number.isFinite(r.allReadyS) ? r.allReadyS : CAP_AWS_MS / 1000,
      })),
      ...results.map((r) => ({ label: `${r.policy.split(" ")[0]} p50 warm`, value: r.p50ReadyS })),
    ],
    headline,
  },
  resultsDir(),
);
printHeadline(headline);
