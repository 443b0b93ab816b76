// ipamd's in-memory address model: ENIs, their secondary IPs and /28 prefixes,
// and which pod holds which address. No I/O and no clock: callers pass nowMs.
//
// Invariants (checked by test/unit/ipamd/datastore-random.test.ts):
// - an address belongs to at most one ENI;
// - an address is held by at most one assignment, and an assignment's address
//   is never handed out again while the assignment lives, even when the
//   address vanished from the ENIs and comes back later;
// - a released address waits out the cooldown before reuse (the kernel and
//   other nodes' conntrack/ARP caches may still point at the old pod).
//
// Address choice: the ENI with the most addresses in use (assigned + cooling)
// first, lowest device index on ties; within it secondary IPs in numeric order,
// then the busiest prefix. Packing pods this way lets whole prefixes and ENIs
// drain, so scale-down can return them to the subnet.
//
// Removing addresses races with ADD: the executor must WITHDRAW addresses from
// here (withdrawIps/withdrawPrefixes/withdrawEni, which take only free ones)
// BEFORE calling EC2 to unassign them, and add them back if EC2 refuses.
// Otherwise an ADD could hand out an address EC2 is taking away.

import type { AttachmentKey } from "../api/protocol.ts";
import type { PlannerEni, PlannerIp } from "../planner/types.ts";
import { compareIps, PREFIX_SIZE, prefixAddresses } from "./addr.ts";
import type {
  Assignment,
  AssignRequest,
  AssignResult,
  DatastoreState,
  EniInfo,
  PoolCounts,
  ReleaseResult,
  RestoreReport,
} from "./types.ts";

export type DatastoreErrorKind = "unknown-eni" | "address-conflict";

/** Misuse by the caller (a bug or a stale view), never a pool condition. */
export class DatastoreError extends Error {
  readonly kind: DatastoreErrorKind;
  constructor(kind: DatastoreErrorKind, message: string) {
    super(message);
    this.name = "DatastoreError";
    this.kind = kind;
  }
}

interface EniEntry {
  info: EniInfo;
  ips: Set<string>;
  /** `ips` in numeric order, made on first need after they changed (every ADD picks from it). */
  sortedIps: string[] | undefined;
  /** prefix -> its 16 addresses */
  prefixes: Map<string, string[]>;
}

export interface DatastoreOptions {
  cooldownMs: number;
  /** false with custom networking: the primary ENI's addresses are not for pods. */
  podsOnPrimaryEni?: boolean;
}

export function keyString(k: AttachmentKey): string {
  return JSON.stringify([k.network, k.containerId, k.ifName]);
}

export class Datastore {
  readonly cooldownMs: number;
  readonly podsOnPrimaryEni: boolean;
  readonly #enis = new Map<string, EniEntry>();
  /** address -> owning ENI id (secondary IPs and prefix addresses) */
  readonly #owner = new Map<string, string>();
  readonly #assignments = new Map<string, Assignment>();
  /** address -> keyString of the assignment holding it */
  readonly #byIp = new Map<string, string>();
  /** address -> cooldown end (epoch ms) */
  readonly #cooldown = new Map<string, number>();

  constructor(opts: DatastoreOptions) {
    if (!Number.isFinite(opts.cooldownMs) || opts.cooldownMs < 0) {
      throw new RangeError(`cooldownMs must be >= 0, got ${opts.cooldownMs}`);
    }
    this.cooldownMs = opts.cooldownMs;
    this.podsOnPrimaryEni = opts.podsOnPrimaryEni ?? true;
  }

  // ---- ENIs and their addresses (from IMDS/EC2 or the executor) ----------

