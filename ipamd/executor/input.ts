// Pure helpers of the pool loop: what the planner sees, which observed ENIs
// are trusted, and the metrics snapshot. Table-tested in test/unit/daemon.
import type { InstanceLimits } from "../../cloud/limits/types.ts";
import type { ObservedEni, PoolCounts } from "../datastore/types.ts";
import type { PoolSnapshot } from "../metrics/metrics.ts";
import type {
  PlanAction,
  PlannerEni,
  PlannerInput,
  PlannerIp,
  PlannerPrefix,
  PlannerSubnet,
  PlanResult,
  PoolSettings,
} from "../planner/types.ts";

export interface PoolState {
  settings: PoolSettings;
  limits: InstanceLimits;
  subnet: PlannerSubnet;
  podsOnPrimaryEni: boolean;
  pendingDemand: number;
  lastScaleDownMs: number;
  /**
   * The node's max pods (Kubernetes: Node status.capacity.pods): growth stops
   * once the pool holds this many addresses (see PlannerInput.maxPods).
   * Undefined = no cap. May be updated at any time; each plan reads it.
   */
  maxPods?: number;
  /**
   * Card-0 device indexes of attached ENIs ipamd does not use (see
   * PlannerInput.reservedDeviceIndexes). The pool loop refreshes it at every
   * resync; seed it at start (recovery/observe.ts reservedDeviceIndexes) so
   * the first round knows them too. Undefined = none known.
   */
  reservedDeviceIndexes?: readonly number[];
}

/** How long a refused ADD counts as a pod waiting (kubelet retries well within this). */
export const WAITING_POD_TTL_MS = 60_000;

/**
 * The pods waiting for an address, for the planner's pendingDemand: every
 * ADD refused for lack of an address, by attachment key, until that key gets
 * an address or has not retried for `ttlMs` (its pod was deleted, or went
 * elsewhere). A set, not a counter: a pod retrying five times is one pod, and
 * pods refused while a round ran are still waiting when the next one plans.
 * Pure: returns the keys still waiting.
 */
export function stillWaiting(
  refusedAtMs: ReadonlyMap<string, number>,
  isAssigned: (key: string) => boolean,
  nowMs: number,
  ttlMs: number = WAITING_POD_TTL_MS,
): string[] {
  const out: string[] = [];
  for (const [key, at] of refusedAtMs) if (nowMs - at < ttlMs && !isAssigned(key)) out.push(key);
  return out;
}

export function plannerInput(s: PoolState, enis: PlannerEni[], nowMs: number): PlannerInput {
  return {
    nowMs,
    settings: s.settings,
    limits: s.limits,
    enis,
    subnet: { ...s.subnet },
    pendingDemand: Math.max(0, s.pendingDemand),
    lastScaleDownMs: s.lastScaleDownMs,
    podsOnPrimaryEni: s.podsOnPrimaryEni,
    ...(s.maxPods === undefined ? {} : { maxPods: s.maxPods }),
    ...(s.reservedDeviceIndexes === undefined ? {} : { reservedDeviceIndexes: [...s.reservedDeviceIndexes] }),
  };
}

/** When the executor last changed what (ms): ENIs created or deleted, addresses added or removed. */
export interface RecentChanges {
  enis: ReadonlyMap<string, number>;
  addresses: ReadonlyMap<string, number>;
}

/**
 * IMDS and EC2 lag ipamd's own changes by seconds. For what the executor
 * changed within the window, the datastore's view stands: an address just
 * assigned is not dropped because IMDS does not list it yet, nor one just
 * released re-added; an ENI just created is kept before IMDS lists it, one
 * just deleted is not re-adopted from a lagging view. Everything else follows
 * the observation AT ONCE, address by address, so a change ipamd did not make
 * (an assign that landed after ipamd died mid-call, an address or ENI taken
 * away through EC2) is seen at the next resync even on an ENI the pool keeps
 * changing. (Trusting whole ENIs instead hid such addresses for as long as the
 * node stayed busy.)
 */
