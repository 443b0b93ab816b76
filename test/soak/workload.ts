// The pod churn: `concurrency` workers, each doing one ADD or DEL at a time on
// a random node, keeping each node near `podsPerNode` live pods; casualties of
// faults are deleted first. A barrier lets the checker stop the world: new
// operations wait, in-flight ones finish.
import type { Cluster, ClusterNode } from "../harness/index.ts";
import { pick, type Rng } from "../support/rng.ts";
import type { Ledger } from "./ledger.ts";
import type { PodRuntime } from "./pods.ts";

export interface Workload {
  /** Resolves when `operations` operations have completed. */
  done: Promise<void>;
  started(): number;
  /** Stop new operations and wait for in-flight ones (bounded); returns a resume function. */
  pause(timeoutMs: number): Promise<() => void>;
  /** Nodes the workload may use (a terminated node is removed). */
  nodes: Set<string>;
  /** Failed-ADD cleanups still retrying DEL. */
  cleanups: Promise<void>[];
}

export function startWorkload(o: {
  cluster: Cluster;
  pods: PodRuntime;
  ledger: Ledger;
  rng: Rng;
  operations: number;
  concurrency: number;
  podsPerNode: number;
  nodes: string[];
  /** DEL retry budget per pod (ipamd may be down for a while). */
  delBudgetMs: number;
}): Workload {
  const { cluster, pods, ledger, rng } = o;
  const nodes = new Set(o.nodes);
  let startedOps = 0;
  let inFlight = 0;
  let gate: Promise<void> | undefined;
  let idle: (() => void) | undefined;
  const cleanups: Promise<void>[] = [];
  const busy = new Set<number>(); // pods being deleted

  async function one(n: ClusterNode): Promise<void> {
    const mine = ledger.livePods(n.name).filter((p) => !busy.has(p.id));
    const casualty = mine.find((p) => ledger.casualties.has(p.name));
    const wantAdd = casualty === undefined && rng() < 1 - mine.length / (2 * o.podsPerNode);
    if (wantAdd) {
      const r = await pods.add(n, performance.now() + o.delBudgetMs);
      if (r.ok) {
        ledger.counts.adds++;
        ledger.addLive(r.pod);
      } else {
        ledger.addFailed(r.code, r.msg);
        cleanups.push(
          r.cleanup.catch((e: unknown) => ledger.violate(`cleanup after failed ADD: ${String(e)}`)),
        );
      }
      return;
    }
    const victim = casualty ?? (mine.length > 0 ? pick(rng, mine) : undefined);
    if (victim === undefined) return;
    busy.add(victim.id);
    try {
      const { attempts } = await pods.del(n, victim, performance.now() + o.delBudgetMs);
      ledger.counts.dels++;
      ledger.counts.delRetries += attempts - 1;
      ledger.live.delete(victim.id);
    } catch (e) {
      ledger.violate(`DEL of ${victim.name} never succeeded: ${String(e)}`);
      ledger.live.delete(victim.id);
    } finally {
      busy.delete(victim.id);
    }
  }

  async function worker(): Promise<void> {
    while (startedOps < o.operations) {
      while (gate) await gate;
      if (startedOps >= o.operations) return;
      const names = [...nodes];
      if (names.length === 0) return;
      startedOps++;
      inFlight++;
      try {
        await one(cluster.node(pick(rng, names)));
      } catch (e) {
        ledger.violate(`workload error: ${String(e)}`);
      } finally {
        inFlight--;
        if (inFlight === 0) idle?.();
      }
    }
  }

  const done = Promise.all(Array.from({ length: o.concurrency }, worker)).then(() => undefined);
  return {
    done,
    nodes,
    cleanups,
    started: () => startedOps,
    async pause(timeoutMs) {
      let open!: () => void;
      gate = new Promise<void>((r) => {
        open = r;
      });
      if (inFlight > 0) {
        const drained = new Promise<void>((r) => {
          idle = r;
        });
        const t = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
        await Promise.race([drained, t]);
        idle = undefined;
        if (inFlight > 0)
          ledger.violate(`barrier: ${inFlight} operations still running after ${timeoutMs} ms`);
      }
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}