  /** Adds an ENI, or updates its description (addresses are kept). */
  upsertEni(info: EniInfo): void {
    const e = this.#enis.get(info.id);
    if (e) e.info = { ...info, attachedAtMs: e.info.attachedAtMs };
    else
      this.#enis.set(info.id, {
        info: { ...info },
        ips: new Set(),
        sortedIps: undefined,
        prefixes: new Map(),
      });
  }

  eni(id: string): EniInfo | undefined {
    const e = this.#enis.get(id);
    return e ? { ...e.info } : undefined;
  }

  enis(): EniInfo[] {
    return [...this.#enis.values()].map((e) => ({ ...e.info })).sort((a, b) => a.deviceIndex - b.deviceIndex);
  }

  /** Record secondary IPs EC2 assigned to an ENI. Idempotent. */
  addIps(eniId: string, ips: readonly string[]): void {
    const e = this.#entry(eniId);
    for (const ip of ips) this.#claim(ip, eniId);
    for (const ip of ips) e.ips.add(ip);
    e.sortedIps = undefined;
  }

  /** Record /28 prefixes EC2 delegated to an ENI. Idempotent. */
  addPrefixes(eniId: string, prefixes: readonly string[]): void {
    const e = this.#entry(eniId);
    const expanded = prefixes.map((p) => [p, prefixAddresses(p)] as const);
    for (const [, addrs] of expanded) for (const a of addrs) this.#claim(a, eniId);
    for (const [p, addrs] of expanded) e.prefixes.set(p, addrs);
  }

  /** Takes out of the pool those of `ips` that are free (not assigned, not cooling); returns them. */
  withdrawIps(eniId: string, ips: readonly string[], nowMs: number): string[] {
    const e = this.#enis.get(eniId);
    if (!e) return [];
    const out: string[] = [];
    for (const ip of ips) {
      if (!e.ips.has(ip) || this.#state(ip, nowMs) !== "free") continue;
      e.ips.delete(ip);
      e.sortedIps = undefined;
      this.#owner.delete(ip);
      out.push(ip);
    }
    return out;
  }

  /** Takes out prefixes none of whose 16 addresses is assigned or cooling; returns them. */
  withdrawPrefixes(eniId: string, prefixes: readonly string[], nowMs: number): string[] {
    const e = this.#enis.get(eniId);
    if (!e) return [];
    const out: string[] = [];
    for (const p of prefixes) {
      const addrs = e.prefixes.get(p);
      if (!addrs || addrs.some((a) => this.#state(a, nowMs) !== "free")) continue;
      e.prefixes.delete(p);
      for (const a of addrs) this.#owner.delete(a);
      out.push(p);
    }
    return out;
  }

  /** Takes out a non-primary ENI with nothing assigned or cooling. false = refused. */
  withdrawEni(eniId: string, nowMs: number): boolean {
    const e = this.#enis.get(eniId);
    if (!e || e.info.primary) return false;
    for (const a of this.#addresses(e)) if (this.#state(a, nowMs) !== "free") return false;
    this.#dropEni(eniId);
    return true;
  }

  // ---- assignments ------------------------------------------------------

  get(key: AttachmentKey): Assignment | undefined {
    const a = this.#assignments.get(keyString(key));
    return a ? cloneAssignment(a) : undefined;
  }

  assignments(): Assignment[] {
    return [...this.#assignments.values()].map(cloneAssignment);
  }

  /** Gives the key an address; a repeated ADD for the same key gets the same one. Never does I/O. */
  assign(req: AssignRequest, nowMs: number): AssignResult {
    const k = keyString(req.key);
    const existing = this.#assignments.get(k);
    if (existing) return { ok: true, assignment: cloneAssignment(existing), created: false };
    const picked = this.#pick(nowMs);
    if (!picked) return { ok: false, reason: "no-free-address", counts: this.counts(nowMs) };
    const a: Assignment = {
      key: { ...req.key },
      ip: picked.ip,
      eniId: picked.eniId,
      pod: { ...req.pod },
      netns: req.netns,
      hostVeth: req.hostVeth,
      assignedAtMs: nowMs,
    };
    this.#assignments.set(k, a);
    this.#byIp.set(a.ip, k);
    this.#cooldown.delete(a.ip);
    return { ok: true, assignment: cloneAssignment(a), created: true };
  }

  /** Frees the key's address into cooldown. */
  release(key: AttachmentKey, nowMs: number): ReleaseResult {
    const k = keyString(key);
    const a = this.#assignments.get(k);
    if (!a) return { ok: false, reason: "not-found" };
    this.#assignments.delete(k);
    this.#byIp.delete(a.ip);
    if (this.cooldownMs > 0) this.#cooldown.set(a.ip, nowMs + this.cooldownMs);
    return { ok: true, assignment: cloneAssignment(a) };
  }

  /**
   * Undoes an assign() whose persist failed: the address goes straight back to
   * free (no pod ever saw it, so no cooldown is needed).
   */
  unassign(key: AttachmentKey): boolean {
    const k = keyString(key);
    const a = this.#assignments.get(k);
    if (!a) return false;
    this.#assignments.delete(k);
    this.#byIp.delete(a.ip);
    return true;
  }

  /**
   * Undoes a release() whose persist failed (the checkpoint still says the key
   * holds the address). false if the key or address was taken meanwhile.
   */
  reinstate(a: Assignment): boolean {
    const k = keyString(a.key);
    if (this.#assignments.has(k) || this.#byIp.has(a.ip)) return false;
    this.#assignments.set(k, cloneAssignment(a));
    this.#byIp.set(a.ip, k);
    this.#cooldown.delete(a.ip);
    return true;
  }

  /** CNI GC: releases every assignment of `network` not in `valid`. Returns the released ones. */
  gc(
    network: string,
    valid: readonly { containerId: string; ifName: string }[],
    nowMs: number,
  ): Assignment[] {
    const keep = new Set(
      valid.map((v) => keyString({ network, containerId: v.containerId, ifName: v.ifName })),
    );
    const out: Assignment[] = [];
    for (const [k, a] of [...this.#assignments]) {
      if (a.key.network !== network || keep.has(k)) continue;
      const r = this.release(a.key, nowMs);
      if (r.ok) out.push(r.assignment);
    }
    return out;
  }

  // ---- views ------------------------------------------------------------

  counts(nowMs: number): PoolCounts {
    const c: PoolCounts = {
      total: 0,
      assigned: 0,
      available: 0,
      cooldown: 0,
      enis: this.#enis.size,
      prefixes: 0,
      freePrefixes: 0,
    };
    for (const e of this.#enis.values()) {
      if (!this.#forPods(e)) continue;
      for (const ip of e.ips) this.#tally(c, ip, nowMs);
      for (const addrs of e.prefixes.values()) {
        c.prefixes++;
        let busy = 0;
        for (const a of addrs) if (this.#tally(c, a, nowMs) !== "free") busy++;
        if (busy === 0) c.freePrefixes++;
      }
    }
    return c;
  }

  /** The planner's view. The primary ENI is included (it counts against the ENI limit). */
  toPlannerEnis(nowMs: number): PlannerEni[] {
    return this.enis().map((info) => {
      const e = this.#enis.get(info.id)!;
      const ips: PlannerIp[] = [...e.ips]
        .sort(compareIps)
        .map((ip) => ({ ip, state: this.#state(ip, nowMs) }));
      const prefixes = [...e.prefixes].map(([prefix, addrs]) => {
        let assigned = 0;
        let cooldown = 0;
        for (const a of addrs) {
          const s = this.#state(a, nowMs);
          if (s === "assigned") assigned++;
          else if (s === "cooldown") cooldown++;
        }
        return { prefix, assigned, cooldown };
      });
      return {
        id: info.id,
        deviceIndex: info.deviceIndex,
        primary: info.primary,
        subnetId: info.subnetId,
        attachedAtMs: info.attachedAtMs,
        ips,
        prefixes,
      };
    });
  }

  /** Which ENI owns an address right now (undefined if none). */
  ownerOf(ip: string): string | undefined {
    return this.#owner.get(ip);
  }

  ipsOf(eniId: string): { ips: string[]; prefixes: string[] } {
    const e = this.#enis.get(eniId);
    if (!e) return { ips: [], prefixes: [] };
    return { ips: [...this.#sortedIps(e)], prefixes: [...e.prefixes.keys()] };
  }

  // ---- persistence (see ./checkpoint.ts) --------------------------------

  snapshot(nowMs: number): DatastoreState {
    return { assignments: this.assignments(), cooldowns: this.#liveCooldowns(nowMs) };
  }

  /**
   * snapshot() without the copies, for the checkpoint (once per batch of
   * ADD/DELs): the stored records themselves. They are never changed once
   * stored (a change replaces the record), so the checkpoint may cache each
   * one's encoding by identity. Callers must not modify them.
   */
  liveState(nowMs: number): { assignments: readonly Assignment[]; cooldowns: DatastoreState["cooldowns"] } {
    return { assignments: [...this.#assignments.values()], cooldowns: this.#liveCooldowns(nowMs) };
  }

  #liveCooldowns(nowMs: number): DatastoreState["cooldowns"] {
    const out: DatastoreState["cooldowns"] = [];
    for (const [ip, untilMs] of this.#cooldown) if (untilMs > nowMs) out.push({ ip, untilMs });
    return out;
  }

  /**
   * Loads checkpointed assignments into an EMPTY assignment table (call after
   * the ENIs are known). Duplicate claims on one address: the oldest wins.
   */
  restore(state: DatastoreState, nowMs: number): RestoreReport {
    const report: RestoreReport = { restored: 0, orphaned: [], conflicts: [] };
    const sorted = [...state.assignments].sort((a, b) => a.assignedAtMs - b.assignedAtMs);
    for (const rec of sorted) {
      const k = keyString(rec.key);
      if (this.#assignments.has(k) || this.#byIp.has(rec.ip)) {
        report.conflicts.push(cloneAssignment(rec));
        continue;
      }
      const a = cloneAssignment(rec);
      const owner = this.#owner.get(a.ip);
      if (owner) a.eniId = owner;
      else report.orphaned.push(cloneAssignment(a));
      this.#assignments.set(k, a);
      this.#byIp.set(a.ip, k);
      report.restored++;
    }
    for (const c of state.cooldowns) {
      if (c.untilMs > nowMs && !this.#byIp.has(c.ip)) this.#cooldown.set(c.ip, c.untilMs);
    }
    return report;
  }

  // ---- internals used by ./reconcile.ts ----------------------------------

  /** @internal Drops an ENI and its addresses (assignments stay: they become orphans). */
  dropEni(eniId: string): void {
    this.#dropEni(eniId);
  }

  /** @internal Removes addresses that vanished from an ENI, whatever their state. */
  dropAddresses(eniId: string, ips: readonly string[], prefixes: readonly string[]): void {
    const e = this.#enis.get(eniId);
    if (!e) return;
    for (const ip of ips) if (e.ips.delete(ip)) this.#owner.delete(ip);
    e.sortedIps = undefined;
    for (const p of prefixes) {
      const addrs = e.prefixes.get(p);
      if (!addrs) continue;
      e.prefixes.delete(p);
      for (const a of addrs) this.#owner.delete(a);
    }
  }

  /** @internal Points an assignment at the ENI that now owns its address. */
  setAssignmentEni(key: AttachmentKey, eniId: string): void {
    const k = keyString(key);
    const a = this.#assignments.get(k);
    // A new record, not a change in place: see liveState().
    if (a) this.#assignments.set(k, { ...a, eniId });
  }

  // ---- private ----------------------------------------------------------

  #entry(eniId: string): EniEntry {
    const e = this.#enis.get(eniId);
    if (!e) throw new DatastoreError("unknown-eni", `ENI ${eniId} is not in the datastore (upsertEni first)`);
    return e;
  }

  #claim(ip: string, eniId: string): void {
    const owner = this.#owner.get(ip);
    if (owner !== undefined && owner !== eniId) {
      throw new DatastoreError("address-conflict", `address ${ip} is already on ENI ${owner}, not ${eniId}`);
    }
    const e = this.#enis.get(eniId);
    if (e && e.info.primaryIp === ip) {
      throw new DatastoreError("address-conflict", `address ${ip} is ENI ${eniId}'s primary address`);
    }
    this.#owner.set(ip, eniId);
  }

  #dropEni(eniId: string): void {
    const e = this.#enis.get(eniId);
    if (!e) return;
    for (const a of this.#addresses(e)) this.#owner.delete(a);
    this.#enis.delete(eniId);
  }

  *#addresses(e: EniEntry): Iterable<string> {
    yield* e.ips;
    for (const addrs of e.prefixes.values()) yield* addrs;
  }

  #forPods(e: EniEntry): boolean {
    return this.podsOnPrimaryEni || !e.info.primary;
  }

  #state(ip: string, nowMs: number): PlannerIp["state"] {
    if (this.#byIp.has(ip)) return "assigned";
    const until = this.#cooldown.get(ip);
    if (until === undefined) return "free";
    if (until > nowMs) return "cooldown";
    this.#cooldown.delete(ip); // expired: forget it
    return "free";
  }

  #tally(c: PoolCounts, ip: string, nowMs: number): PlannerIp["state"] {
    const s = this.#state(ip, nowMs);
    c.total++;
    if (s === "assigned") c.assigned++;
    else if (s === "cooldown") c.cooldown++;
    else c.available++;
    return s;
  }

  #sortedIps(e: EniEntry): string[] {
    e.sortedIps ??= [...e.ips].sort(compareIps);
    return e.sortedIps;
  }

  /** How many of `addrs` are assigned or cooling. Indexed loop: it runs for every address on every ADD. */
  #busyIn(addrs: readonly string[], nowMs: number): number {
    let busy = 0;
    for (let i = 0; i < addrs.length; i++) if (this.#state(addrs[i]!, nowMs) !== "free") busy++;
    return busy;
  }

  #firstFree(addrs: readonly string[], nowMs: number): string | undefined {
    for (let i = 0; i < addrs.length; i++) if (this.#state(addrs[i]!, nowMs) === "free") return addrs[i];
    return undefined;
  }

  // Runs for every ADD over every address of the node: plain indexed loops,
  // no generators, iterator objects or per-call sorting (it was ~5 % of
  // ipamd's CPU and ~10 % of its allocation under bench:daemon).
  #pick(nowMs: number): { ip: string; eniId: string } | undefined {
    let best: EniEntry | undefined;
    let bestBusy = 0;
    for (const e of this.#enis.values()) {
      if (!this.#forPods(e)) continue;
      const ips = this.#sortedIps(e);
      let busy = this.#busyIn(ips, nowMs);
      let total = ips.length;
      for (const addrs of e.prefixes.values()) {
        busy += this.#busyIn(addrs, nowMs);
        total += addrs.length;
      }
      if (busy === total) continue;
      if (!best || busy > bestBusy || (busy === bestBusy && e.info.deviceIndex < best.info.deviceIndex)) {
        best = e;
        bestBusy = busy;
      }
    }
    if (!best) return undefined;
    const eniId = best.info.id;
    const ip = this.#firstFree(this.#sortedIps(best), nowMs);
    if (ip !== undefined) return { ip, eniId };
    // The busiest prefix with a free address, lowest on ties.
    let pick: string[] | undefined;
    let pickBusy = 0;
    for (const addrs of best.prefixes.values()) {
      const busy = this.#busyIn(addrs, nowMs);
      if (busy === PREFIX_SIZE) continue;
      if (!pick || busy > pickBusy || (busy === pickBusy && compareIps(addrs[0]!, pick[0]!) < 0)) {
        pick = addrs;
        pickBusy = busy;
      }
    }
    const a = pick && this.#firstFree(pick, nowMs);
    return a === undefined ? undefined : { ip: a, eniId };
  }
}

function cloneAssignment(a: Assignment): Assignment {
  return { ...a, key: { ...a.key }, pod: { ...a.pod } };
}
