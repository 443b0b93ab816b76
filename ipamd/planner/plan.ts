// The pool planner: plan(PlannerInput) -> PlanResult. Pure: no I/O, no clock.
//
// Grow when the targets (./pool.ts) are short; otherwise maybe shrink by ONE
// action, never both in one plan. Growth batches: one assign call per existing
// ENI (lowest device index first), then new ENIs that carry their addresses in
// the create call. In WARM_ENI_TARGET mode ENIs are filled whole (as the AWS
// VPC CNI does); in the other modes exactly the deficit is asked for.
//
// Limits never exceeded: min(instance ENIs, MAX_ENI) ENIs, the reserved
// device indexes (ENIs ipamd does not manage) included, ipv4PerEni - 1 slots
// per ENI (a /28 takes one), and the subnet's known free addresses.
//
// Max pods (input.maxPods): growth stops once the pool holds that many pod
// addresses (AWS: TotalIPs >= maxPods, cooling addresses included), and one
// plan grows no further than reaching it: WARM_ENI_TARGET fills ENIs whole, so
// the last ENI may pass it, as AWS's does; prefixes come whole; with
// WARM_IP_TARGET / MINIMUM_IP_TARGET exactly up to it. Nothing is released for
// the cap. Pods waiting beyond it (kubelet never runs more than max pods; they
// wait for cooling addresses) do not lift it.

import { describeShortfall } from "./explain.ts";
import {
  deficitAddresses,
  eniPool,
  maxEniBinds,
  maxEnis,
  minusPool,
  neededUnits,
  occupiedIndexes,
  type Pool,
  PREFIX_SIZE,
  podEnisOf,
  slotsPerEni,
  sumPools,
  targetMode,
  unitSize,
} from "./pool.ts";
import type { PlanAction, PlannerEni, PlannerInput, PlanResult, ShortfallCause } from "./types.ts";

export function plan(input: PlannerInput): PlanResult {
  const { settings } = input;
  const perEni = slotsPerEni(input);
  const podEnis = podEnisOf(input);
  const pool = sumPools(podEnis.map(eniPool));
  const pending = Math.max(0, input.pendingDemand);
  const units = capAtMaxPods(input, pool, neededUnits(settings, pool, pending, perEni));
  if (units > 0) return grow(input, podEnis, pool, units);
  // At max pods with targets unmet, shrink() finds nothing to free either.
  return { actions: shrink(input, podEnis, pool), deficit: 0 };
}

/** Pod addresses the pool may still gain before it holds max pods (Infinity without a cap). */
function roomBelowMaxPods(input: PlannerInput, pool: Pool): number {
  return input.maxPods === undefined ? Number.POSITIVE_INFINITY : input.maxPods - pool.held;
}

/**
 * The growth units the max-pods cap leaves: none at the cap, else no more
 * than reach it (in WARM_ENI_TARGET mode units are addresses, and grow()
 * fills ENIs whole, so the ENI that reaches the cap is still filled whole).
 */
function capAtMaxPods(input: PlannerInput, pool: Pool, units: number): number {
  const room = roomBelowMaxPods(input, pool);
  if (units === 0 || room === Number.POSITIVE_INFINITY) return units;
  if (room <= 0) return 0;
  return Math.min(units, Math.ceil(room / unitSize(input.settings)));
}

function usedSlots(e: PlannerEni): number {
  return e.ips.length + e.prefixes.length;
}

