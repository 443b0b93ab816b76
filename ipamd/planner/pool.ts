// Pool arithmetic shared by the planner's grow and shrink halves: what the
// node holds, and how many more units (IPs, or /28 prefixes with prefix
// delegation) the warm targets ask for. Pure.
//
// Target semantics (AWS VPC CNI, docs/eni-and-ip-target.md, prefix-and-ip-target.md):
// - WARM_IP_TARGET / MINIMUM_IP_TARGET, if either is set (0 = unset):
//     free >= WARM_IP_TARGET  and  assigned + free >= MINIMUM_IP_TARGET;
//   with prefix delegation the address deficit is rounded up to whole /28s.
// - else with prefix delegation: WARM_PREFIX_TARGET whole free /28s (a prefix
//   with any address assigned or cooling is not free; AWS GetFreePrefixes).
// - else WARM_ENI_TARGET: free >= WARM_ENI_TARGET x (ipv4PerEni - 1).
// - WARM_ENI_TARGET=0 (or WARM_PREFIX_TARGET=0) still keeps the pool from
//   being empty: no free address at all is too low (AWS isDatastorePoolTooLow:
//   `warmTarget == 0 && available == 0`), i.e. one free address is kept (after
//   the waiting pods have theirs), which these modes add as a whole ENI's worth
//   (or one /28). Not with WARM_IP_TARGET / MINIMUM_IP_TARGET set: AWS then
//   looks at their shortfall alone (MINIMUM_IP_TARGET alone may leave 0 free).
// Deliberate difference from AWS (aws/amazon-vpc-cni-k8s#2896): "free" never
// includes addresses in cooldown, so cooling addresses make the pool GROW
// instead of blocking it. Pods waiting (pendingDemand) add to every target.

import type { PlannerEni, PlannerInput, PoolSettings } from "./types.ts";

/** Addresses in a delegated /28 (all usable by pods). */
export const PREFIX_SIZE = 16;

export interface Pool {
  /** Pod addresses held (ips + 16 per prefix). */
  held: number;
  assigned: number;
  cooldown: number;
  /** Free and not cooling. */
  free: number;
  /** Prefixes with nothing assigned or cooling. */
  wholeFreePrefixes: number;
}

export function eniPool(e: PlannerEni): Pool {
  const p: Pool = { held: 0, assigned: 0, cooldown: 0, free: 0, wholeFreePrefixes: 0 };
  for (const ip of e.ips) {
    p.held++;
    if (ip.state === "assigned") p.assigned++;
    else if (ip.state === "cooldown") p.cooldown++;
    else p.free++;
  }
  for (const pr of e.prefixes) {
    const assigned = Math.min(pr.assigned, PREFIX_SIZE);
    const cooldown = Math.min(pr.cooldown, PREFIX_SIZE - assigned);
    p.held += PREFIX_SIZE;
    p.assigned += assigned;
    p.cooldown += cooldown;
    p.free += PREFIX_SIZE - assigned - cooldown;
    if (assigned + cooldown === 0) p.wholeFreePrefixes++;
  }
  return p;
}

export function sumPools(pools: readonly Pool[]): Pool {
  const s: Pool = { held: 0, assigned: 0, cooldown: 0, free: 0, wholeFreePrefixes: 0 };
  for (const p of pools) {
    s.held += p.held;
    s.assigned += p.assigned;
    s.cooldown += p.cooldown;
    s.free += p.free;
    s.wholeFreePrefixes += p.wholeFreePrefixes;
  }
  return s;
}

export function minusPool(a: Pool, b: Pool): Pool {
  return {
    held: a.held - b.held,
    assigned: a.assigned - b.assigned,
    cooldown: a.cooldown - b.cooldown,
    free: a.free - b.free,
    wholeFreePrefixes: a.wholeFreePrefixes - b.wholeFreePrefixes,
  };
}

export type TargetMode = "ip" | "prefix" | "eni";

export function targetMode(s: PoolSettings): TargetMode {
  if (s.warmIpTarget !== undefined || s.minimumIpTarget !== undefined) return "ip";
  return s.prefixDelegation ? "prefix" : "eni";
}

