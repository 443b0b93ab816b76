// Pure: what the daemon tells Kubernetes about this node's addresses. Turns
// the datastore counts, the instance limits and the pool loop's shortfall /
// last EC2 failure into the NodeIPAM status input and the IPAMExhausted
// condition. Table-tested in test/unit/daemon/k8s-status.test.ts.

import type { PoolCounts } from "../datastore/types.ts";
import type { ExhaustionState } from "../k8s/node-condition.ts";
import type { ExhaustionCause, NodeIpamStatusInput } from "../k8s/nodeipam-types.ts";
import type { Shortfall, ShortfallCause } from "../planner/types.ts";

/** The planner's words for "cannot grow" in the CRD's words. */
export function causeOfShortfall(c: ShortfallCause): ExhaustionCause {
  switch (c) {
    case "instance-limit":
    case "max-eni":
      return "InstanceLimit";
    case "subnet-full":
    case "subnet-backoff":
      return "SubnetFull";
  }
}

/** An EC2 error kind (cloud/ec2/types.ts) as an exhaustion cause; undefined = not about capacity. */
export function causeOfEc2ErrorKind(kind: string): ExhaustionCause | undefined {
  if (kind === "limit") return "InstanceLimit";
  if (kind === "subnet-full") return "SubnetFull";
  if (kind === "throttled") return "Throttled";
  return undefined;
}

export interface AllocationError {
  cause: ExhaustionCause;
  message: string;
  atMs: number;
}

export interface ExhaustionInput {
  /** Free now (cooldown excluded): an ADD right now gets one of these. */
  available: number;
  shortfall: Shortfall | undefined;
  lastAllocationError: AllocationError | undefined;
  /** When the pool loop last finished a round without a failed action. */
  lastCleanRoundMs: number;
}

/**
 * Exhausted = no free address AND the pool cannot get more: the planner (or
 * EC2) says the instance or subnet is at its limit, or EC2 throttled us since
 * the last clean round. No free address while the pool is still growing is
 * not exhaustion (the next round fixes it).
 */
export function exhaustion(i: ExhaustionInput): { cause: ExhaustionCause; message: string } | undefined {
  if (i.available > 0) return undefined;
  if (i.shortfall !== undefined)
    return { cause: causeOfShortfall(i.shortfall.cause), message: i.shortfall.message };
  const e = i.lastAllocationError;
  if (e !== undefined && e.cause === "Throttled" && e.atMs > i.lastCleanRoundMs)
    return { cause: "Throttled", message: e.message };
  return undefined;
}

export function conditionState(ex: { cause: ExhaustionCause; message: string } | undefined): ExhaustionState {
  return ex === undefined ? { exhausted: false } : { exhausted: true, cause: ex.cause, message: ex.message };
}

export interface EniAddresses {
  subnetId: string;
  /** Pod addresses the ENI holds (secondary IPs + 16 per prefix). */
  addresses: number;
}

/** Per subnet: the node's pod addresses there and EC2's free count (undefined = not known yet). */
export function subnetUsage(
  enis: readonly EniAddresses[],
  targetSubnetId: string,
  freeInSubnet: (id: string) => number | undefined,
): NodeIpamStatusInput["subnets"] {
  const held = new Map<string, number>([[targetSubnetId, 0]]);
  for (const e of enis) held.set(e.subnetId, (held.get(e.subnetId) ?? 0) + e.addresses);
  return [...held].map(([id, n]) => ({ id, nodeAddresses: n, freeInSubnet: freeInSubnet(id) }));
}

export interface StatusSources {
  instanceType: string;
  counts: PoolCounts;
  maxEnis: number;
  /** Most pod addresses the node can hold (ipamd/executor/input.ts maxPodAddresses). */
  maxAddresses: number;
  prefixDelegation: boolean;
  maxPods: number;
  subnets: NodeIpamStatusInput["subnets"];
  exhausted: { cause: ExhaustionCause; message: string } | undefined;
  lastAllocationError: AllocationError | undefined;
  ready: boolean;
}

export function statusInput(s: StatusSources): NodeIpamStatusInput {
  const c = s.counts;
  return {
    instanceType: s.instanceType,
    enis: { attached: c.enis, max: s.maxEnis },
    addresses: {
      total: c.total,
      assigned: c.assigned,
      available: c.available,
      cooldown: c.cooldown,
      max: s.maxAddresses,
    },
    prefixes: { attached: c.prefixes, delegation: s.prefixDelegation },
    maxPods: s.maxPods,
    subnets: s.subnets,
    ...(s.lastAllocationError === undefined ? {} : { lastAllocationError: s.lastAllocationError }),
    ...(s.exhausted === undefined ? {} : { exhausted: s.exhausted }),
    ready: s.ready,
  };
}
