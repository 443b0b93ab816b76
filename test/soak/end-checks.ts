// What must hold once every pod is deleted, each awaited within a stated
// bound: ipamd holds no assignment, its pool is back at its targets and agrees
// with EC2; no ENI of the cluster is left detached (the leak cleaner ran, and
// never before the safety delay, never on a decoy); no pod veth, rule or route
// is left in any live node namespace.
import type { NetworkInterface } from "../../cloud/ec2/types.ts";
import type { Cluster } from "../harness/index.ts";
import { earlyDeletionViolations, leakedEniViolations } from "./leaks.ts";
import type { Ledger } from "./ledger.ts";
import { leftoverViolations, nodeNetView } from "./netns-view.ts";

export interface PoolTargets {
  warmIp: number;
  minimumIp: number;
}

interface Status {
  counts?: { total: number; assigned: number; available: number; cooldown: number };
  lastPlan?: { actions: unknown[]; deficit: number };
}

async function poolProblems(cluster: Cluster, node: string, t: PoolTargets): Promise<string[]> {
  const n = cluster.node(node);
  const status = (await cluster.introspect(node, "/v1/status")) as Status;
  const assignments = (await cluster.introspect(node, "/v1/assignments")) as unknown[];
  const view = (await cluster.introspect(node, "/v1/enis")) as { id: string; ips: string[] }[];
  const out: string[] = [];
  if (assignments.length > 0) out.push(`${node}: ${assignments.length} assignments left (leaked addresses)`);
  const c = status.counts;
  if (c === undefined || c.assigned !== 0 || c.cooldown !== 0)
    out.push(`${node}: counts ${JSON.stringify(c)}`);
  else if (c.available < t.warmIp || c.total < t.minimumIp)
    out.push(`${node}: pool ${c.available} free / ${c.total} below targets ${JSON.stringify(t)}`);
  const plan = status.lastPlan;
  if (plan === undefined || plan.deficit !== 0 || plan.actions.length > 0)
    out.push(`${node}: planner not settled: ${JSON.stringify(status.lastPlan)}`);
  // ipamd's addresses and EC2's must be the same set: nothing held in EC2 that ipamd forgot.
  const ec2Ips = cluster.emulator.admin
    .state()
    .enis.filter((e) => e.attachment?.instanceId === n.instanceId && e.status === "in-use")
    .flatMap((e) => e.secondaryIps)
    .sort();
  const mine = view.flatMap((e) => e.ips).sort();
  if (ec2Ips.join() !== mine.join())
    out.push(`${node}: ipamd knows [${mine.join(" ")}], EC2 has [${ec2Ips.join(" ")}]`);
  return out;
}

async function until(
  boundMs: number,
  probe: () => Promise<string[]>,
): Promise<{ ms: number; left: string[] }> {
  const t0 = Date.now();
  let left: string[] = [];
  while (Date.now() - t0 <= boundMs) {
    left = await probe().catch((e: unknown) => [String(e)]);
    if (left.length === 0) return { ms: Date.now() - t0, left };
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { ms: Date.now() - t0, left };
}

export async function endChecks(o: {
  cluster: Cluster;
  ledger: Ledger;
  nodes: string[];
  targets: PoolTargets;
  poolSettleMs: number;
  leakDeadlineMs: number;
  clusterName: string;
  decoys: ReadonlySet<string>;
  deletions: readonly { eni: NetworkInterface; deletedAtMs: number }[];
  leakDelayMs: number;
  vethPrefix: string;
  log: (s: string) => void;
}): Promise<{ poolSettledMs: number; leaksClearedMs: number }> {
  const { cluster, ledger } = o;
  const pool = await until(o.poolSettleMs, async () =>
    (await Promise.all(o.nodes.map((n) => poolProblems(cluster, n, o.targets)))).flat(),
  );
  for (const v of pool.left) ledger.violate(`pool not back at targets within ${o.poolSettleMs} ms: ${v}`);
  o.log(`pool back at targets after the last DEL: ${pool.ms} ms (bound ${o.poolSettleMs})`);

  const leaks = await until(Math.max(0, o.leakDeadlineMs - Date.now()), async () =>
    leakedEniViolations(cluster.emulator.admin.state().enis, o.clusterName, o.decoys),
  );
  for (const v of leaks.left) ledger.violate(v);
  for (const v of earlyDeletionViolations(o.deletions, o.leakDelayMs)) ledger.violate(v);
  o.log(`leaked ENIs cleared ${leaks.left.length === 0 ? "" : "NOT "}within the bound (${leaks.ms} ms more)`);

  for (const name of o.nodes) {
    const n = cluster.node(name);
    // An address a pod once had may since be an ENI's PRIMARY address (released,
    // then picked by EC2 for a new ENI): its ENI rule is not a pod leftover.
    const primaries = new Set(
      cluster.emulator.admin
        .state()
        .enis.filter((e) => e.attachment?.instanceId === n.instanceId)
        .map((e) => e.primaryIp),
    );
    const podIps = new Set([...ledger.everIps].filter((ip) => !primaries.has(ip)));
    for (const v of leftoverViolations(name, await nodeNetView(n.netns), o.vethPrefix, podIps))
      ledger.violate(v);
  }
  return { poolSettledMs: pool.ms, leaksClearedMs: leaks.ms };
}