export function trustObservation(
  observed: readonly ObservedEni[],
  current: readonly ObservedEni[],
  changed: RecentChanges,
  nowMs: number,
  windowMs: number,
): ObservedEni[] {
  const recent = (m: ReadonlyMap<string, number>, key: string) => {
    const t = m.get(key);
    return t !== undefined && nowMs - t < windowMs;
  };
  const recentAddress = (a: string) => recent(changed.addresses, a);
  const notRecent = (a: string) => !recentAddress(a);
  const cur = new Map(current.map((e) => [e.id, e]));
  const out: ObservedEni[] = [];
  const seen = new Set<string>();
  for (const o of observed) {
    seen.add(o.id);
    const c = cur.get(o.id);
    if (c === undefined) {
      if (!recent(changed.enis, o.id)) out.push(o);
      continue;
    }
    out.push({
      ...o,
      ips: [...o.ips.filter(notRecent), ...c.ips.filter(recentAddress)],
      prefixes: [...o.prefixes.filter(notRecent), ...c.prefixes.filter(recentAddress)],
    });
  }
  for (const c of current) if (!seen.has(c.id) && recent(changed.enis, c.id)) out.push(c);
  return out.sort((a, b) => a.deviceIndex - b.deviceIndex);
}

/** Id prefix of the ENIs withInFlight() makes up for creates still running. */
export const IN_FLIGHT_ENI_PREFIX = "in-flight-eni-";

/**
 * The pool as it will be once the growth actions in flight land: a new ENI as
 * an ENI at its device index holding its free addresses, an assign as free
 * addresses (or prefixes) on its ENI. Planning on this view asks only for
 * what those actions do not cover. Pure; made-up ids start with
 * IN_FLIGHT_ENI_PREFIX or "in-flight:" so no action can target them.
 */
export function withInFlight(
  enis: readonly PlannerEni[],
  inFlight: readonly PlanAction[],
  nowMs: number,
): PlannerEni[] {
  const free = (tag: string, n: number): PlannerIp[] =>
    Array.from({ length: n }, (_, i) => ({ ip: `in-flight:${tag}:${i}`, state: "free" as const }));
  const freePrefixes = (tag: string, n: number): PlannerPrefix[] =>
    Array.from({ length: n }, (_, i) => ({ prefix: `in-flight:${tag}:${i}`, assigned: 0, cooldown: 0 }));
  const out = enis.map((e) => ({ ...e, ips: [...e.ips], prefixes: [...e.prefixes] }));
  const byId = new Map(out.map((e) => [e.id, e]));
  inFlight.forEach((a, n) => {
    if (a.kind === "assign-ips") byId.get(a.eniId)?.ips.push(...free(`${a.eniId}:${n}`, a.count));
    else if (a.kind === "assign-prefixes")
      byId.get(a.eniId)?.prefixes.push(...freePrefixes(`${a.eniId}:${n}`, a.count));
    else if (a.kind === "create-eni") {
      const id = `${IN_FLIGHT_ENI_PREFIX}${a.deviceIndex}`;
      out.push({
        id,
        deviceIndex: a.deviceIndex,
        primary: false,
        subnetId: a.subnetId,
        attachedAtMs: nowMs,
        ips: free(id, a.ipCount),
        prefixes: freePrefixes(id, a.prefixCount),
      });
    }
  });
  return out.sort((a, b) => a.deviceIndex - b.deviceIndex);
}

/** Growth that withInFlight()'s made-up ENIs cannot receive (EC2 does not know them). */
export function targetsInFlightEni(a: PlanAction): boolean {
  return (
    (a.kind === "assign-ips" || a.kind === "assign-prefixes") && a.eniId.startsWith(IN_FLIGHT_ENI_PREFIX)
  );
}

type LimitView = Pick<PoolState, "limits" | "settings" | "podsOnPrimaryEni" | "reservedDeviceIndexes">;

/** ENIs ipamd may hold: the instance's (MAX_ENI applied) less those it does not manage. */
export function usableEnis(s: LimitView): number {
  const enis = Math.min(s.limits.maxEnis, s.settings.maxEni ?? Number.POSITIVE_INFINITY);
  return Math.max(0, enis - (s.reservedDeviceIndexes?.length ?? 0));
}

/** Pods the node can address at its limit: pod ENIs × slots × (16 with prefixes). */
export function maxPodAddresses(s: LimitView): number {
  const podEnis = Math.max(0, usableEnis(s) - (s.podsOnPrimaryEni ? 0 : 1));
  return podEnis * Math.max(0, s.limits.ipv4PerEni - 1) * (s.settings.prefixDelegation ? 16 : 1);
}

export function poolSnapshot(c: PoolCounts, s: LimitView, last: PlanResult | undefined): PoolSnapshot {
  return {
    total: c.total,
    assigned: c.assigned,
    available: c.available,
    cooldown: c.cooldown,
    enis: c.enis,
    maxEnis: usableEnis(s),
    prefixes: c.prefixes,
    deficit: last?.deficit ?? 0,
    maxAddresses: maxPodAddresses(s),
  };
}