function grow(input: PlannerInput, podEnis: PlannerEni[], pool: Pool, units: number): PlanResult {
  const { settings, subnet, nowMs } = input;
  const perEni = slotsPerEni(input);
  const unit = unitSize(settings);
  const fillWhole = targetMode(settings) === "eni";
  const backoff = subnet.exhaustedUntilMs !== undefined && subnet.exhaustedUntilMs > nowMs;
  // Subnet budget in addresses; only known for the subnet new ENIs go to.
  let budget = subnet.availableIpAddressCount ?? Number.POSITIVE_INFINITY;
  let left = units;
  let blockedBySubnet = false;
  const actions: PlanAction[] = [];
  const addKind = settings.prefixDelegation ? "assign-prefixes" : "assign-ips";

  // Units that fit in `want` given the subnet rules for an ENI in `subnetId`;
  // `extra` addresses are the new ENI's own primary IP.
  const afford = (subnetId: string, want: number, extra: number): number => {
    if (subnetId !== subnet.id) return want;
    if (backoff) {
      blockedBySubnet = true;
      return 0;
    }
    const n = Math.max(0, Math.min(want, Math.floor((budget - extra) / unit)));
    if (n < want) blockedBySubnet = true;
    if (n > 0) budget -= n * unit + extra;
    return n;
  };

  for (const e of podEnis) {
    if (left <= 0) break;
    const freeSlots = Math.max(0, perEni - usedSlots(e));
    if (freeSlots === 0) continue;
    const n = afford(e.subnetId, fillWhole ? freeSlots : Math.min(left, freeSlots), 0);
    if (n === 0) continue;
    actions.push({ kind: addKind, eniId: e.id, count: n });
    left -= n;
  }

  const eniCap = maxEnis(input);
  const usedIndexes = occupiedIndexes(input);
  const attached = usedIndexes.size;
  let eniCount = attached;
  let nextIndex = 1;
  while (left > 0 && eniCount < eniCap && perEni > 0) {
    const n = afford(subnet.id, fillWhole ? perEni : Math.min(left, perEni), 1);
    if (n === 0) break;
    while (usedIndexes.has(nextIndex)) nextIndex++;
    usedIndexes.add(nextIndex);
    actions.push({
      kind: "create-eni",
      subnetId: subnet.id,
      securityGroupIds: [...subnet.securityGroupIds],
      deviceIndex: nextIndex,
      ipCount: settings.prefixDelegation ? 0 : n,
      prefixCount: settings.prefixDelegation ? n : 0,
    });
    eniCount++;
    left -= n;
  }

  const deficit = Math.min(
    deficitAddresses(settings, pool, Math.max(0, input.pendingDemand), perEni),
    roomBelowMaxPods(input, pool),
  );
  if (left <= 0) return { actions, deficit };

  // Which limit bit? If the node could not hold the units even with an
  // unlimited subnet, the ENI/slot limit is the cause the user must act on.
  const capacity =
    podEnis.reduce((s, e) => s + Math.max(0, perEni - usedSlots(e)), 0) +
    Math.max(0, eniCap - attached) * perEni;
  let cause: ShortfallCause;
  if (capacity < units || !blockedBySubnet) cause = maxEniBinds(input) ? "max-eni" : "instance-limit";
  else cause = backoff ? "subnet-backoff" : "subnet-full";
  const missing = left * unit;
  return {
    actions,
    deficit,
    shortfall: { cause, missing, message: describeShortfall(input, pool, cause, missing) },
  };
}

function shrink(input: PlannerInput, podEnis: PlannerEni[], pool: Pool): PlanAction[] {
  const { settings, nowMs } = input;
  if (input.lastScaleDownMs > 0 && nowMs - input.lastScaleDownMs < settings.scaleDownIntervalMs) return [];
  const perEni = slotsPerEni(input);
  const pending = Math.max(0, input.pendingDemand);
  const stillMet = (p: Pool) => neededUnits(settings, p, pending, perEni) === 0;

  // 1. A whole idle ENI, newest first (highest device index).
  const idle = podEnis
    .filter((e) => !e.primary && nowMs - e.attachedAtMs >= settings.minEniAgeMs)
    .map((e) => ({ e, p: eniPool(e) }))
    .filter(({ p }) => p.assigned + p.cooldown === 0)
    .sort((a, b) => b.e.deviceIndex - a.e.deviceIndex);
  for (const { e, p } of idle) {
    if (stillMet(minusPool(pool, p))) return [{ kind: "delete-eni", eniId: e.id }];
  }

  // 2. Release addresses from the least busy ENI (so it can drain), newest on ties.
  const mode = targetMode(settings);
  if (mode === "eni") return []; // WARM_ENI_TARGET keeps ENIs whole, as AWS does
  const byIdleness = podEnis
    .map((e) => ({ e, p: eniPool(e) }))
    .sort(
      (a, b) =>
        a.p.assigned + a.p.cooldown - (b.p.assigned + b.p.cooldown) || b.e.deviceIndex - a.e.deviceIndex,
    );
  for (const { e } of byIdleness) {
    if (settings.prefixDelegation) {
      const out: string[] = [];
      let p = pool;
      const candidates = e.prefixes.filter((x) => x.assigned + x.cooldown === 0).reverse();
      for (const x of candidates) {
        const next = minusPool(p, {
          held: PREFIX_SIZE,
          assigned: 0,
          cooldown: 0,
          free: PREFIX_SIZE,
          wholeFreePrefixes: 1,
        });
        if (!stillMet(next)) break;
        out.push(x.prefix);
        p = next;
      }
      if (out.length > 0) return [{ kind: "release-prefixes", eniId: e.id, prefixes: out }];
    } else {
      const out: string[] = [];
      let p = pool;
      const candidates = e.ips.filter((x) => x.state === "free").reverse();
      for (const x of candidates) {
        const next = minusPool(p, { held: 1, assigned: 0, cooldown: 0, free: 1, wholeFreePrefixes: 0 });
        if (!stillMet(next)) break;
        out.push(x.ip);
        p = next;
      }
      if (out.length > 0) return [{ kind: "release-ips", eniId: e.id, ips: out }];
    }
  }
  return [];
}

export { poolConfigProblem } from "./check.ts";
export { type EffectiveSettings, effectivePoolSettings } from "./effective.ts";
export { describeShortfall, exhaustionReason } from "./explain.ts";
export { maxEnis, PREFIX_SIZE, slotsPerEni } from "./pool.ts";
