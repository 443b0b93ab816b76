// The effectful side of the invariants: gather EC2 state (emulator), the
// addresses inside every live pod namespace and a connectivity sample, and
// feed them to the pure checks. Runs with the workload paused, so the set of
// live pods is exactly what the kernel and EC2 should show.
import type { Cluster } from "../harness/index.ts";
import { pingFrom } from "../harness/proc.ts";
import { pick, type Rng } from "../support/rng.ts";
import type { Ledger } from "./ledger.ts";
import { podAddrs } from "./netns-view.ts";
import { namespaceViolations, ownershipViolations } from "./ownership.ts";
import type { SoakPod } from "./pods.ts";

export function instanceMap(cluster: Cluster): Map<string, string> {
  return new Map(cluster.nodes.map((n) => [n.name, n.instanceId]));
}

/** Ping with a few tries: the first packet after a neighbour change may be lost; a dead path never answers. */
async function reaches(from: SoakPod, to: string): Promise<boolean> {
  for (let i = 0; i < 3; i++) if ((await pingFrom(from.netns, to, 1)) === 0) return true;
  return false;
}

export async function checkNow(cluster: Cluster, ledger: Ledger, rng: Rng, sample: number): Promise<number> {
  const before = ledger.violations.length;
  const live = ledger.livePods();
  const state = cluster.emulator.admin.state();
  for (const v of cluster.emulator.admin.checkInvariants()) ledger.violate(`emulator: ${v}`);
  for (const v of ownershipViolations(state.enis, live, instanceMap(cluster), ledger.casualties))
    ledger.violate(v);
  const seen = await Promise.all(
    live.map(async (p) => ({ pod: p.name, ip: p.ip, addrs: await podAddrs(p.netns) })),
  );
  for (const v of namespaceViolations(seen)) ledger.violate(v);

  // Connectivity sample: pod -> pod across nodes (and subnets), excused pods left out.
  const healthy = live.filter((p) => !ledger.casualties.has(p.name));
  for (let i = 0; i < sample && healthy.length > 1; i++) {
    const a = pick(rng, healthy);
    const others = healthy.filter((p) => p.node !== a.node);
    const b =
      others.length > 0
        ? pick(rng, others)
        : pick(
            rng,
            healthy.filter((p) => p !== a),
          );
    if (!(await reaches(a, b.ip)))
      ledger.violate(`pod ${a.name} (${a.node}, ${a.ip}) cannot reach pod ${b.name} (${b.node}, ${b.ip})`);
  }
  return ledger.violations.length - before;
}
