// One soak run: a 3-node simulated cluster with the emulator failing a share
// of EC2 calls (plus throttling and latency), pod churn with concurrency,
// scheduled faults, stop-the-world invariant checks during the run and the
// end-of-run checks. Returns the numbers for the one summary line.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NetworkInterface } from "../../cloud/ec2/types.ts";
import { type Cluster, createCluster } from "../harness/index.ts";
import { rng as makeRng } from "../support/rng.ts";
import { checkNow } from "./checks.ts";
import { createDecoys } from "./ec2-direct.ts";
import { endChecks } from "./end-checks.ts";
import {
  detachBehindBack,
  killAndRestart,
  killMidCheckpoint,
  refreshTaints,
  terminateNode,
  unassignBehindBack,
} from "./faults.ts";
import { Ledger } from "./ledger.ts";
import type { SoakOptions } from "./options.ts";
import { podRuntime } from "./pods.ts";
import { runProbes } from "./probes.ts";
import { startWorkload } from "./workload.ts";

export interface SoakReport {
  operations: number;
  adds: number;
  addFailed: number;
  dels: number;
  ec2Faults: number;
  throttled: number;
  outOfBand: number;
  ipamdKills: number;
  casualties: number;
  checks: number;
  probesDetected: string;
  poolSettledMs: number;
  durationMs: number;
  violations: string[];
}

export function summaryLine(r: SoakReport): string {
  return (
    `soak summary: operations=${r.operations} (ADD ${r.adds} ok + ${r.addFailed} failed, DEL ${r.dels}), ` +
    `faults injected=${r.ec2Faults + r.throttled + r.outOfBand} (EC2 errors ${r.ec2Faults}, throttled ${r.throttled}, ` +
    `behind ipamd's back ${r.outOfBand}), ipamd kills=${r.ipamdKills}, invariant checks=${r.checks}, ` +
    `invariant violations=${r.violations.length}, ${(r.durationMs / 1000).toFixed(0)} s`
  );
}

const LEAK_DELAY_S = 60; // ipamd's floor for VPC_CNI_LEAKED_ENI_DELAY_SECONDS
/**
 * The emulator's account-wide EC2 buckets during the run. AWS's defaults
 * (rules/throttle.ts) are far above what three nodes ask for, so the soak
 * never saw RequestLimitExceeded; these are below the sum of the nodes'
 * client-side buckets (cloud/ec2/rate-limit.ts), so bursts (restarts after
 * kills, pool growth, scale-down) really are throttled and retried.
 */
export const SOAK_THROTTLE = {
  "ni-mutation": { capacity: 6, refillPerSecond: 1.5 },
  mutating: { capacity: 4, refillPerSecond: 1 },
  tags: { capacity: 6, refillPerSecond: 1.5 },
  describe: { capacity: 10, refillPerSecond: 3 },
  "describe-unfiltered": { capacity: 4, refillPerSecond: 1 },
};
const TARGETS = { warmIp: 5, minimumIp: 10 };
const VETH_PREFIX = "eni";