/** Secondary-address slots per ENI (the primary address takes one). A /28 takes one slot too. */
export function slotsPerEni(input: Pick<PlannerInput, "limits">): number {
  return Math.max(0, input.limits.ipv4PerEni - 1);
}

/** The ENI limit ipamd plans with: the instance's, capped by MAX_ENI. */
export function maxEnis(input: Pick<PlannerInput, "limits" | "settings">): number {
  const cap = input.settings.maxEni;
  return cap === undefined ? input.limits.maxEnis : Math.min(cap, input.limits.maxEnis);
}

/** The instance type's own ENI limit (card 0), before MAX_ENI. */
export function instanceMaxEnis(input: Pick<PlannerInput, "limits">): number {
  return input.limits.instanceMaxEnis ?? input.limits.maxEnis;
}

/** Whether MAX_ENI, not the instance type, sets the ENI limit. */
export function maxEniBinds(input: Pick<PlannerInput, "limits" | "settings">): boolean {
  return maxEnis(input) < instanceMaxEnis(input);
}

/** Device indexes taken on card 0: the pool's ENIs and the reserved ones (each once). */
export function occupiedIndexes(input: Pick<PlannerInput, "enis" | "reservedDeviceIndexes">): Set<number> {
  return new Set([...input.enis.map((e) => e.deviceIndex), ...(input.reservedDeviceIndexes ?? [])]);
}

/** Reserved indexes that no pool ENI has: attached ENIs ipamd does not use. */
export function foreignEnis(input: Pick<PlannerInput, "enis" | "reservedDeviceIndexes">): number {
  return occupiedIndexes(input).size - new Set(input.enis.map((e) => e.deviceIndex)).size;
}

export function unitSize(s: PoolSettings): number {
  return s.prefixDelegation ? PREFIX_SIZE : 1;
}

/** Addresses the targets are short of (0 when satisfied), before rounding to units. */
export function deficitAddresses(s: PoolSettings, pool: Pool, pending: number, perEni: number): number {
  const mode = targetMode(s);
  if (mode === "ip") {
    const needFree = Math.max((s.warmIpTarget ?? 0) + pending, (s.minimumIpTarget ?? 0) - pool.assigned);
    return Math.max(0, needFree - pool.free);
  }
  if (mode === "eni") {
    const warm = s.warmEniTarget === 0 ? 1 : s.warmEniTarget * perEni;
    return Math.max(0, warm + pending - pool.free);
  }
  return neededUnits(s, pool, pending, perEni) * PREFIX_SIZE;
}

/** Units (IPs, or prefixes with prefix delegation) to add so the targets hold. */
export function neededUnits(s: PoolSettings, pool: Pool, pending: number, perEni: number): number {
  const mode = targetMode(s);
  if (mode === "prefix") {
    // Waiting pods first fill the free addresses of partly used prefixes; the
    // rest need whole prefixes, and WARM_PREFIX_TARGET whole ones stay free after.
    const partlyFree = pool.free - pool.wholeFreePrefixes * PREFIX_SIZE;
    const beyond = Math.max(0, pending - partlyFree);
    const short = Math.max(0, s.warmPrefixTarget + Math.ceil(beyond / PREFIX_SIZE) - pool.wholeFreePrefixes);
    if (s.warmPrefixTarget > 0) return short;
    // WARM_PREFIX_TARGET=0: one free address left once the waiting pods have theirs.
    return Math.max(short, Math.ceil(Math.max(0, pending + 1 - pool.free) / PREFIX_SIZE));
  }
  const addrs = deficitAddresses(s, pool, pending, perEni);
  return s.prefixDelegation ? Math.ceil(addrs / PREFIX_SIZE) : addrs;
}

/** ENIs whose addresses are for pods, by device index. */
export function podEnisOf(input: Pick<PlannerInput, "enis" | "podsOnPrimaryEni">): PlannerEni[] {
  const onPrimary = input.podsOnPrimaryEni ?? true;
  return input.enis.filter((e) => onPrimary || !e.primary).sort((a, b) => a.deviceIndex - b.deviceIndex);
}
