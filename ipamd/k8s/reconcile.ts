// Pure decision: which held pod addresses to release because their pod is
// gone (a CNI DEL that never arrived: kubelet crash, node reboot, a runtime
// bug). Releasing an address a live pod still uses would hand it to a second
// pod, so the rules lean hard towards keeping:
//   - nothing is released before the pod informer has synced once;
//   - an address whose pod (namespace/name) exists is never released
//     (pods are matched by name: the API does not expose sandbox ids);
//   - a missing pod's address is released only after it has been seen missing
//     for graceMs AND was assigned at least graceMs ago (an ADD can come
//     before the watch event announcing its pod).

import { podKey } from "./pod-watcher.ts";

export const DEFAULT_RELEASE_GRACE_MS = 60_000;

export interface HeldAssignment {
  namespace: string;
  name: string;
  containerId: string;
  assignedAtMs: number;
  ip?: string;
}

export interface ReconcileInput {
  nowMs: number;
  synced: boolean;
  graceMs: number;
  held: readonly HeldAssignment[];
  /** "namespace/name" of the pods on this node. */
  live: ReadonlySet<string>;
  /** containerId -> when it was first seen without its pod (from the previous result). */
  missingSince: ReadonlyMap<string, number>;
}

export interface ReconcileResult {
  release: HeldAssignment[];
  /** Carry into the next call. */
  missingSince: Map<string, number>;
}

export function reconcile(input: ReconcileInput): ReconcileResult {
  if (!input.synced) return { release: [], missingSince: new Map(input.missingSince) };
  const missingSince = new Map<string, number>();
  const release: HeldAssignment[] = [];
  for (const a of input.held) {
    if (input.live.has(podKey(a.namespace, a.name))) continue;
    const since = input.missingSince.get(a.containerId) ?? input.nowMs;
    missingSince.set(a.containerId, since);
    if (input.nowMs - since >= input.graceMs && input.nowMs - a.assignedAtMs >= input.graceMs)
      release.push(a);
  }
  return { release, missingSince };
}