export async function runSoak(o: SoakOptions, log: (s: string) => void): Promise<SoakReport> {
  const t0 = Date.now();
  const rng = makeRng(o.seed);
  const ledger = new Ledger();
  const trapDir = mkdtempSync(join(tmpdir(), "soak-trap-"));
  const trap = (node: string) => join(trapDir, `${node}.trap`);
  let cluster: Cluster | undefined;
  let pods: ReturnType<typeof podRuntime> | undefined;
  try {
    const clusterName = `soak-${o.seed}-${process.pid}`;
    const node = (name: string, instanceType: string, subnet: number, env: Record<string, string> = {}) => ({
      name,
      instanceType,
      subnet,
      env: { VPC_CNI_TEST_CHECKPOINT_TRAP: trap(name), ...env },
    });
    cluster = await createCluster({
      clusterName,
      // a in subnet 0; b and c share subnet 1, so an address taken from a's
      // ENIs behind its back can only come back to a (no cross-node race by design).
      nodes: [
        node("a", "m5.large", 0),
        node("b", "m5.large", 1),
        // c: small instance with a high minimum, so it owns secondary ENIs to leak when terminated.
        node("c", "t3.medium", 1, { MINIMUM_IP_TARGET: "12" }),
      ],
      timeScale: 0.25,
      emulator: { latency: { describeMs: 100, mutateMs: 200 } },
      env: {
        WARM_IP_TARGET: String(TARGETS.warmIp),
        MINIMUM_IP_TARGET: String(TARGETS.minimumIp),
        VPC_CNI_IP_COOLDOWN_SECONDS: "2",
        VPC_CNI_RECONCILE_INTERVAL_SECONDS: "5",
        VPC_CNI_MIN_ENI_AGE_SECONDS: "5",
        VPC_CNI_SCALE_DOWN_INTERVAL_SECONDS: "1",
        VPC_CNI_SUBNET_BACKOFF_SECONDS: "5",
        VPC_CNI_LEAKED_ENI_DELAY_SECONDS: String(LEAK_DELAY_S),
        AWS_VPC_K8S_CNI_VETHPREFIX: VETH_PREFIX,
      },
    });
    const c = cluster;
    const p = podRuntime(c.prefix);
    pods = p;
    log(`cluster up in ${Date.now() - t0} ms`);
    const decoys = new Set(await createDecoys(c.ec2, c.subnets[1]!.id, clusterName));
    // c's pods exist before it dies.
    for (let i = 0; i < 3; i++) {
      const r = await p.add(c.node("c"), performance.now() + 30_000);
      if (r.ok) ledger.addLive(r.pod);
      else ledger.violate(`ADD on c before faults: ${r.msg}`);
    }
    c.emulator.admin.setFaults({ "*": o.faultRate });
    c.emulator.admin.setThrottle({ buckets: SOAK_THROTTLE });
    const throttledBefore = c.emulator.stats().throttled;

    const workNodes = ["a", "b"];
    const dead = new Set<string>();
    const wl = startWorkload({
      cluster: c,
      pods: p,
      ledger,
      rng,
      operations: o.operations,
      concurrency: o.concurrency,
      podsPerNode: o.podsPerNode,
      nodes: workNodes,
      delBudgetMs: 120_000,
    });

    // Deletions the leak cleaner makes, seen from outside (1 s resolution).
    const watched = new Map<string, NetworkInterface>();
    const deletions: { eni: NetworkInterface; deletedAtMs: number }[] = [];
    const leakedByTermination = new Set<string>();
    let leakDeadlineMs = Number.POSITIVE_INFINITY;
    let kills = 0;
    let outOfBand = 0;
    let checks = 0;
    let stop = false;
    const watcher = (async () => {
      while (!stop) {
        const ids = new Set(c.emulator.admin.state().enis.map((e) => e.id));
        for (const [id, eni] of watched)
          if (!ids.has(id)) {
            deletions.push({ eni, deletedAtMs: Date.now() });
            watched.delete(id);
          }
        await refreshTaints(c, ledger, dead).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();

    // The fault schedule, by share of operations started.
    const events: { at: number; name: string; run: () => Promise<unknown> }[] = [
      {
        at: 0.02,
        name: "terminate node c",
        run: async () => {
          dead.add("c");
          for (const e of await terminateNode(c, "c", p, ledger)) {
            watched.set(e.id, e);
            leakedByTermination.add(e.id);
          }
          if (leakedByTermination.size === 0) ledger.violate("node c had no secondary ENI to leak");
          leakDeadlineMs = Date.now() + o.leakCleanupMs;
          outOfBand++;
        },
      },
      {
        at: 0.1,
        name: "SIGKILL b mid-checkpoint",
        run: async () => {
          await killMidCheckpoint(c, "b", trap("b"), ledger);
          kills++;
        },
      },
      {
        at: 0.35,
        name: "detach an ENI of a behind ipamd's back",
        run: async () => {
          const id = await detachBehindBack(c, "a", ledger, rng);
          if (id) {
            const eni = c.emulator.admin.state().enis.find((e) => e.id === id);
            if (eni) watched.set(id, eni);
            outOfBand++;
          }
        },
      },
      {
        at: 0.55,
        name: "unassign an address of b behind ipamd's back",
        run: async () => {
          if (await unassignBehindBack(c, "b", ledger, rng)) outOfBand++;
        },
      },
    ];
    // Random kills on a only: b runs the leak cleaner, whose first pass comes one
    // delay after each start, so killing it often would starve cleanup.
    for (let i = 0; i < o.randomKills; i++) {
      const at = 0.15 + (0.75 * (i + rng())) / o.randomKills;
      events.push({
        at,
        name: `SIGKILL a (#${i + 1})`,
        run: async () => {
          await killAndRestart(c, "a", rng);
          kills++;
        },
      });
    }
    events.sort((x, y) => x.at - y.at);

    let lastCheck = Date.now();
    let finished = false;
    void wl.done.then(() => {
      finished = true;
    });
    while (!finished || events.length > 0) {
      const next = events[0];
      if (next && (wl.started() >= next.at * o.operations || finished)) {
        events.shift();
        log(`t=${((Date.now() - t0) / 1000).toFixed(0)}s ops=${wl.started()}: ${next.name}`);
        await next.run().catch((e: unknown) => ledger.violate(`${next.name}: ${String(e)}`));
      } else if (Date.now() - lastCheck >= o.checkEveryMs) {
        const resume = await wl.pause(60_000);
        try {
          await runtimeGc(c, p, ledger, workNodes);
          // Taints first, from the same EC2 state the check reads (see Taint.eniId).
          await refreshTaints(c, ledger, dead).catch(() => undefined);
          const n = await checkNow(c, ledger, rng, 4);
          checks++;
          log(
            `t=${((Date.now() - t0) / 1000).toFixed(0)}s ops=${wl.started()} live=${ledger.live.size} check: ${n} violations`,
          );
        } finally {
          resume();
          lastCheck = Date.now();
        }
      } else await new Promise((r) => setTimeout(r, 100));
    }
    await wl.done;
    // A last check with pods still up, then delete them all (retrying as kubelet would).
    await refreshTaints(c, ledger, dead).catch(() => undefined);
    await checkNow(c, ledger, rng, 8);
    checks++;
    const probes = await runProbes(c, ledger);
    await Promise.all(wl.cleanups);
    await Promise.all(
      ledger.livePods().map(async (pod) => {
        await p.del(c.node(pod.node), pod, performance.now() + 120_000);
        ledger.counts.dels++;
        ledger.live.delete(pod.id);
      }),
    );
    await runtimeGc(c, p, ledger, workNodes);
    const tDel = Date.now();
    log(`t=${((tDel - t0) / 1000).toFixed(0)}s all pods deleted`);
    const end = await endChecks({
      cluster: c,
      ledger,
      nodes: workNodes,
      targets: TARGETS,
      poolSettleMs: o.poolSettleMs,
      leakDeadlineMs,
      clusterName,
      decoys,
      // The safety delay binds the leak cleaner; a live node may delete its own detached ENI at once.
      deletions: deletions.filter((d) => leakedByTermination.has(d.eni.id)),
      leakDelayMs: LEAK_DELAY_S * 1000,
      vethPrefix: VETH_PREFIX,
      log,
    });
    stop = true;
    await watcher;
    if (watched.size > 0) ledger.violate(`ENIs never cleaned up: ${[...watched.keys()].join(" ")}`);
    for (const v of c.emulator.admin.checkInvariants()) ledger.violate(`emulator: ${v}`);
    for (const [code, f] of ledger.addFailures)
      log(`failed ADDs with code ${code}: ${f.n} (e.g. ${f.sample})`);
    if (ledger.violations.length > 0 || process.env.SOAK_KEEP_LOGS === "1") keepLogs(c, log);
    const st = c.emulator.stats();
    // The run is meant to exercise RequestLimitExceeded handling; a run without any proves nothing.
    if (st.throttled - throttledBefore === 0)
      ledger.violate("EC2 throttling never triggered (buckets too big?)");
    return {
      operations: ledger.counts.adds + ledger.counts.addFailed + ledger.counts.dels,
      adds: ledger.counts.adds,
      addFailed: ledger.counts.addFailed,
      dels: ledger.counts.dels,
      ec2Faults: st.injectedFaults,
      throttled: st.throttled - throttledBefore,
      outOfBand,
      ipamdKills: kills,
      casualties: ledger.counts.casualties,
      checks,
      probesDetected: probes,
      poolSettledMs: end.poolSettledMs,
      durationMs: Date.now() - t0,
      violations: ledger.violations,
    };
  } finally {
    await pods?.destroy();
    await cluster?.destroy();
    rmSync(trapDir, { recursive: true, force: true });
  }
}

/** ipamd logs outlive the cluster's temp dir when something went wrong. */
function keepLogs(c: Cluster, log: (s: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "soak-logs-"));
  for (const n of c.nodes) cpSync(n.logFile, join(dir, `${n.name}-ipamd.log`));
  log(`ipamd logs kept in ${dir}`);
}

/** The runtime's periodic CNI GC (only while the workload is paused: nothing in flight). */
async function runtimeGc(c: Cluster, p: ReturnType<typeof podRuntime>, ledger: Ledger, nodes: string[]) {
  for (const name of nodes) {
    const r = await p.gc(c.node(name), ledger.livePods(name));
    if (r.code !== 0) ledger.violate(`CNI GC on ${name} failed: ${r.out.slice(0, 300)}`);
  }
}
