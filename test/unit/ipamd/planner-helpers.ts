// Builders for planner tests: ENIs with addresses in given states, inputs for
// an instance type, and a tiny "EC2" that applies PlanActions to the ENI list.

import { INSTANCE_TYPES } from "../../../cloud/limits/instance-types.ts";
import type { InstanceLimits } from "../../../cloud/limits/types.ts";
import type { PlanAction, PlannerEni, PlannerInput, PoolSettings } from "../../../ipamd/planner/types.ts";

export const NOW = 1_000_000_000;
export const SUBNET = "subnet-node";

export function limitsOf(type: string): InstanceLimits {
  const t = INSTANCE_TYPES[type];
  if (!t) throw new Error(`unknown instance type ${type}`);
  return {
    instanceType: t.instanceType,
    maxEnis: t.networkCards.find((c) => c.index === t.defaultNetworkCardIndex)?.maxEnis ?? t.maxEnis,
    ipv4PerEni: t.ipv4PerEni,
    prefixDelegation: t.hypervisor === "nitro",
    hypervisor: t.hypervisor,
    bareMetal: t.bareMetal,
  };
}

/** The create-eni action the planner emits in SUBNET with sg-1. */
export const create = (deviceIndex: number, ipCount: number, prefixCount = 0): PlanAction => ({
  kind: "create-eni",
  subnetId: SUBNET,
  securityGroupIds: ["sg-1"],
  deviceIndex,
  ipCount,
  prefixCount,
});

export function settings(over: Partial<PoolSettings> = {}): PoolSettings {
  return {
    warmEniTarget: 1,
    warmIpTarget: undefined,
    minimumIpTarget: undefined,
    prefixDelegation: false,
    warmPrefixTarget: 0,
    maxEni: undefined,
    minEniAgeMs: 60_000,
    scaleDownIntervalMs: 30_000,
    subnetBackoffMs: 60_000,
    ...over,
  };
}

export interface EniSpec {
  assigned?: number;
  cooldown?: number;
  free?: number;
  /** [assigned, cooldown] per /28 */
  prefixes?: [number, number][];
  subnetId?: string;
  attachedAtMs?: number;
}

/** ENI at device `dev`; its IPs are 10.0.<dev>.<n>, assigned first, then cooling, then free. */
export function eni(dev: number, spec: EniSpec = {}): PlannerEni {
  const ips: PlannerEni["ips"] = [];
  let n = 10;
  const push = (count: number, state: "assigned" | "cooldown" | "free") => {
    for (let i = 0; i < count; i++) ips.push({ ip: `10.0.${dev}.${n++}`, state });
  };
  push(spec.assigned ?? 0, "assigned");
  push(spec.cooldown ?? 0, "cooldown");
  push(spec.free ?? 0, "free");
  return {
    id: `eni-${dev}`,
    deviceIndex: dev,
    primary: dev === 0,
    subnetId: spec.subnetId ?? SUBNET,
    attachedAtMs: spec.attachedAtMs ?? 0,
    ips,
    prefixes: (spec.prefixes ?? []).map(([assigned, cooldown], i) => ({
      prefix: `10.${100 + dev}.${i}.0/28`,
      assigned,
      cooldown,
    })),
  };
}

export function input(
  type: string,
  s: PoolSettings,
  enis: PlannerEni[],
  over: Partial<PlannerInput> = {},
): PlannerInput {
  return {
    nowMs: NOW,
    settings: s,
    limits: limitsOf(type),
    enis,
    subnet: { id: SUBNET, securityGroupIds: ["sg-1"] },
    pendingDemand: 0,
    lastScaleDownMs: 0,
    ...over,
  };
}

let serial = 0;
/** Applies actions as EC2 would (new addresses are free). Returns a new ENI list. */
export function apply(enis: PlannerEni[], actions: PlanAction[], nowMs = NOW): PlannerEni[] {
  const out = enis.map((e) => ({ ...e, ips: [...e.ips], prefixes: [...e.prefixes] }));
  const find = (id: string) => {
    const e = out.find((x) => x.id === id);
    if (!e) throw new Error(`no ENI ${id}`);
    return e;
  };
  const newIp = () => ({ ip: `10.9.${(serial >> 8) & 255}.${serial++ & 255}`, state: "free" as const });
  const newPrefix = () => ({ prefix: `10.8.${serial++ & 255}.0/28`, assigned: 0, cooldown: 0 });
  for (const a of actions) {
    if (a.kind === "assign-ips") for (let i = 0; i < a.count; i++) find(a.eniId).ips.push(newIp());
    else if (a.kind === "assign-prefixes")
      for (let i = 0; i < a.count; i++) find(a.eniId).prefixes.push(newPrefix());
    else if (a.kind === "create-eni") {
      out.push({
        id: `eni-new-${serial++}`,
        deviceIndex: a.deviceIndex,
        primary: false,
        subnetId: a.subnetId,
        attachedAtMs: nowMs,
        ips: Array.from({ length: a.ipCount }, newIp),
        prefixes: Array.from({ length: a.prefixCount }, newPrefix),
      });
    } else if (a.kind === "release-ips") {
      const e = find(a.eniId);
      e.ips = e.ips.filter((x) => !a.ips.includes(x.ip));
    } else if (a.kind === "release-prefixes") {
      const e = find(a.eniId);
      e.prefixes = e.prefixes.filter((x) => !a.prefixes.includes(x.prefix));
    } else if (a.kind === "delete-eni") {
      out.splice(out.indexOf(find(a.eniId)), 1);
    }
  }
  return out;
}
