// What the Kubernetes parts (k8s-node.ts) read from the rest of ipamd: the
// NodeIPAM status, the addresses held with their pods, the DEL path, and the
// signal that more pods are on their way. Built by the daemon once the
// datastore, the pool loop and the API exist.
import type { InstanceIdentity } from "../../cloud/imds/types.ts";
import type { InstanceLimits } from "../../cloud/limits/types.ts";
import type { Settings } from "../config/settings.ts";
import { type Datastore, keyString } from "../datastore/datastore.ts";
import type { Assignment } from "../datastore/types.ts";
import { maxPodAddresses, type PoolState } from "../executor/input.ts";
import type { PoolLoop } from "../executor/pool-loop.ts";
import { RECOVERED_NETWORK } from "../recovery/host-scan.ts";
import type { KubeNode, KubeSources } from "./k8s-node.ts";
import { type AllocationError, exhaustion, statusInput, subnetUsage } from "./k8s-status.ts";
import type { SubnetFreeCache } from "./subnet-free.ts";

export interface KubeSourceDeps {
  settings: Settings;
  identity: InstanceIdentity;
  limits: InstanceLimits;
  /** The EKS max-pods value for this instance (kubelet's --max-pods). */
  maxPods: number;
  ds: Datastore;
  pool: PoolLoop;
  state: PoolState;
  kube: KubeNode;
  subnetFree: SubnetFreeCache;
  lastAllocationError: () => AllocationError | undefined;
  ready: () => boolean;
  /** The CNI DEL path for one assignment (keyed lock, unplumb, release into cooldown, persist). */
  releaseAsDel: (a: Assignment) => Promise<void>;
  now: () => number;
}

export function kubeSources(d: KubeSourceDeps): KubeSources {
  const { settings: s, ds, pool, state, kube, now } = d;
  let lastScheduled = 0;
  return {
    status: () => {
      const nowMs = now();
      const counts = ds.counts(nowMs);
      const enis = ds.enis().map((e) => {
        const held = ds.ipsOf(e.id);
        return { subnetId: e.subnetId, addresses: held.ips.length + 16 * held.prefixes.length };
      });
      const lastAllocationError = d.lastAllocationError();
      return statusInput({
        instanceType: d.identity.instanceType,
        counts,
        maxEnis: Math.min(d.limits.maxEnis, s.maxEni ?? Number.POSITIVE_INFINITY),
        maxAddresses: maxPodAddresses(state),
        // The effective mode: prefix delegation falls back on instances without it (planner/effective.ts).
        prefixDelegation: state.settings.prefixDelegation,
        maxPods: d.maxPods,
        subnets: subnetUsage(enis, state.subnet.id, (id) => d.subnetFree.get(id)),
        exhausted: exhaustion({
          available: counts.available,
          shortfall: pool.shortfallNow(nowMs),
          lastAllocationError,
          lastCleanRoundMs: pool.lastSuccessMs,
        }),
        lastAllocationError,
        ready: d.ready(),
      });
    },
    held: () =>
      ds
        .assignments()
        // Placeholders recovered from host routes have no pod name: never the reconciler's.
        .filter((a) => a.key.network !== RECOVERED_NETWORK && a.pod.name !== "")
        .map((a) => ({
          namespace: a.pod.namespace,
          name: a.pod.name,
          containerId: keyString(a.key),
          assignedAtMs: a.assignedAtMs,
          ip: a.ip,
        })),
    // Exactly what a CNI DEL does.
    release: async (h) => {
      const a = ds.assignments().find((x) => keyString(x.key) === h.containerId);
      if (a === undefined) return; // a DEL came meanwhile
      await d.releaseAsDel(a);
    },
    podsChanged: () => {
      if (!s.growForScheduledPods) return;
      // Pod status updates are frequent; plan only when more pods are on their way.
      const n = kube.scheduledWithoutAddress();
      if (n > lastScheduled) pool.scheduledChanged();
      lastScheduled = n;
    },
  };
}
