// The IPAMExhausted condition on this node's Node object, so `kubectl
// describe node` says why pods there stay ContainerCreating. Patched only
// when (status, reason, message) changes. A *strategic* merge patch on
// nodes/status: conditions merge by "type", so kubelet's own conditions
// (Ready, MemoryPressure, ...) are left alone; a plain merge patch would
// replace the whole list.

import type { CoreApi } from "./client.ts";
import { K8sApiError } from "./errors.ts";
import type { ExhaustionCause } from "./nodeipam-types.ts";
import { iso } from "./status-render.ts";

export const IPAM_EXHAUSTED = "IPAMExhausted";

export interface ExhaustionState {
  exhausted: boolean;
  /** Required when exhausted. */
  cause?: ExhaustionCause;
  /** With numbers, e.g. "node holds 27 of its 27 pod addresses (3 ENIs x 9)". */
  message?: string;
}

export interface NodeConditionBody {
  type: typeof IPAM_EXHAUSTED;
  status: "True" | "False";
  reason: string;
  message: string;
}

/** Pure: the condition for a state. The False message has no numbers, so it never churns. */
export function conditionFor(s: ExhaustionState): NodeConditionBody {
  if (!s.exhausted) {
    return {
      type: IPAM_EXHAUSTED,
      status: "False",
      reason: "AddressesAvailable",
      message: "ipamd can assign pod addresses",
    };
  }
  return {
    type: IPAM_EXHAUSTED,
    status: "True",
    reason: s.cause ?? "InstanceLimit",
    message: s.message ?? "no pod addresses available",
  };
}

/** Pure: whether the new condition must be written. */
export function conditionChanged(prev: NodeConditionBody | undefined, next: NodeConditionBody): boolean {
  return (
    prev === undefined ||
    prev.status !== next.status ||
    prev.reason !== next.reason ||
    prev.message !== next.message
  );
}

export class NodeConditionPatcher {
  readonly stats = { patches: 0 };
  private readonly core: CoreApi;
  private readonly nodeName: string;
  private readonly now: () => number;
  private last: NodeConditionBody | undefined;
  private lastTransitionMs = 0;

  constructor(core: CoreApi, nodeName: string, now: () => number = Date.now) {
    this.core = core;
    this.nodeName = nodeName;
    this.now = now;
  }

  /** Patches the Node when the condition changed; returns whether it wrote. */
  async set(state: ExhaustionState): Promise<boolean> {
    const next = conditionFor(state);
    if (!conditionChanged(this.last, next)) return false;
    const nowMs = this.now();
    if (this.last?.status !== next.status) this.lastTransitionMs = nowMs;
    const body = {
      status: {
        conditions: [
          { ...next, lastHeartbeatTime: iso(nowMs), lastTransitionTime: iso(this.lastTransitionMs) },
        ],
      },
    };
    try {
      // Strategic merge: conditions merge by type, so other writers' conditions stay.
      await this.core.patchNodeStatus({ name: this.nodeName, body, patch: "strategic" });
    } catch (err) {
      throw new K8sApiError(`patch node ${this.nodeName} condition ${IPAM_EXHAUSTED}`, err);
    }
    this.last = next;
    this.stats.patches++;
    return true;
  }
}
